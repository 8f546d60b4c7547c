using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;
using static Helpdesk.Domain.Tests.Tickets.TicketBuilder;

namespace Helpdesk.Domain.Tests.Tickets;

public sealed class TicketConversationTests
{
    private static readonly DateTimeOffset Later = T0.AddHours(2);

    [Fact]
    public void An_agent_reply_is_marked_on_the_timeline_and_emits_a_message_event()
    {
        var ticket = In(TicketStatus.Open);

        ticket.AddAgentReply("msg_1", ["bob@contoso.com"], Ada, Later);

        ticket.Timeline.ShouldContain(new TimelineMark(Later, TimelineKinds.AgentReplied));
        ticket.PendingHistory.Single().Action.ShouldBe(MessageActions.AgentReplied);
        var e = ticket.PendingEvents.Single();
        e.Type.ShouldBe(TicketEventTypes.MessageAdded);
        e.TicketId.ShouldBe(ticket.Id);
        e.Data["messageId"].ShouldBe("msg_1");
        e.Data["visibility"].ShouldBe("public");
        e.Data["authorType"].ShouldBe("agent");
        e.Data["cc"].ShouldBe("bob@contoso.com");
    }

    [Fact]
    public void An_agent_reply_to_a_new_ticket_marks_it_open()
    {
        var ticket = In(TicketStatus.New);

        ticket.AddAgentReply("msg_1", [], Ada, Later);

        ticket.Status.ShouldBe(TicketStatus.Open);
        ticket.PendingHistory.Single().Changes.ShouldContain(new FieldChange("status", "new", "open"));
    }

    [Fact]
    public void An_internal_note_is_not_a_reply_for_the_sla()
    {
        var ticket = In(TicketStatus.Open);
        var before = ticket.Timeline.Count;

        ticket.AddInternalNote("msg_1", [], Ada, Later);

        ticket.Timeline.Count.ShouldBe(before);
        ticket.Status.ShouldBe(TicketStatus.Open);
        ticket.PendingHistory.Single().Action.ShouldBe(MessageActions.NoteAdded);
        ticket.PendingEvents.Single().Data["visibility"].ShouldBe("internal");
    }

    [Fact]
    public void A_private_message_names_its_recipients_wakes_no_ticket_and_never_goes_to_the_requester()
    {
        var ticket = In(TicketStatus.WaitingOnCustomer);
        var before = ticket.Timeline.Count;

        ticket.AddPrivateMessage("msg_1", ["parts@fabrikam.test"], [], Actor.System("mail"), Later);

        ticket.Timeline.Count.ShouldBe(before);
        ticket.Status.ShouldBe(TicketStatus.WaitingOnCustomer);
        ticket.PendingHistory.Single().Action.ShouldBe(MessageActions.PrivateMessage);
        var e = ticket.PendingEvents.Single();
        e.Data["visibility"].ShouldBe("private");
        e.Data["to"].ShouldBe("parts@fabrikam.test");
        Should.Throw<DomainValidationException>(() => ticket.AddPrivateMessage("msg_2", [ticket.Requester!.Email.ToUpperInvariant()], [], Ada, Later)).Field.ShouldBe("to");
    }

    [Fact]
    public void A_customer_message_while_waiting_on_the_customer_makes_the_ticket_active_again()
    {
        var ticket = In(TicketStatus.WaitingOnCustomer);

        ticket.AddCustomerMessage("msg_1", [], Customer, Later);

        ticket.Status.ShouldBe(TicketStatus.Open);
        ticket.Timeline.ShouldContain(new TimelineMark(Later, TimelineKinds.CustomerMessage));
        ticket.PendingHistory.Select(h => h.Action).ShouldBe([MessageActions.CustomerMessage, "customerResponded"]);
    }

    [Fact]
    public void A_customer_message_on_a_resolved_ticket_reopens_it()
    {
        var ticket = In(TicketStatus.Resolved);

        ticket.AddCustomerMessage("msg_1", [], Customer, Later);

        ticket.Status.ShouldBe(TicketStatus.Open);
        ticket.EndAt.ShouldBeNull();
        ticket.PendingHistory.Select(h => h.Action).ShouldBe([MessageActions.CustomerMessage, "reopened"]);
    }

    [Fact]
    public void A_customer_message_on_an_active_ticket_leaves_the_status_alone()
    {
        var ticket = In(TicketStatus.InProgress);

        ticket.AddCustomerMessage("msg_1", [], Customer, Later);

        ticket.Status.ShouldBe(TicketStatus.InProgress);
        ticket.PendingHistory.Count.ShouldBe(1);
    }

    [Fact]
    public void No_message_of_any_kind_is_added_to_a_closed_ticket()
    {
        var ticket = In(TicketStatus.Closed);

        Should.Throw<DomainRuleException>(() => ticket.AddAgentReply("m1", [], Ada, Later)).Code.ShouldBe("ticket-closed");
        Should.Throw<DomainRuleException>(() => ticket.AddInternalNote("m2", [], Ada, Later)).Code.ShouldBe("ticket-closed");
        Should.Throw<DomainRuleException>(() => ticket.AddCustomerMessage("m3", [], Customer, Later)).Code.ShouldBe("ticket-closed");
    }

    [Fact]
    public void A_follow_up_ticket_names_the_ticket_it_continues()
    {
        var followUp = Ticket.Create(
            new NewTicket("t_2", "HD-2026-00002", "Printer jams", null, new Requester("con_alice", "alice@contoso.com", "Alice"),
                null, Priority.Normal, null, null, null, null, null, null, null, null, [], true, FollowUpOfId: "t_1"),
            Customer,
            TicketSettings.Default,
            Later);

        followUp.FollowUpOfId.ShouldBe("t_1");
        followUp.PendingEvents.Single().Data["followUpOf"].ShouldBe("t_1");
    }
}
