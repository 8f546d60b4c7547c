using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;
using static Helpdesk.Domain.Tests.Tickets.TicketBuilder;

namespace Helpdesk.Domain.Tests.Tickets;

/// <summary>GDPR erasure of a person on one ticket (<see cref="Ticket.ErasePerson"/>), read through the aggregate.</summary>
public sealed class TicketPrivacyTests
{
    private static readonly DateTimeOffset Later = T0.AddDays(30);
    private static readonly Actor Admin = Actor.Agent("agt_admin");
    private static readonly PersonErasure Alice = new("con_alice", "erased-1a2b", "erased-1a2b@erased.invalid", Messages: 2, Attachments: 1);

    [Fact]
    public void Erasing_the_requester_replaces_them_and_the_description_and_records_one_entry_and_one_event_without_the_erased_values()
    {
        var ticket = In(TicketStatus.Closed);

        ticket.ErasePerson(Alice, Admin, Later).ShouldBeTrue("a closed ticket is erased too");

        ticket.Requester.ShouldBe(new Requester("con_alice", "erased-1a2b@erased.invalid", "erased-1a2b"));
        ticket.Description.ShouldBe(Ticket.ErasedText);
        ticket.Status.ShouldBe(TicketStatus.Closed);
        var entry = ticket.PendingHistory.ShouldHaveSingleItem();
        entry.Action.ShouldBe(Ticket.PersonalDataErasedAction);
        entry.Actor.ShouldBe(Admin);
        entry.Changes.Select(c => c.Field).ShouldBe(["requester", "description", "messages", "attachments"]);
        entry.Changes.Single(c => c.Field == "attachments").To.ShouldBe("1");
        var recorded = string.Join(" ", entry.Changes.Select(c => $"{c.From} {c.To}")) + entry.Note;
        recorded.ShouldNotContain("alice", Case.Insensitive, "the history keeps that it happened, never the erased values");
        recorded.ShouldNotContain("Every morning");
        var raised = ticket.PendingEvents.ShouldHaveSingleItem();
        raised.Type.ShouldBe(TicketEventTypes.PersonalDataErased);
        raised.Data["contactId"].ShouldBe("con_alice");
        raised.Data["messages"].ShouldBe("2");
        raised.Data.Values.ShouldNotContain(v => v != null && v.Contains("alice@contoso.com", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void Erasing_again_records_nothing_and_a_person_only_copied_is_recorded_for_their_messages_alone()
    {
        var ticket = In(TicketStatus.Open);
        ticket.ErasePerson(Alice, Admin, Later).ShouldBeTrue();
        ticket.MarkSaved(3);

        ticket.ErasePerson(Alice with { Messages = 0, Attachments = 0 }, Admin, Later.AddMinutes(1)).ShouldBeFalse();
        ticket.PendingHistory.ShouldBeEmpty();
        ticket.PendingEvents.ShouldBeEmpty();

        var copiedOnly = new PersonErasure("con_bob", "erased-9f9f", "erased-9f9f@erased.invalid", Messages: 1, Attachments: 0);
        ticket.ErasePerson(copiedOnly, Admin, Later.AddMinutes(2)).ShouldBeTrue();

        ticket.Requester!.ContactId.ShouldBe("con_alice", "the requester is not the person erased");
        ticket.PendingHistory.ShouldHaveSingleItem().Changes.ShouldBe([new FieldChange("messages", null, "1")]);
        ticket.ErasePerson(copiedOnly with { Messages = 0 }, Admin, Later.AddMinutes(3)).ShouldBeFalse("their address is gone from the messages already");
        Should.Throw<ArgumentException>(() => ticket.ErasePerson(copiedOnly with { ContactId = " " }, Admin, Later));
    }
}
