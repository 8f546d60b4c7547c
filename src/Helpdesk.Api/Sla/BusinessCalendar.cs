using NodaTime;

namespace Helpdesk.Api.Sla;

/// <summary>
/// Business-time arithmetic in a time zone: weekly working intervals (several per day), holidays
/// (single days or ranges). Local times are mapped to instants leniently, so a spring-forward day
/// loses the skipped hour and a fall-back day gains the repeated one — what a clock on the wall of
/// the support office shows. <see cref="AroundTheClock"/> counts every second.
/// </summary>
public sealed class BusinessCalendar
{
    /// <summary>How far ahead a due date is searched before it is declared unreachable (a calendar of holidays only).</summary>
    private const int HorizonDays = 3 * 366;

    private readonly DateTimeZone? _zone;
    private readonly IReadOnlyList<(int Start, int End)>[] _week;
    private readonly IReadOnlyList<(LocalDate From, LocalDate To)> _holidays;

    private BusinessCalendar(DateTimeZone? zone, IReadOnlyList<(int Start, int End)>[] week, IReadOnlyList<(LocalDate From, LocalDate To)> holidays)
    {
        _zone = zone;
        _week = week;
        _holidays = holidays;
    }

    public static BusinessCalendar AroundTheClock { get; } = new(null, [], []);

    /// <summary>Builds the calendar of a stored (validated) document.</summary>
    public static BusinessCalendar From(BusinessCalendarDocument document)
    {
        var zone = DateTimeZoneProviders.Tzdb[document.TimeZone];
        var week = new IReadOnlyList<(int, int)>[7];
        for (var day = 0; day < 7; day++)
        {
            week[day] = document.Week.TryGetValue(SlaDefaults.Days[day], out var intervals)
                ? [.. intervals.Select(i => (CalendarValidator.ParseTime(i.Start)!.Value, CalendarValidator.ParseTime(i.End)!.Value)).OrderBy(i => i.Item1)]
                : [];
        }

        var holidays = document.Holidays
            .Select(h => (CalendarValidator.ParseDate(h.From)!.Value, CalendarValidator.ParseDate(h.To ?? h.From)!.Value))
            .ToArray();
        return new BusinessCalendar(zone, week, holidays);
    }

    /// <summary>Working time in [<paramref name="from"/>, <paramref name="to"/>); zero when <paramref name="to"/> is not after <paramref name="from"/>.</summary>
    public TimeSpan WorkingTime(DateTimeOffset from, DateTimeOffset to)
    {
        if (to <= from)
        {
            return TimeSpan.Zero;
        }

        if (_zone is null)
        {
            return to - from;
        }

        var total = TimeSpan.Zero;
        foreach (var (start, end) in Intervals(from, (int)(to - from).TotalDays + 2))
        {
            if (start >= to)
            {
                break;
            }

            total += Min(end, to) - Max(start, from);
        }

        return total;
    }

    /// <summary>
    /// The instant at which <paramref name="amount"/> of working time has passed since
    /// <paramref name="from"/>; null when the calendar has no working time within its horizon.
    /// Adding zero gives <paramref name="from"/> itself.
    /// </summary>
    public DateTimeOffset? Add(DateTimeOffset from, TimeSpan amount)
    {
        if (_zone is null || amount <= TimeSpan.Zero)
        {
            return from + Max(amount, TimeSpan.Zero);
        }

        var left = amount;
        foreach (var (start, end) in Intervals(from, HorizonDays))
        {
            var begin = Max(start, from);
            var available = end - begin;
            if (available >= left)
            {
                return begin + left;
            }

            left -= available;
        }

        return null;
    }

    /// <summary>Working intervals that end after <paramref name="from"/>, in order, over the next <paramref name="days"/> local days.</summary>
    private IEnumerable<(DateTimeOffset Start, DateTimeOffset End)> Intervals(DateTimeOffset from, int days)
    {
        var zone = _zone!;
        var day = Instant.FromDateTimeOffset(from).InZone(zone).Date;
        for (var i = 0; i < days; i++, day = day.PlusDays(1))
        {
            if (IsHoliday(day))
            {
                continue;
            }

            foreach (var (startMinute, endMinute) in _week[(int)day.DayOfWeek - 1])
            {
                var start = At(zone, day, startMinute);
                var end = At(zone, day, endMinute);
                if (end > from && end > start)
                {
                    yield return (start, end);
                }
            }
        }
    }

    private bool IsHoliday(LocalDate day)
    {
        foreach (var (holidayFrom, holidayTo) in _holidays)
        {
            if (day >= holidayFrom && day <= holidayTo)
            {
                return true;
            }
        }

        return false;
    }

    private static DateTimeOffset At(DateTimeZone zone, LocalDate day, int minuteOfDay) =>
        minuteOfDay >= 24 * 60
            ? zone.AtStartOfDay(day.PlusDays(1)).ToDateTimeOffset()
            : zone.AtLeniently(day.At(new LocalTime(minuteOfDay / 60, minuteOfDay % 60))).ToDateTimeOffset();

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
