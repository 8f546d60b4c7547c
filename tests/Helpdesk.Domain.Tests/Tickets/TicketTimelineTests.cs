using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;
using static Helpdesk.Domain.Tests.Tickets.TicketBuilder;

namespace Helpdesk.Domain.Tests.Tickets;

public sealed class TicketTimelineTests
{
    [Fact]
    public void A_new_ticket_starts_its_timeline_with_status_priority_type_and_team()
    {
        var ticket = New();

        ticket.Timeline.ShouldBe(
        [
            new TimelineMark(T0, TimelineKinds.Status, "new"),
            new TimelineMark(T0, TimelineKinds.Priority, "normal"),
            new TimelineMark(T0, TimelineKinds.Type, "incident"),
            new TimelineMark(T0, TimelineKinds.Team, "team_support"),
        ]);
    }

    [Fact]
    public void Status_priority_type_and_team_changes_are_marked_other_fields_are_not()
    {
        var ticket = New();
        var later = T0.AddHours(1);

        ticket.Update(new TicketChanges { Priority = Optional.Of(Priority.Urgent), Subject = Optional.Of("Renamed") }, TicketSettings.Default, Ada, later);
        ticket.Assign(null, "team_experts", Ada, later.AddMinutes(1));
        ticket.WaitOnCustomer(Ada, later.AddMinutes(2));

        ticket.Timeline.Skip(4).ShouldBe(
        [
            new TimelineMark(later, TimelineKinds.Priority, "urgent"),
            new TimelineMark(later.AddMinutes(1), TimelineKinds.Team, "team_experts"),
            new TimelineMark(later.AddMinutes(2), TimelineKinds.Status, "waitingOnCustomer"),
        ]);
    }

    [Fact]
    public void Only_people_count_as_the_last_action()
    {
        var ticket = New();

        ticket.Start(Actor.System("sla-scan"), T0.AddHours(1));
        ticket.LastActionAt.ShouldBe(T0);

        ticket.WaitOnCustomer(Ada, T0.AddHours(2));
        ticket.LastActionAt.ShouldBe(T0.AddHours(2));
    }

    [Fact]
    public void A_stored_ticket_from_before_timelines_reads_as_an_empty_timeline()
    {
        var legacy = New().ToSnapshot() with { Timeline = null, LastActionAt = null };

        var ticket = Ticket.Rehydrate(legacy, 3);

        ticket.Timeline.ShouldBeEmpty();
        ticket.LastActionAt.ShouldBe(ticket.CreatedAt);
    }
}
