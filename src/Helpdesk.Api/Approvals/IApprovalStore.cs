using Helpdesk.Api.Common;
using Helpdesk.Domain.Approvals;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Approvals;

/// <summary>Approvals and the deadlines (reminders, expiries) waiting on them.</summary>
public interface IApprovalStore
{
    Task<Versioned<Approval>?> FindAsync(string id, CancellationToken cancellationToken);

    /// <summary>The approvals of a ticket, oldest first.</summary>
    Task<Page<Versioned<Approval>>> ListAsync(string ticketId, int limit, string? cursor, CancellationToken cancellationToken);

    /// <summary>
    /// Writes the approval (version 0 = new) with the ticket's changes and events in one
    /// transaction; throws <see cref="ConcurrencyConflictException"/> when either moved on.
    /// </summary>
    Task SaveAsync(Ticket ticket, Versioned<Approval> approval, CancellationToken cancellationToken);

    /// <summary>Pending approvals whose reminder or expiry is due, soonest first; the cost follows the due ones only.</summary>
    Task<IReadOnlyList<Versioned<Approval>>> DueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Stores the reminded approval and the reminder events in one transaction. False when the
    /// approval changed since it was read (another run reminded it, or someone answered): nothing is written.
    /// </summary>
    Task<bool> MarkRemindedAsync(Versioned<Approval> reminded, IReadOnlyList<DomainEvent> reminders, CancellationToken cancellationToken);
}
