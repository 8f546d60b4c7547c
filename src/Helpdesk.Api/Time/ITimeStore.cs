using Helpdesk.Api.Common;
using Helpdesk.Domain.Tickets;
using Helpdesk.Domain.Work;

namespace Helpdesk.Api.Time;

/// <summary>
/// One atomic write of time tracking: the tickets whose history records the change, the entries
/// (version 0 = new), the removed entries, the timer and presence rows. Every row is guarded by the
/// version it was read at, so a lost race throws <see cref="ConcurrencyConflictException"/>.
/// </summary>
public sealed record TimeWrite
{
    public IReadOnlyList<Ticket> Tickets { get; init; } = [];
    public IReadOnlyList<Versioned<TimeEntry>> Entries { get; init; } = [];
    public IReadOnlyList<Versioned<TimeEntry>> Removals { get; init; } = [];
    public RunningTimer? StopTimer { get; init; }
    public RunningTimer? StartTimer { get; init; }
    public Versioned<Presence>? SavePresence { get; init; }
    public Versioned<Presence>? RemovePresence { get; init; }
}

/// <summary>Time entries, running timers and heartbeat presence.</summary>
public interface ITimeStore
{
    Task<Versioned<TimeEntry>?> FindAsync(string ticketId, string entryId, CancellationToken cancellationToken);

    /// <summary>Oldest first.</summary>
    Task<Page<Versioned<TimeEntry>>> ListAsync(string ticketId, int limit, string? cursor, CancellationToken cancellationToken);

    /// <summary>Confirmed minutes of a ticket, billable and not (drafts left out).</summary>
    Task<TimeTotals> TotalsAsync(string ticketId, CancellationToken cancellationToken);

    Task<RunningTimer?> FindTimerAsync(string agentId, CancellationToken cancellationToken);

    Task<Versioned<Presence>?> FindPresenceAsync(string agentId, string ticketId, CancellationToken cancellationToken);

    /// <summary>
    /// Confirmed entries with a work date from <paramref name="from"/> (inclusive) to <paramref name="to"/>
    /// (exclusive), of one account's tickets when <paramref name="accountId"/> is given.
    /// </summary>
    Task<IReadOnlyList<TimeRow>> RowsAsync(DateOnly from, DateOnly to, string? accountId, CancellationToken cancellationToken);

    /// <summary>Writes everything in one transaction; the tickets are marked saved afterwards.</summary>
    Task WriteAsync(TimeWrite write, CancellationToken cancellationToken);
}
