using Helpdesk.Api.Common;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Work;

namespace Helpdesk.Api.Time;

/// <summary>
/// Reads time entries, running timers and heartbeat presence. They are written with the ticket
/// change that records them, through <see cref="ITicketStore.SaveAsync"/> (kinds
/// <see cref="TicketItemKinds.TimeEntry"/>, <see cref="TicketItemKinds.Timer"/> and
/// <see cref="TicketItemKinds.Presence"/>, each guarded by the version read here).
/// </summary>
public interface ITimeStore
{
    Task<Versioned<TimeEntry>?> FindAsync(string ticketId, string entryId, CancellationToken cancellationToken);

    /// <summary>Oldest first.</summary>
    Task<Page<Versioned<TimeEntry>>> ListAsync(string ticketId, int limit, string? cursor, CancellationToken cancellationToken);

    /// <summary>Confirmed minutes of a ticket, billable and not (drafts left out).</summary>
    Task<TimeTotals> TotalsAsync(string ticketId, CancellationToken cancellationToken);

    /// <summary>The agent's running timer (one at most, across tickets), with the version its stop names.</summary>
    Task<Versioned<RunningTimer>?> FindTimerAsync(string agentId, CancellationToken cancellationToken);

    Task<Versioned<Presence>?> FindPresenceAsync(string agentId, string ticketId, CancellationToken cancellationToken);

    /// <summary>
    /// Confirmed entries with a work date from <paramref name="from"/> (inclusive) to <paramref name="to"/>
    /// (exclusive), of one account's tickets when <paramref name="accountId"/> is given, of the
    /// tickets linked to one contract when <paramref name="contractId"/> is.
    /// </summary>
    Task<IReadOnlyList<TimeRow>> RowsAsync(DateOnly from, DateOnly to, string? accountId, string? contractId, CancellationToken cancellationToken);
}
