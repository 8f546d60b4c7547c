using Helpdesk.Domain.Common;

namespace Helpdesk.Domain.Work;

/// <summary>How a time entry came to be: typed in, recorded by the timer, gathered from heartbeats, or reported by an on-site intervention.</summary>
public enum TimeEntrySource
{
    Manual,
    Timer,
    Heartbeat,
    Intervention,
}

/// <summary>
/// Work an agent did on a ticket on one day. A draft (gathered from heartbeats while the agent
/// had the ticket open) is never billable and counts nowhere until its agent confirms it.
/// A capped entry comes from a timer left running past the configured maximum.
/// </summary>
public sealed record TimeEntry(
    string Id,
    string TicketId,
    string AgentId,
    int Minutes,
    bool Billable,
    string? Note,
    DateOnly WorkDate,
    TimeEntrySource Source,
    bool Draft,
    bool Capped,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    public const int MaxMinutes = 24 * 60;
    public const int MaxNoteLength = 4000;

    public static TimeEntry Log(string id, string ticketId, string agentId, int minutes, bool billable, string? note, DateOnly workDate, DateTimeOffset now) =>
        new(id, ticketId, agentId, CheckMinutes(minutes), billable, CheckNote(note), workDate, TimeEntrySource.Manual, Draft: false, Capped: false, now, now);

    public static TimeEntry FromTimer(string id, RunningTimer timer, TimerReading reading, DateOnly workDate, DateTimeOffset now) =>
        new(id, timer.TicketId, timer.AgentId, CheckMinutes(reading.Minutes), Billable: true, reading.Capped ? "Timer left running: capped." : null, workDate, TimeEntrySource.Timer, Draft: false, reading.Capped, now, now);

    public static TimeEntry DraftFromPresence(string id, Presence presence, DateOnly workDate, DateTimeOffset now) =>
        new(id, presence.TicketId, presence.AgentId, presence.Minutes, Billable: false, Note: null, workDate, TimeEntrySource.Heartbeat, Draft: true, Capped: false, now, now);

    /// <summary>The time a completed intervention reports, counted for its technician on the day of the visit.</summary>
    public static TimeEntry FromIntervention(string id, Intervention intervention, DateOnly workDate, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(intervention);
        var report = intervention.Report ?? throw new ArgumentException("The intervention is not completed.", nameof(intervention));
        return new(id, intervention.TicketId, intervention.Plan.TechnicianId, CheckMinutes(report.ActualMinutes), report.Billable, $"On-site intervention {intervention.Id}", workDate, TimeEntrySource.Intervention, Draft: false, Capped: false, now, now);
    }

    public TimeEntry Edit(int minutes, bool billable, string? note, DateOnly workDate, DateTimeOffset now) =>
        Draft
            ? throw new DomainRuleException("entry-is-draft", "A draft is edited by confirming it first.")
            : this with { Minutes = CheckMinutes(minutes), Billable = billable, Note = CheckNote(note), WorkDate = workDate, UpdatedAt = now };

    /// <summary>A draft grows with the presence it was gathered from; a confirmed entry no longer follows it.</summary>
    public TimeEntry Grow(Presence presence, DateTimeOffset now) =>
        Draft ? this with { Minutes = presence.Minutes, UpdatedAt = now } : this;

    /// <summary>The agent accepts a draft as real work, billable or not.</summary>
    public TimeEntry Confirm(bool billable, DateTimeOffset now) =>
        Draft
            ? this with { Draft = false, Billable = billable, UpdatedAt = now }
            : throw new DomainRuleException("entry-not-draft", "Only a draft entry can be confirmed; this one already counts.");

    private static int CheckMinutes(int minutes) =>
        minutes is < 1 or > MaxMinutes
            ? throw new DomainValidationException("minutes", $"An entry is from 1 to {MaxMinutes} minutes (24 hours).")
            : minutes;

    private static string? CheckNote(string? note)
    {
        var clean = string.IsNullOrWhiteSpace(note) ? null : note.Trim();
        return clean is { Length: > MaxNoteLength }
            ? throw new DomainValidationException("note", $"The note is at most {MaxNoteLength} characters.")
            : clean;
    }
}

/// <summary>What a stopped timer amounts to.</summary>
public sealed record TimerReading(int Minutes, bool Capped);

/// <summary>An agent's running timer; an agent has at most one, on one ticket.</summary>
public sealed record RunningTimer(string AgentId, string TicketId, DateTimeOffset StartedAt)
{
    /// <summary>
    /// Elapsed time rounded to the nearest minute, at least one (a started timer is work done).
    /// A timer running longer than <paramref name="max"/> was forgotten: it counts
    /// <paramref name="max"/> and is flagged as capped.
    /// </summary>
    public TimerReading Read(DateTimeOffset now, TimeSpan max)
    {
        var elapsed = now - StartedAt;
        if (elapsed > max)
        {
            return new TimerReading((int)Math.Round(max.TotalMinutes, MidpointRounding.AwayFromZero), Capped: true);
        }

        var minutes = (int)Math.Round(Math.Max(0, elapsed.TotalMinutes), MidpointRounding.AwayFromZero);
        return new TimerReading(Math.Max(1, minutes), Capped: false);
    }
}

/// <summary>
/// Time an agent spends with a ticket open, reported by the front end as heartbeats. The time
/// between two beats counts only when they are close enough: a longer gap means the agent was
/// away, and counting restarts at the later beat.
/// </summary>
public sealed record Presence(string AgentId, string TicketId, DateTimeOffset LastBeatAt, long Seconds, string? DraftEntryId)
{
    public static Presence Begin(string agentId, string ticketId, DateTimeOffset now) => new(agentId, ticketId, now, 0, null);

    public int Minutes => (int)Math.Clamp((Seconds + 59) / 60, 1, TimeEntry.MaxMinutes);

    public Presence Beat(DateTimeOffset now, TimeSpan maxGap)
    {
        var gap = now - LastBeatAt;
        if (gap <= TimeSpan.Zero)
        {
            return this;
        }

        return gap > maxGap
            ? this with { LastBeatAt = now }
            : this with { LastBeatAt = now, Seconds = Seconds + (long)gap.TotalSeconds };
    }
}
