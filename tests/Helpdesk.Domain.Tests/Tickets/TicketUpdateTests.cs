using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;
using static Helpdesk.Domain.Tests.Tickets.TicketBuilder;

namespace Helpdesk.Domain.Tests.Tickets;

public sealed class TicketUpdateTests
{
    private static readonly DateTimeOffset Later = T0.AddHours(2);

    [Fact]
    public void An_update_records_each_changed_field_from_and_to()
    {
        var ticket = In(TicketStatus.Open);

        ticket.Update(new TicketChanges { Priority = Optional.Of(Priority.Urgent), Subject = Optional.Of("Printer on fire"), Progress = Optional.Of(40) }, TicketSettings.Default, Ada, Later);

        var entry = ticket.PendingHistory.Single();
        entry.Action.ShouldBe("updated");
        entry.Changes.ShouldBe(
        [
            new FieldChange("subject", "Printer jams", "Printer on fire"),
            new FieldChange("priority", "normal", "urgent"),
            new FieldChange("progress", "0", "40"),
        ]);
        ticket.PendingEvents.Single().Data["fields"].ShouldBe("subject,priority,progress");
        ticket.UpdatedAt.ShouldBe(Later);
    }

    [Fact]
    public void An_update_that_changes_nothing_records_nothing()
    {
        var ticket = In(TicketStatus.Open);

        ticket.Update(new TicketChanges { Priority = Optional.Of(Priority.Normal) }, TicketSettings.Default, Ada, Later);

        ticket.PendingHistory.ShouldBeEmpty();
        ticket.PendingEvents.ShouldBeEmpty();
    }

    [Fact]
    public void A_closed_ticket_is_read_only()
    {
        var ticket = In(TicketStatus.Closed);

        Should.Throw<DomainRuleException>(() => ticket.Update(new TicketChanges { Type = Optional.Of<string?>("request") }, TicketSettings.Default, Ada, Later))
            .Code.ShouldBe("ticket-closed");
    }

    [Fact]
    public void A_closed_ticket_may_be_reclassified_when_the_setting_allows_it()
    {
        var ticket = In(TicketStatus.Closed);
        var settings = TicketSettings.Default with { AllowReclassifyClosed = true };

        ticket.Update(new TicketChanges { Type = Optional.Of<string?>("request"), Severity = Optional.Of<string?>("minor") }, settings, Ada, Later);

        ticket.Type.ShouldBe("request");
        ticket.Severity.ShouldBe("minor");
        Should.Throw<DomainRuleException>(() => ticket.Update(new TicketChanges { Subject = Optional.Of("Other") }, settings, Ada, Later));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(101)]
    public void Progress_is_a_percentage(int progress)
    {
        var ticket = In(TicketStatus.Open);

        Should.Throw<DomainValidationException>(() => ticket.Update(new TicketChanges { Progress = Optional.Of(progress) }, TicketSettings.Default, Ada, Later))
            .Field.ShouldBe("progress");
    }

    [Fact]
    public void The_subject_cannot_be_blank()
    {
        var ticket = In(TicketStatus.Open);

        Should.Throw<DomainValidationException>(() => ticket.Update(new TicketChanges { Subject = Optional.Of("   ") }, TicketSettings.Default, Ada, Later))
            .Field.ShouldBe("subject");
    }

    [Fact]
    public void Tags_are_trimmed_and_deduplicated()
    {
        var ticket = In(TicketStatus.Open);

        ticket.Update(new TicketChanges { Tags = Optional.Of<IReadOnlyList<string>>([" vip ", "VIP", "billing", ""]) }, TicketSettings.Default, Ada, Later);

        ticket.Tags.ShouldBe(["vip", "billing"]);
    }

    [Fact]
    public void Events_carry_a_unique_id_the_ticket_and_the_actor()
    {
        var ticket = In(TicketStatus.Open);
        ticket.Start(Ada, Later);
        ticket.WaitOnCustomer(Ada, Later.AddMinutes(1));

        var events = ticket.PendingEvents;
        events.Select(e => e.Id).Distinct().Count().ShouldBe(2);
        events.ShouldAllBe(e => e.TicketId == "t_1" && e.Actor == Ada && e.Data["number"] == "HD-2026-00001");
    }

    [Fact]
    public void The_start_date_is_edited_with_its_history_and_never_after_the_due_date()
    {
        var ticket = In(TicketStatus.Open);

        ticket.Update(new TicketChanges { StartAt = Optional.Of(T0.AddDays(1)), DueAt = Optional.Of<DateTimeOffset?>(T0.AddDays(2)) }, TicketSettings.Default, Ada, Later);

        ticket.StartAt.ShouldBe(T0.AddDays(1));
        ticket.PendingHistory.Single().Changes.Select(c => c.Field).ShouldBe(["startAt", "dueAt"]);
        Should.Throw<DomainValidationException>(() => ticket.Update(new TicketChanges { StartAt = Optional.Of(T0.AddDays(3)) }, TicketSettings.Default, Ada, Later))
            .Field.ShouldBe("startAt");
        Should.Throw<DomainValidationException>(() => ticket.Update(new TicketChanges { DueAt = Optional.Of<DateTimeOffset?>(T0) }, TicketSettings.Default, Ada, Later))
            .Field.ShouldBe("dueAt");
        ticket.StartAt.ShouldBe(T0.AddDays(1));
    }

    [Fact]
    public void A_closed_ticket_still_takes_its_resolution_record()
    {
        var ticket = In(TicketStatus.Closed);
        var first = Helpdesk.Domain.Knowledge.Resolution.Write(null, ticket.Id, "Cleaned the rollers", null, "agt_ada", Later);

        ticket.RecordResolution(null, first, emailContact: false, Ada, Later);
        ticket.RecordResolution(first, Helpdesk.Domain.Knowledge.Resolution.Write(first, ticket.Id, "Replaced the rollers", null, "agt_ada", Later), emailContact: false, Ada, Later);

        ticket.Status.ShouldBe(TicketStatus.Closed);
        ticket.PendingHistory.Select(h => h.Changes.Single().To).ShouldBe(["Cleaned the rollers", "Replaced the rollers"]);
    }

    [Fact]
    public void Portal_visibility_changes_once_with_history_even_on_a_closed_ticket()
    {
        var ticket = In(TicketStatus.Closed);

        ticket.ChangePortalVisibility(PortalVisibility.Account, Ada, Later);
        ticket.ChangePortalVisibility(PortalVisibility.Account, Ada, Later);

        ticket.Portal.ShouldBe(PortalVisibility.Account);
        ticket.PendingHistory.Single().Changes.ShouldBe([new FieldChange("portalVisibility", "default", "account")]);
        ticket.PendingEvents.Single().Type.ShouldBe(TicketEventTypes.Updated);
    }
}
