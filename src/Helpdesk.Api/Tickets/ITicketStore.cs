using Helpdesk.Api.Common;
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
    string? ExcludeId = null);

/// <summary>
/// Where tickets live. A save writes the ticket, its new history entries and its events in one
/// atomic step, guarded by the version the ticket was read at.
/// </summary>
public interface ITicketStore
{
    /// <summary>The ticket, or null when there is none or it is (soft) deleted: deleted tickets vanish from every route.</summary>
    Task<Ticket?> FindAsync(string id, CancellationToken cancellationToken);

    /// <summary>The ticket even when soft deleted, for restoring and purging it.</summary>
    Task<Ticket?> FindIncludingDeletedAsync(string id, CancellationToken cancellationToken);

    /// <summary>
    /// Stores a new ticket (version 1) with its history and events. Throws
    /// <see cref="UniqueConstraintException"/> (field <c>number</c>) when the number is taken.
    /// </summary>
    Task CreateAsync(Ticket ticket, CancellationToken cancellationToken);

    /// <summary>Stores the changes; throws <see cref="ConcurrencyConflictException"/> when the stored version moved on.</summary>
    Task SaveAsync(Ticket ticket, CancellationToken cancellationToken);

    /// <summary>Newest first, deleted tickets left out; the cursor is stable while tickets are being created.</summary>
    Task<Page<Ticket>> QueryAsync(TicketQuery query, CancellationToken cancellationToken);

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
