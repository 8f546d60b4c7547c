using Helpdesk.Api.Sla;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Tests.Sla;

/// <summary>
/// The clocks as a pure function of a ticket's timeline. Tickets are driven through the
/// aggregate; replies and customer messages are timeline marks, added to the snapshot as the
/// conversation records them.
/// </summary>
public sealed class SlaClockTests
{
    // Monday 2026-03-02 09:00Z = 10:00 in Paris.
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);
    private static readonly Actor Ada = Actor.Agent("agt_ada");

    private static readonly BusinessCalendar Office = BusinessCalendar.From(new BusinessCalendarDocument(
        "cal_office",
        "Office",
        "Europe/Paris",
        SlaDefaults.Days.Take(5).ToDictionary(d => d, IReadOnlyList<WorkingInterval> (_) => [new("09:00", "18:00")]),
        [],
        Active: true));

    private static SlaPolicy Policy(SlaTargetMinutes normal, double warning = 0.25) =>
        SlaDefaults.DefaultPolicy with
        {
            Targets = new Dictionary<string, SlaTargetMinutes> { ["normal"] = normal, ["urgent"] = new(FirstResponse: 30, Resolution: 120) },
            WarningThreshold = warning,
        };

    private static Ticket NewTicket(Priority priority = Priority.Normal) =>
        Ticket.Create(
            new NewTicket("t_1", "HD-1", "Printer jams", null, new Requester("con_alice", "alice@contoso.com", "Alice"), null, priority, null, null, null, null, null, null, null, null, [], true),
            Actor.Customer("con_alice"),
            TicketSettings.Default,
            T0);

    private static Ticket With(Ticket ticket, params TimelineMark[] marks) =>
        Ticket.Rehydrate(ticket.ToSnapshot() with { Timeline = [.. ticket.Timeline, .. marks] }, ticket.Version);

    private static SlaTargetClock Clock(Ticket ticket, SlaPolicy policy, DateTimeOffset now, string target, BusinessCalendar? calendar = null) =>
        SlaClock.Compute(ticket, policy, calendar ?? BusinessCalendar.AroundTheClock, now).Find(target)!;

    [Fact]
    public void A_new_ticket_runs_and_is_due_after_the_target()
    {
        var clock = Clock(NewTicket(), Policy(new(FirstResponse: 60)), T0.AddMinutes(20), SlaClock.FirstResponse);

        clock.State.ShouldBe(SlaState.Running);
        clock.DueAt.ShouldBe(T0.AddMinutes(60));
        clock.Remaining.ShouldBe(TimeSpan.FromMinutes(40));
    }

    [Fact]
    public void Under_the_warning_threshold_the_target_warns_and_the_ticket_turns_orange()
    {
        var status = SlaClock.Compute(NewTicket(), Policy(new(FirstResponse: 60)), BusinessCalendar.AroundTheClock, T0.AddMinutes(50));

        status.Find(SlaClock.FirstResponse)!.State.ShouldBe(SlaState.Warning);
        status.Find(SlaClock.FirstResponse)!.WarningAt.ShouldBe(T0.AddMinutes(45));
        status.Color.ShouldBe(SlaColor.Orange);
    }

    [Fact]
    public void Past_the_target_it_is_breached_and_red()
    {
        var status = SlaClock.Compute(NewTicket(), Policy(new(FirstResponse: 60)), BusinessCalendar.AroundTheClock, T0.AddMinutes(61));

        status.Find(SlaClock.FirstResponse)!.State.ShouldBe(SlaState.Breached);
        status.Find(SlaClock.FirstResponse)!.BreachedAt.ShouldBe(T0.AddMinutes(60));
        status.Color.ShouldBe(SlaColor.Red);
    }

    [Fact]
    public void An_agent_reply_meets_the_first_response_and_an_internal_note_does_not()
    {
        var policy = Policy(new(FirstResponse: 60));
        var ticket = NewTicket();
        ticket.MarkSaved(1);

        Clock(ticket, policy, T0.AddMinutes(70), SlaClock.FirstResponse).State.ShouldBe(SlaState.Breached);

        var replied = With(ticket, new TimelineMark(T0.AddMinutes(30), TimelineKinds.AgentReplied));
        var clock = Clock(replied, policy, T0.AddMinutes(70), SlaClock.FirstResponse);
        clock.State.ShouldBe(SlaState.Met);
        clock.Elapsed.ShouldBe(TimeSpan.FromMinutes(30));
        clock.DueAt.ShouldBeNull();
    }

    [Fact]
    public void Waiting_on_the_customer_pauses_the_clock_and_the_pause_never_counts()
    {
        var policy = Policy(new(Resolution: 240));
        var ticket = NewTicket();
        ticket.MarkSaved(1);
        ticket.WaitOnCustomer(Ada, T0.AddMinutes(60));

        var paused = Clock(ticket, policy, T0.AddHours(30), SlaClock.Resolution);
        paused.State.ShouldBe(SlaState.Paused);
        paused.Remaining.ShouldBe(TimeSpan.FromMinutes(180));
        paused.DueAt.ShouldBeNull();

        ticket.CustomerResponded(Actor.Customer("con_alice"), T0.AddHours(30));
        var resumed = Clock(ticket, policy, T0.AddHours(31), SlaClock.Resolution);
        resumed.State.ShouldBe(SlaState.Running);
        resumed.Elapsed.ShouldBe(TimeSpan.FromHours(2));
        resumed.DueAt.ShouldBe(T0.AddHours(30) + TimeSpan.FromHours(3));
    }

    [Fact]
    public void A_pause_over_the_night_counts_neither_the_night_nor_the_pause()
    {
        var policy = Policy(new(Resolution: 8 * 60)) with { CalendarId = "cal_office" };
        var ticket = NewTicket();
        ticket.MarkSaved(1);

        // Paris: created Monday 10:00, waits from 16:00 to Tuesday 11:00, checked at Tuesday 12:00.
        ticket.WaitOnCustomer(Ada, T0.AddHours(6));
        ticket.CustomerResponded(Actor.Customer("con_alice"), T0.AddHours(25));
        var clock = Clock(ticket, policy, T0.AddHours(26), SlaClock.Resolution, Office);

        clock.Elapsed.ShouldBe(TimeSpan.FromHours(7));
        clock.DueAt.ShouldBe(T0.AddHours(27));
    }

    [Fact]
    public void A_priority_change_applies_the_new_target_and_keeps_the_elapsed_time()
    {
        var policy = Policy(new(Resolution: 8 * 60));
        var ticket = NewTicket();
        ticket.MarkSaved(1);
        ticket.Update(new TicketChanges { Priority = Optional.Of(Priority.Urgent) }, TicketSettings.Default, Ada, T0.AddMinutes(90));

        var clock = Clock(ticket, policy, T0.AddMinutes(100), SlaClock.Resolution);

        clock.Goal.ShouldBe(TimeSpan.FromMinutes(120));
        clock.Elapsed.ShouldBe(TimeSpan.FromMinutes(100));
        clock.State.ShouldBe(SlaState.Warning);
        clock.DueAt.ShouldBe(T0.AddMinutes(120));
    }

    [Fact]
    public void A_reopened_ticket_resumes_its_resolution_clock_where_it_stopped()
    {
        var policy = Policy(new(Resolution: 240));
        var ticket = NewTicket();
        ticket.MarkSaved(1);
        ticket.Resolve("fixed", null, Ada, T0.AddMinutes(60));

        var resolved = Clock(ticket, policy, T0.AddHours(5), SlaClock.Resolution);
        resolved.State.ShouldBe(SlaState.Met);
        resolved.Stopped.ShouldBeTrue();

        ticket.Reopen(Actor.Customer("con_alice"), T0.AddHours(10));
        var reopened = Clock(ticket, policy, T0.AddHours(11), SlaClock.Resolution);
        reopened.State.ShouldBe(SlaState.Running);
        reopened.Elapsed.ShouldBe(TimeSpan.FromHours(2));
        reopened.DueAt.ShouldBe(T0.AddHours(13));
    }

    [Fact]
    public void Resolved_late_is_breached_for_good()
    {
        var ticket = NewTicket();
        ticket.MarkSaved(1);
        ticket.Resolve("fixed", null, Ada, T0.AddHours(5));

        var clock = Clock(ticket, Policy(new(Resolution: 240)), T0.AddHours(6), SlaClock.Resolution);

        clock.State.ShouldBe(SlaState.Breached);
        clock.Stopped.ShouldBeTrue();
    }

    [Fact]
    public void Every_customer_message_after_a_reply_waits_for_the_next_response()
    {
        var policy = Policy(new(FirstResponse: 60, NextResponse: 30));
        var ticket = With(
            NewTicket(),
            new TimelineMark(T0.AddMinutes(10), TimelineKinds.AgentReplied),
            new TimelineMark(T0.AddMinutes(40), TimelineKinds.CustomerMessage),
            new TimelineMark(T0.AddMinutes(50), TimelineKinds.CustomerMessage));

        var waiting = Clock(ticket, policy, T0.AddMinutes(60), SlaClock.NextResponse);
        waiting.State.ShouldBe(SlaState.Running);
        waiting.DueAt.ShouldBe(T0.AddMinutes(70));

        var answered = Clock(With(ticket, new TimelineMark(T0.AddMinutes(65), TimelineKinds.AgentReplied)), policy, T0.AddMinutes(90), SlaClock.NextResponse);
        answered.State.ShouldBe(SlaState.Met);
        answered.Elapsed.ShouldBe(TimeSpan.FromMinutes(25));
    }

    [Fact]
    public void A_ticket_opened_in_a_chat_is_answered_within_the_chat_target_and_a_chat_on_an_existing_ticket_keeps_the_priority_target()
    {
        var policy = Policy(new(FirstResponse: 240)) with { ChatFirstResponseMinutes = 5 };
        var opened = NewTicket();
        opened.StartChat("chat_new", "con_alice", Actor.Customer("con_alice"), T0);
        var continued = NewTicket();
        continued.MarkSaved(1);
        continued.StartChat("chat_later", "con_alice", Actor.Customer("con_alice"), T0.AddMinutes(1));

        var chat = SlaClock.Compute(opened, policy, BusinessCalendar.AroundTheClock, T0.AddMinutes(4));
        chat.ChatFirstResponse.ShouldBeTrue();
        chat.Find(SlaClock.FirstResponse)!.DueAt.ShouldBe(T0.AddMinutes(5));
        chat.Find(SlaClock.FirstResponse)!.State.ShouldBe(SlaState.Warning);
        Clock(opened, policy, T0.AddMinutes(6), SlaClock.FirstResponse).State.ShouldBe(SlaState.Breached);

        var mail = SlaClock.Compute(continued, policy, BusinessCalendar.AroundTheClock, T0.AddMinutes(6));
        mail.ChatFirstResponse.ShouldBeFalse();
        mail.Find(SlaClock.FirstResponse)!.DueAt.ShouldBe(T0.AddMinutes(240));

        var withoutChatTarget = SlaClock.Compute(opened, Policy(new(FirstResponse: 240)), BusinessCalendar.AroundTheClock, T0.AddMinutes(6));
        withoutChatTarget.ChatFirstResponse.ShouldBeFalse();
        withoutChatTarget.Find(SlaClock.FirstResponse)!.DueAt.ShouldBe(T0.AddMinutes(240));
    }

    [Fact]
    public void A_ticket_without_action_goes_idle_and_any_action_restarts_that_clock()
    {
        var policy = Policy(new(Idle: 120));
        var ticket = NewTicket();
        ticket.MarkSaved(1);

        Clock(ticket, policy, T0.AddMinutes(121), SlaClock.Idle).State.ShouldBe(SlaState.Breached);

        ticket.Start(Ada, T0.AddMinutes(100));
        var clock = Clock(ticket, policy, T0.AddMinutes(121), SlaClock.Idle);
        clock.State.ShouldBe(SlaState.Running);
        clock.DueAt.ShouldBe(T0.AddMinutes(220));
    }

    [Fact]
    public void Reach_status_is_met_by_that_status_or_a_later_one()
    {
        var policy = Policy(new(ReachStatus: [new ReachStatusTarget("inProgress", 30)]));
        var ticket = NewTicket();
        ticket.MarkSaved(1);

        Clock(ticket, policy, T0.AddMinutes(31), SlaClock.ReachStatus).State.ShouldBe(SlaState.Breached);

        ticket.Resolve("quick fix", null, Ada, T0.AddMinutes(20));
        Clock(ticket, policy, T0.AddMinutes(31), SlaClock.ReachStatus).State.ShouldBe(SlaState.Met);
    }

    [Fact]
    public void The_same_inputs_give_the_same_clocks()
    {
        var policy = Policy(new(FirstResponse: 60, Resolution: 600)) with { CalendarId = "cal_office" };
        var ticket = NewTicket();
        ticket.MarkSaved(1);
        ticket.WaitOnCustomer(Ada, T0.AddHours(3));

        var first = SlaClock.Compute(ticket, policy, Office, T0.AddHours(50));
        var second = SlaClock.Compute(Ticket.Rehydrate(ticket.ToSnapshot(), 1), policy, Office, T0.AddHours(50));

        second.Targets.ShouldBe(first.Targets);
    }
}
