using Helpdesk.Web.Api.Client.Models;

namespace Helpdesk.Web.Components;

/// <summary>
/// One line of a ticket list, whatever list it comes from (the agents' views, the portal).
/// Status, priority and SLA colour are the API's wire values, which also key their translations.
/// </summary>
public sealed record TicketRow(
    string Id,
    string Number,
    string Subject,
    string? Requester,
    string Status,
    string Priority,
    string? SlaColor,
    DateTimeOffset? DueAt,
    DateTimeOffset? UpdatedAt)
{
    public static TicketRow From(TicketResponse ticket)
    {
        var sla = ticket.Sla;
        DateTimeOffset?[] targets = [sla?.FirstResponse?.DueAt, sla?.NextResponse?.DueAt, sla?.Resolution?.DueAt];
        var due = targets.Where(d => d is not null).Min() ?? ticket.DueAt;
        return new TicketRow(
            ticket.Id ?? string.Empty,
            ticket.Number ?? string.Empty,
            ticket.Subject ?? string.Empty,
            ticket.Requester?.Name ?? ticket.Requester?.Email,
            WireValue(ticket.Status),
            WireValue(ticket.Priority),
            sla?.Color switch
            {
                Api.Client.Models.SlaColor.Green => "green",
                Api.Client.Models.SlaColor.Orange => "orange",
                Api.Client.Models.SlaColor.Red => "red",
                _ => null,
            },
            due,
            ticket.UpdatedAt);
    }

    /// <summary>A line of the customer's portal list: no requester, assignment or SLA.</summary>
    public static TicketRow From(PortalTicketResponse ticket) =>
        new(ticket.Id ?? string.Empty, ticket.Number ?? string.Empty, ticket.Subject ?? string.Empty, null, WireValue(ticket.Status), WireValue(ticket.Priority), null, null, ticket.UpdatedAt);

    public static string WireValue(TicketStatus? status) => status switch
    {
        TicketStatus.New => "new",
        TicketStatus.Open => "open",
        TicketStatus.Assigned => "assigned",
        TicketStatus.InProgress => "inProgress",
        TicketStatus.WaitingOnCustomer => "waitingOnCustomer",
        TicketStatus.Resolved => "resolved",
        TicketStatus.Closed => "closed",
        _ => string.Empty,
    };

    public static string WireValue(Priority? priority) => priority switch
    {
        Api.Client.Models.Priority.Urgent => "urgent",
        Api.Client.Models.Priority.High => "high",
        Api.Client.Models.Priority.Normal => "normal",
        Api.Client.Models.Priority.Low => "low",
        _ => string.Empty,
    };

    public static readonly IReadOnlyList<string> Statuses = ["new", "open", "assigned", "inProgress", "waitingOnCustomer", "resolved", "closed"];

    public static readonly IReadOnlyList<string> Priorities = ["urgent", "high", "normal", "low"];
}
