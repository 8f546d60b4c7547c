using NodaTime;

namespace Helpdesk.Api.Time;

public sealed class TimeOptions
{
    public const string Section = "Time";

    /// <summary>Time may still be recorded on a closed ticket (late entries for billing).</summary>
    public bool AllowOnClosedTickets { get; set; }

    /// <summary>A timer running longer than this was forgotten: it records this much and is flagged.</summary>
    public double MaxTimerHours { get; set; } = 10;

    /// <summary>Two heartbeats further apart than this mean the agent was away; the gap does not count.</summary>
    public int HeartbeatGapSeconds { get; set; } = 120;

    /// <summary>The zone that dates work on tickets of accounts without their own (IANA name).</summary>
    public string DefaultTimeZone { get; set; } = "UTC";

    public TimeSpan MaxTimer => TimeSpan.FromHours(MaxTimerHours);

    public TimeSpan HeartbeatGap => TimeSpan.FromSeconds(HeartbeatGapSeconds);

    public static bool IsTimeZone(string? name) => name is not null && DateTimeZoneProviders.Tzdb.GetZoneOrNull(name) is not null;
}
