using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Domain.Tests.Tickets;

/// <summary>Builds tickets in any status through the aggregate's own methods.</summary>
internal static class TicketBuilder
{
    public static readonly DateTimeOffset T0 = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);
    public static readonly Actor Ada = Actor.Agent("agt_ada");
    public static readonly Actor Customer = Actor.Customer("con_alice");

    public static Ticket New(Actor? by = null, TicketSettings? settings = null, string? assigneeId = null) =>
        Ticket.Create(
            new NewTicket("t_1", "HD-2026-00001", "Printer jams", "Every morning", new Requester("con_alice", "alice@contoso.com", "Alice"),
                "acc_contoso", Priority.Normal, "incident", null, null, null, "team_support", assigneeId, null, null, ["printer"], true),
            by ?? Customer,
            settings ?? TicketSettings.Default,
            T0);

    public static Ticket In(TicketStatus status)
    {
        var ticket = New();
        ticket.MarkSaved(1);
        var at = T0.AddMinutes(1);
        switch (status)
        {
            case TicketStatus.New:
                break;
            case TicketStatus.Open:
                ticket.MarkRead(Ada, at);
                break;
            case TicketStatus.Assigned:
                ticket.Assign("agt_ada", null, Ada, at);
                break;
            case TicketStatus.InProgress:
                ticket.Start(Ada, at);
                break;
            case TicketStatus.WaitingOnCustomer:
                ticket.WaitOnCustomer(Ada, at);
                break;
            case TicketStatus.Resolved:
                ticket.Resolve("done", null, Ada, at);
                break;
            case TicketStatus.Closed:
                ticket.Close(null, Ada, at);
                break;
        }

        ticket.MarkSaved(2);
        return ticket;
    }
}
