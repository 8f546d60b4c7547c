namespace Helpdesk.Domain.Tickets;

/// <summary>
/// The lifecycle of FEATURES.md §1. <see cref="Open"/> is the source documents' "Read":
/// somebody on the support side has seen the ticket.
/// </summary>
public enum TicketStatus
{
    New,
    Open,
    Assigned,
    InProgress,
    WaitingOnCustomer,
    Resolved,
    Closed,
}

public static class TicketStatusExtensions
{
    /// <summary>Open means "still work to do": every view but "all" lists only these.</summary>
    public static bool IsActive(this TicketStatus status) =>
        status is not (TicketStatus.Resolved or TicketStatus.Closed);
}
