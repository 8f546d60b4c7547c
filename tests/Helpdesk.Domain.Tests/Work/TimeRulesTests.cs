using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tests.Tickets;
using Helpdesk.Domain.Tickets;
using Helpdesk.Domain.Work;

namespace Helpdesk.Domain.Tests.Work;

public sealed class TimeRulesTests
{
    private static readonly DateTimeOffset T0 = TicketBuilder.T0;
    private static readonly DateOnly Day = new(2026, 3, 2);

    [Theory]
    [InlineData(0, 1, false)]
    [InlineData(29, 1, false)]
    [InlineData(30, 1, false)]
    [InlineData(89, 1, false)]
    [InlineData(90, 2, false)]
    [InlineData(36_000, 600, false)]
    [InlineData(36_001, 600, true)]
    public void A_timer_reads_the_nearest_minute_at_least_one_and_at_most_the_cap(int seconds, int minutes, bool capped)
    {
        var timer = new RunningTimer("agt_ada", "t_1", T0);

        timer.Read(T0.AddSeconds(seconds), TimeSpan.FromHours(10)).ShouldBe(new TimerReading(minutes, capped));
    }

    [Fact]
    public void Presence_counts_close_heartbeats_and_skips_long_gaps()
    {
        var gap = TimeSpan.FromMinutes(2);
        var presence = Presence.Begin("agt_ada", "t_1", T0)
            .Beat(T0.AddSeconds(60), gap)
            .Beat(T0.AddSeconds(120), gap)
            .Beat(T0.AddSeconds(120), gap)
            .Beat(T0.AddSeconds(1000), gap)
            .Beat(T0.AddSeconds(1001), gap);

        presence.Seconds.ShouldBe(121);
        presence.Minutes.ShouldBe(3);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(1441)]
    public void An_entry_outside_one_minute_to_a_day_is_refused(int minutes) =>
        Should.Throw<DomainValidationException>(() => TimeEntry.Log("tim_1", "t_1", "agt_ada", minutes, true, null, Day, T0)).Field.ShouldBe("minutes");

    [Fact]
    public void Logging_time_on_a_closed_ticket_is_refused_unless_allowed()
    {
        var ticket = TicketBuilder.In(TicketStatus.Closed);
        var entry = TimeEntry.Log("tim_1", ticket.Id, "agt_ada", 30, true, "late", Day, T0);

        Should.Throw<DomainRuleException>(() => ticket.LogTime(entry, allowOnClosed: false, TicketBuilder.Ada, T0)).Code.ShouldBe("ticket-closed");
        ticket.LogTime(entry, allowOnClosed: true, TicketBuilder.Ada, T0);

        ticket.PendingHistory.Single().Action.ShouldBe("timeLogged");
        ticket.PendingEvents.Single().Type.ShouldBe(WorkEventTypes.TimeLogged);
        ticket.PendingEvents.Single().Data["minutes"].ShouldBe("30");
    }

    [Fact]
    public void Changing_nothing_records_nothing()
    {
        var ticket = TicketBuilder.In(TicketStatus.Open);
        var entry = TimeEntry.Log("tim_1", ticket.Id, "agt_ada", 30, true, "x", Day, T0);

        ticket.ChangeTime(entry, entry.Edit(30, true, " x ", Day, T0), allowOnClosed: false, TicketBuilder.Ada, T0);

        ticket.PendingHistory.ShouldBeEmpty();
    }

    [Fact]
    public void An_hour_bank_reports_used_left_and_overrun_hours()
    {
        var bank = new HourBank("acc_1", 2m, "UTC");

        bank.Use(100).ShouldBe(new HourBankUse(2m, 1.67m, 0.33m, 0m, false));
        bank.Use(120).ShouldBe(new HourBankUse(2m, 2m, 0m, 0m, false));
        bank.Use(135).ShouldBe(new HourBankUse(2m, 2.25m, 0m, 0.25m, true));
    }

    [Fact]
    public void Report_hours_come_from_summed_minutes_not_from_rounded_lines()
    {
        TimeRow[] rows = [.. Enumerable.Range(0, 3).Select(i => new TimeRow("agt_ada", "t_1", "HD-1", "acc_1", 1, true))];

        var report = TimeReport.Build("2026-03", rows, new Dictionary<string, HourBank>());

        report.Totals.Minutes.ShouldBe(3);
        report.Totals.Hours.ShouldBe(0.05m, "3 minutes are 0.05 hours, three 1-minute lines rounded alone would give 0.06");
    }
}
