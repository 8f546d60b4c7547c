using Helpdesk.Api.Common;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Approvals;

namespace Helpdesk.Api.Approvals;

/// <summary>
/// Reads approvals and the deadlines (reminders, expiries) waiting on them. An approval is written
/// with the ticket change that records it, through <see cref="ITicketStore.SaveAsync"/> (kind
/// <see cref="TicketItemKinds.Approval"/>).
/// </summary>
public interface IApprovalStore
{
    Task<Versioned<Approval>?> FindAsync(string id, CancellationToken cancellationToken);

    /// <summary>The approvals of a ticket, oldest first.</summary>
    Task<Page<Versioned<Approval>>> ListAsync(string ticketId, int limit, string? cursor, CancellationToken cancellationToken);

    /// <summary>Pending approvals whose reminder or expiry is due, soonest first; the cost follows the due ones only.</summary>
    Task<IReadOnlyList<Versioned<Approval>>> DueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken);
}
