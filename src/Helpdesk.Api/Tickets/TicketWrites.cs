using Helpdesk.Api.Common;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Tickets;

/// <summary>
/// The kinds of items a ticket holds besides its own fields: each kind is stored by both engines
/// (a table of the SQLite file, documents of the ticket's Cosmos DB partition) and written only
/// with the ticket, through <see cref="ITicketStore.SaveAsync"/>.
/// </summary>
public static class TicketItemKinds
{
    public const string Message = "message";
    public const string Attachment = "attachment";
    public const string TimeEntry = "time";
    public const string Presence = "presence";
    public const string Timer = "timer";
    public const string CostLine = "cost";
    public const string Activity = "activity";
    public const string Approval = "approval";
    public const string Resolution = "resolution";
    public const string Survey = "survey";
    public const string Intervention = "intervention";

    /// <summary>What a merge moves to the ticket merged into (and its undo moves back): the thread, the files, the work and running timers.</summary>
    public static IReadOnlySet<string> MovedByMerge { get; } = new HashSet<string>([Message, Attachment, TimeEntry, CostLine, Activity, Timer], StringComparer.Ordinal);
}

/// <summary>
/// One change of one item of a ticket, written with the ticket: its kind, its id, the version it
/// was read at (0 = a new item, null = unchecked) and its new value, or null to remove it. A write
/// whose expected version no longer holds is refused with a <see cref="ConcurrencyConflictException"/>.
/// </summary>
public sealed record TicketItemWrite(string Kind, string Id, long? Expected, object? Value)
{
    /// <summary>A new item.</summary>
    public static TicketItemWrite Add(string kind, string id, object value) => new(kind, id, 0, value);

    /// <summary>The item's new value, guarded by the version it was read at (0 = new).</summary>
    public static TicketItemWrite Put<T>(string kind, string id, Versioned<T> item)
        where T : notnull
    {
        ArgumentNullException.ThrowIfNull(item);
        return new(kind, id, item.Version, item.Value);
    }

    /// <summary>The item removed, guarded by the version it was read at when one is given.</summary>
    public static TicketItemWrite Remove(string kind, string id, long? expected) => new(kind, id, expected, null);
}

/// <summary>
/// What a write made under an Idempotency-Key leaves with its change, in the same atomic step: a
/// retry of a request whose answer was never stored (the process stopped in between) finds it and
/// does not make the change again. Kept <see cref="Idempotency.IdempotentRequest.Retention"/>, as
/// long as the key's answer.
/// </summary>
public sealed record TicketReceipt(string Id, DateTimeOffset At);

/// <summary>
/// What one command stores about one ticket in one atomic step: the ticket's pending changes
/// (a new version with its history and events; a ticket at version 0 is created), its history
/// notes, the item writes that go with them and the receipt of the request that made them.
/// </summary>
public sealed record TicketWrite(Ticket Ticket, IReadOnlyList<TicketItemWrite> Items, TicketReceipt? Receipt = null)
{
    public static TicketWrite Of(Ticket ticket, params TicketItemWrite[] items) => new(ticket, items);
}
