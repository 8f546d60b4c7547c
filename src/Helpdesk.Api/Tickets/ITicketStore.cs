using Helpdesk.Api.Common;
using Helpdesk.Api.Storage.Cosmos;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Tickets;

/// <summary>The views of API.md. Every view but <see cref="All"/> lists only tickets still being worked.</summary>
public enum TicketView
{
    Open,
    Mine,
    Team,
    Unassigned,
    Late,
    All,
}

public sealed record TicketQuery(
    TicketView View,
    DateTimeOffset Now,
    int Limit,
    string? Cursor,
    string? CallerAgentId = null,
    IReadOnlyList<string>? CallerTeamIds = null,
    TicketStatus? Status = null,
    Priority? Priority = null,
    string? AssigneeId = null,
    string? TeamId = null,
    string? AccountId = null,
    string? ContactId = null,
    string? Text = null,
    DateTimeOffset? CreatedFrom = null,
    DateTimeOffset? CreatedBefore = null,
    string? ExcludeId = null,
    PortalViewer? Portal = null,
    string? ProjectId = null,
    string? ContractId = null,
    TicketSort? Sort = null,
    TicketTextScope TextScope = TicketTextScope.Ticket);

/// <summary>
/// A customer reading the portal: the tickets they asked for unless hidden, and their account's
/// tickets shared with it (<see cref="PortalVisibility.Account"/>, or
/// <see cref="PortalVisibility.Default"/> when the portal is account-wide).
/// </summary>
public sealed record PortalViewer(string ContactId, string? AccountId, bool AccountWide)
{
    /// <summary>Whether this customer sees <paramref name="ticket"/> in the portal.</summary>
    public bool Sees(Ticket ticket)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        var asked = ticket.Requester?.ContactId == ContactId;
        var sameAccount = AccountId is not null && ticket.AccountId == AccountId;
        return ticket.Portal switch
        {
            PortalVisibility.Hidden => false,
            PortalVisibility.Account => asked || sameAccount,
            PortalVisibility.Requester => asked,
            _ => asked || (AccountWide && sameAccount),
        };
    }

    /// <summary>The visibilities under which the account's other contacts see a ticket.</summary>
    public IReadOnlyList<string> SharedWithAccount =>
        AccountWide ? [Names.Of(PortalVisibility.Account), Names.Of(PortalVisibility.Default)] : [Names.Of(PortalVisibility.Account)];
}

/// <summary>
/// A ticket waiting in the unassigned queue: when it is late (its earliest SLA target, fixed-width
/// UTC text, null without one), its priority and its creation order.
/// </summary>
public sealed record QueuedTicket(string Id, string? LateAt, string Priority, long Seq)
{
    /// <summary>SLA due first (soonest first, tickets without one after), then priority, then the oldest.</summary>
    public static IComparer<QueuedTicket> MostUrgentFirst { get; } = Comparer<QueuedTicket>.Create((a, b) =>
    {
        var due = (a.LateAt, b.LateAt) switch
        {
            (null, null) => 0,
            (null, _) => 1,
            (_, null) => -1,
            var (x, y) => string.CompareOrdinal(x, y),
        };
        return due != 0 ? due
            : Rank(a.Priority) != Rank(b.Priority) ? Rank(a.Priority).CompareTo(Rank(b.Priority))
            : a.Seq.CompareTo(b.Seq);
    });

    private static int Rank(string priority) => Names.TryParse<Priority>(priority, out var p) ? (int)p : int.MaxValue;
}

/// <summary>
/// Where tickets live, and the one way a ticket and its items are written
/// (docs/adr/0008-one-write-path.md). Capability stores (messages, time, activities, ...) only
/// read; every change of a ticket's items goes through <see cref="SaveAsync"/> with the ticket
/// change that records it, so no item is ever stored without its history line and its event.
/// </summary>
public interface ITicketStore
{
    /// <summary>The ticket, or null when there is none or it is (soft) deleted: deleted tickets vanish from every route.</summary>
    Task<Ticket?> FindAsync(string id, CancellationToken cancellationToken);

    /// <summary>The ticket even when soft deleted, for restoring and purging it.</summary>
    Task<Ticket?> FindIncludingDeletedAsync(string id, CancellationToken cancellationToken);

    /// <summary>
    /// Stores each write in one atomic step: the ticket's pending changes guarded by the version
    /// it was read at (a ticket at version 0 is created), its history, notes and events, and its
    /// item writes, each guarded by the version it names. On SQLite several writes share one
    /// transaction; on Cosmos DB they are committed one after the other, in the order given.
    /// Throws <see cref="ConcurrencyConflictException"/> when the ticket or an item moved on,
    /// <see cref="UniqueConstraintException"/> (field <c>number</c>) when a new ticket's number is taken.
    /// </summary>
    Task SaveAsync(IReadOnlyList<TicketWrite> writes, CancellationToken cancellationToken);

    /// <summary>
    /// Stores a merge (<see cref="Ticket.MergeInto"/> recorded on <paramref name="source"/> and
    /// the target's side on <paramref name="target"/>): both tickets, and the source's thread,
    /// files, work and running timers moved to the target. Throws like <see cref="SaveAsync"/>.
    /// </summary>
    Task MergeAsync(Ticket source, Ticket target, CancellationToken cancellationToken);

    /// <summary>Stores the undo of a merge: both tickets, and exactly what the merge moved taken back.</summary>
    Task UndoMergeAsync(Ticket source, Ticket target, CancellationToken cancellationToken);

    /// <summary>
    /// Stores a message move (or a split: <paramref name="target"/> at version 0 is created): both
    /// tickets, the message and its files moved, and the records that follow the message.
    /// </summary>
    Task MoveMessageAsync(Ticket source, Ticket target, string messageId, CancellationToken cancellationToken);

    /// <summary>
    /// The queue "next ticket" picks from: every open, unassigned ticket not waiting on its
    /// customer, of one of <paramref name="teamIds"/> or of no team, as small rows in no order
    /// (<see cref="QueuedTicket.MostUrgentFirst"/> orders them).
    /// </summary>
    Task<IReadOnlyList<QueuedTicket>> UnassignedQueueAsync(IReadOnlyList<string> teamIds, CancellationToken cancellationToken);

    /// <summary>
    /// Newest first (the late view: most overdue first), or in <see cref="TicketQuery.Sort"/>'s
    /// order (<see cref="SortedTicketPages"/>); deleted tickets left out; the cursor is stable
    /// while tickets are being created and changed.
    /// </summary>
    Task<Page<Ticket>> QueryAsync(TicketQuery query, CancellationToken cancellationToken);

    /// <summary>
    /// Whether any ticket, closed or deleted (a deleted one can be restored) included, holds
    /// <paramref name="value"/> (in any letter case) in <paramref name="field"/>: a list value in use is retired, never removed.
    /// </summary>
    Task<bool> UsesListValueAsync(TicketListField field, string value, CancellationToken cancellationToken);

    /// <summary>
    /// Ids of open tickets whose next SLA change (<see cref="TicketSchedule.NextSlaChangeAt"/>) is
    /// at or before <paramref name="now"/>, earliest first: the breach scan's only read.
    /// </summary>
    Task<IReadOnlyList<string>> DueForSlaAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Recomputes and stores only the ticket's schedule, without a new version (the scan found
    /// nothing to record). Returns false when the stored version moved on.
    /// </summary>
    Task<bool> RescheduleAsync(Ticket ticket, CancellationToken cancellationToken);

    /// <summary>Makes every open ticket due for the breach scan, which recomputes its schedule (after an SLA policy or calendar change).</summary>
    Task RequestSlaReviewAsync(DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// The ticket whose write stored the receipt <paramref name="receiptId"/> at or after
    /// <paramref name="since"/>, or null: whether a request that stopped before its answer was
    /// stored had made its change.
    /// </summary>
    Task<string?> FindReceiptAsync(string receiptId, DateTimeOffset since, CancellationToken cancellationToken);

    /// <summary>Oldest first.</summary>
    Task<Page<HistoryEntry>> HistoryAsync(string ticketId, int limit, string? cursor, CancellationToken cancellationToken);
}

/// <summary>Counters for ticket numbers: each call returns values never returned before for that key.</summary>
public interface ITicketNumberSequence
{
    Task<long> NextAsync(string key, CancellationToken cancellationToken);

    /// <summary>Reserves <paramref name="count"/> consecutive values (an import) and returns the first.</summary>
    Task<long> ReserveAsync(string key, int count, CancellationToken cancellationToken);
}

/// <summary>Ticket numbers from the Cosmos DB counters container.</summary>
internal sealed class CosmosTicketNumbers(CosmosSequence sequence) : ITicketNumberSequence
{
    public Task<long> NextAsync(string key, CancellationToken cancellationToken) => sequence.NextAsync(key, cancellationToken);

    public Task<long> ReserveAsync(string key, int count, CancellationToken cancellationToken) => sequence.ReserveAsync(key, count, cancellationToken);
}

/// <summary>The common shapes of <see cref="ITicketStore.SaveAsync"/>: one ticket, with or without items.</summary>
public static class TicketStoreWrites
{
    public static Task SaveAsync(this ITicketStore store, Ticket ticket, CancellationToken cancellationToken) =>
        store.SaveAsync(ticket, [], cancellationToken);

    public static Task SaveAsync(this ITicketStore store, Ticket ticket, IReadOnlyList<TicketItemWrite> items, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        return store.SaveAsync([new TicketWrite(ticket, items)], cancellationToken);
    }
}
