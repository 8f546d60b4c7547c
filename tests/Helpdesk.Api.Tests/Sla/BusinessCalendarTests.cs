using Helpdesk.Api.Sla;

namespace Helpdesk.Api.Tests.Sla;

/// <summary>Business-time arithmetic, in Paris (UTC+1 in winter, UTC+2 in summer).</summary>
public sealed class BusinessCalendarTests
{
    private static readonly BusinessCalendar Paris = Calendar(
        "Europe/Paris",
        new()
        {
            ["monday"] = [new("09:00", "12:00"), new("14:00", "18:00")],
            ["tuesday"] = [new("09:00", "12:00"), new("14:00", "18:00")],
            ["wednesday"] = [new("09:00", "12:00"), new("14:00", "18:00")],
            ["thursday"] = [new("09:00", "12:00"), new("14:00", "18:00")],
            ["friday"] = [new("09:00", "12:00"), new("14:00", "18:00")],
        },
        [new Holiday("2026-12-25", null, "Christmas"), new Holiday("2026-08-10", "2026-08-14", "Summer closing")]);

    private static BusinessCalendar Calendar(string zone, Dictionary<string, IReadOnlyList<WorkingInterval>> week, IReadOnlyList<Holiday>? holidays = null) =>
        BusinessCalendar.From(new BusinessCalendarDocument("cal_test", "Test", zone, week, holidays ?? [], Active: true));

    private static DateTimeOffset Utc(string text) => DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void Working_time_skips_the_lunch_break_and_the_night()
    {
        // Monday 2026-03-02, 10:00 Paris (09:00Z) to Tuesday 10:00 Paris: 2 + 4 + 1 hours.
        Paris.WorkingTime(Utc("2026-03-02T09:00Z"), Utc("2026-03-03T09:00Z")).ShouldBe(TimeSpan.FromHours(7));
    }

    [Fact]
    public void Adding_time_on_a_friday_evening_lands_on_monday()
    {
        // Friday 2026-03-06 17:00 Paris (16:00Z) + 2 h → Monday 10:00 Paris.
        Paris.Add(Utc("2026-03-06T16:00Z"), TimeSpan.FromHours(2)).ShouldBe(Utc("2026-03-09T09:00Z"));
    }

    [Fact]
    public void Adding_time_from_outside_working_hours_starts_at_the_next_opening()
    {
        // Saturday noon + 30 min → Monday 09:30 Paris.
        Paris.Add(Utc("2026-03-07T11:00Z"), TimeSpan.FromMinutes(30)).ShouldBe(Utc("2026-03-09T08:30Z"));
    }

    [Fact]
    public void Holidays_do_not_count_single_days_or_ranges()
    {
        // Thursday 2026-12-24 17:00 Paris + 2 h: Christmas Friday is off → Monday 2026-12-28 10:00.
        Paris.Add(Utc("2026-12-24T16:00Z"), TimeSpan.FromHours(2)).ShouldBe(Utc("2026-12-28T09:00Z"));

        // The week of the summer closing has no working time at all.
        Paris.WorkingTime(Utc("2026-08-09T00:00Z"), Utc("2026-08-16T00:00Z")).ShouldBe(TimeSpan.Zero);
    }

    [Fact]
    public void The_spring_forward_night_does_not_shift_office_hours()
    {
        // 2026-03-29 clocks go from 02:00 to 03:00 in Paris. Friday 27th 17:00 (UTC+1) + 2 h →
        // Monday 30th 10:00 (UTC+2) = 08:00Z.
        Paris.Add(Utc("2026-03-27T16:00Z"), TimeSpan.FromHours(2)).ShouldBe(Utc("2026-03-30T08:00Z"));
    }

    [Fact]
    public void A_shift_over_the_fall_back_night_counts_the_repeated_hour()
    {
        // Round the clock on Sunday 2026-10-25, when 02:00–03:00 happens twice: 25 real hours.
        var sunday = Calendar("Europe/Paris", new() { ["sunday"] = [new("00:00", "24:00")] });
        sunday.WorkingTime(Utc("2026-10-24T00:00Z"), Utc("2026-10-27T00:00Z")).ShouldBe(TimeSpan.FromHours(25));
    }

    [Fact]
    public void A_shift_over_the_spring_forward_night_loses_the_skipped_hour()
    {
        // Night shift 01:00–04:00 on 2026-03-29: 02:00–03:00 does not exist, 2 real hours.
        var night = Calendar("Europe/Paris", new() { ["sunday"] = [new("01:00", "04:00")] });
        night.WorkingTime(Utc("2026-03-28T00:00Z"), Utc("2026-03-30T00:00Z")).ShouldBe(TimeSpan.FromHours(2));
    }

    [Fact]
    public void Several_intervals_a_day_are_each_counted()
    {
        Paris.WorkingTime(Utc("2026-03-02T00:00Z"), Utc("2026-03-03T00:00Z")).ShouldBe(TimeSpan.FromHours(7));
        Paris.Add(Utc("2026-03-02T10:30Z"), TimeSpan.FromHours(1)).ShouldBe(Utc("2026-03-02T13:30Z"));
    }

    [Fact]
    public void Days_without_hours_are_skipped_and_a_calendar_without_any_never_falls_due()
    {
        var empty = Calendar("Europe/Paris", []);
        empty.WorkingTime(Utc("2026-03-02T00:00Z"), Utc("2026-04-02T00:00Z")).ShouldBe(TimeSpan.Zero);
        empty.Add(Utc("2026-03-02T00:00Z"), TimeSpan.FromMinutes(1)).ShouldBeNull();
    }

    [Fact]
    public void Working_time_and_adding_agree()
    {
        var from = Utc("2026-03-05T15:17Z");
        for (var minutes = 1; minutes < 3000; minutes += 97)
        {
            var due = Paris.Add(from, TimeSpan.FromMinutes(minutes))!.Value;
            Paris.WorkingTime(from, due).ShouldBe(TimeSpan.FromMinutes(minutes));
        }
    }

    [Fact]
    public void Around_the_clock_counts_every_second()
    {
        BusinessCalendar.AroundTheClock.WorkingTime(Utc("2026-03-07T11:00Z"), Utc("2026-03-08T11:00Z")).ShouldBe(TimeSpan.FromHours(24));
        BusinessCalendar.AroundTheClock.Add(Utc("2026-03-07T11:00Z"), TimeSpan.FromHours(4)).ShouldBe(Utc("2026-03-07T15:00Z"));
    }
}
