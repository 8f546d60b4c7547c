using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;
using static Helpdesk.Domain.Tests.Tickets.TicketBuilder;

namespace Helpdesk.Domain.Tests.Tickets;

/// <summary>An internal ticket: the team's own work, with no customer to write to.</summary>
public sealed class TicketInternalTests
{
    private static readonly DateTimeOffset Later = T0.AddHours(1);

    private static Ticket Internal(string? type = Ticket.InternalType, Requester? requester = null) =>
        Ticket.Create(
            new NewTicket("t_9", "HD-2026-00009", "Renew certificates", null, requester, null, Priority.Normal, type, null, null, null, "team_ops", null, null, null, [], true),
            Ada,
            TicketSettings.Default,
            T0);

    [Fact]
    public void Only_an_internal_ticket_is_created_without_a_requester()
    {
        var ticket = Internal();

        ticket.Requester.ShouldBeNull();
        ticket.IsInternal.ShouldBeTrue();
        ticket.Portal.ShouldBe(PortalVisibility.Hidden);
        Should.Throw<DomainValidationException>(() => Internal("incident")).Field.ShouldBe("requester");
        Should.Throw<DomainValidationException>(() => Internal(null)).Field.ShouldBe("requester");
    }

    [Fact]
    public void An_internal_ticket_takes_notes_but_never_a_public_reply_nor_a_place_in_the_portal()
    {
        var ticket = Internal(requester: new Requester("con_fac", "facilities@contoso.com", null));
        ticket.MarkSaved(1);

        ticket.AddInternalNote("m1", [], Ada, Later);
        Should.Throw<DomainRuleException>(() => ticket.AddAgentReply("m2", [], Ada, Later)).Code.ShouldBe("internal-ticket");
        Should.Throw<DomainRuleException>(() => ticket.ChangePortalVisibility(PortalVisibility.Account, Ada, Later)).Code.ShouldBe("internal-ticket");
        ticket.Portal.ShouldBe(PortalVisibility.Hidden);
    }

    [Fact]
    public void Without_a_requester_it_stays_internal_and_with_one_it_may_become_a_customer_ticket()
    {
        var ticket = Internal();
        ticket.MarkSaved(1);

        Should.Throw<DomainValidationException>(() => ticket.Update(new TicketChanges { Type = Optional.Of<string?>("incident") }, TicketSettings.Default, Ada, Later)).Field.ShouldBe("type");

        ticket.Update(new TicketChanges { Type = Optional.Of<string?>("incident"), Requester = Optional.Of<Requester?>(new Requester("con_alice", "alice@contoso.com", "Alice")) }, TicketSettings.Default, Ada, Later);
        ticket.IsInternal.ShouldBeFalse();
        ticket.Portal.ShouldBe(PortalVisibility.Default);
        ticket.PendingHistory[^1].Changes.ShouldContain(new FieldChange("contactId", null, "con_alice"));
    }
}
