using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;
using static Helpdesk.Domain.Tests.Tickets.TicketBuilder;

namespace Helpdesk.Domain.Tests.Tickets;

public sealed class TicketRethreadTests
{
    private static Ticket Other(string id)
    {
        var ticket = Ticket.Create(
            new NewTicket(id, $"HD-{id}", "Other", null, new Requester("con_alice", "alice@contoso.com", "Alice"), "acc_contoso", Priority.Normal, null, null, null, null, null, null, null, null, [], true),
            Ada,
            TicketSettings.Default,
            T0);
        ticket.MarkSaved(1);
        return ticket;
    }

    private static TicketMessage Message(Ticket on, Actor author, MessageVisibility visibility = MessageVisibility.Public) =>
        new("msg_1", on.Id, T0, author, null, visibility, "<p>Hi</p>", "Hi", [], MessageSources.Email);

    [Fact]
    public void Moving_a_message_records_it_on_both_tickets()
    {
        var source = In(TicketStatus.Open);
        var target = Other("t_2");

        source.MoveMessageTo(target, Message(source, Customer), Ada, T0.AddHours(1));

        source.PendingHistory.Single().Action.ShouldBe("messageMoved");
        source.PendingEvents.Single().Type.ShouldBe(MessageMoveEventTypes.MovedOut);
        source.PendingEvents.Single().Data["toId"].ShouldBe("t_2");
        target.PendingHistory.Single().Action.ShouldBe("messageMovedIn");
        target.PendingEvents.Single().Data["fromId"].ShouldBe(source.Id);
        target.PendingEvents.Single().Data["messageId"].ShouldBe("msg_1");
    }

    [Fact]
    public void A_message_does_not_move_to_its_own_ticket()
    {
        var source = In(TicketStatus.Open);

        Should.Throw<DomainRuleException>(() => source.MoveMessageTo(source, Message(source, Customer), Ada, T0)).Code.ShouldBe("move-to-same-ticket");
    }

    [Fact]
    public void A_closed_ticket_neither_gives_nor_takes_a_message()
    {
        var closed = In(TicketStatus.Closed);
        var open = Other("t_2");

        Should.Throw<DomainRuleException>(() => closed.MoveMessageTo(open, Message(closed, Customer), Ada, T0)).Code.ShouldBe("ticket-closed");
        Should.Throw<DomainRuleException>(() => open.MoveMessageTo(closed, Message(open, Customer), Ada, T0)).Code.ShouldBe("ticket-closed");
    }

    [Fact]
    public void A_merged_tombstone_neither_gives_nor_takes_a_message()
    {
        var source = In(TicketStatus.Open);
        var survivor = Other("t_2");
        var third = Other("t_3");
        source.MergeInto(survivor, Ada, T0);

        Should.Throw<DomainRuleException>(() => source.MoveMessageTo(third, Message(source, Customer), Ada, T0)).Code.ShouldBe("ticket-merged");
        Should.Throw<DomainRuleException>(() => third.MoveMessageTo(source, Message(third, Customer), Ada, T0)).Code.ShouldBe("move-into-tombstone");
    }

    [Fact]
    public void Only_a_customers_public_message_splits_into_a_new_ticket()
    {
        var source = In(TicketStatus.Open);
        var target = Other("t_2");

        Should.Throw<DomainRuleException>(() => source.SplitMessageInto(target, Message(source, Customer, MessageVisibility.Internal), Ada, T0)).Code.ShouldBe("split-internal-note");
        Should.Throw<DomainRuleException>(() => source.SplitMessageInto(target, Message(source, Ada), Ada, T0)).Code.ShouldBe("split-not-customer-message");
        source.SplitMessageInto(target, Message(source, Customer), Ada, T0);
        target.PendingHistory[^1].Action.ShouldBe("messageSplitIn");
    }
}
