using Helpdesk.Domain.Common;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Sla;

/// <summary>
/// One target's clock. <see cref="Key"/> names the target and, for targets that restart
/// (next response, idle), the cycle, so milestones of different cycles never collide.
/// <see cref="Stopped"/>: the clock has ended (met, resolved) and can no longer change.
/// </summary>
public sealed record SlaTargetClock(
    string Target,
    string Key,
    string? Status,
    TimeSpan Goal,
    TimeSpan Elapsed,
    SlaState State,
    bool Stopped,
    DateTimeOffset? DueAt,
    DateTimeOffset? WarningAt,
    DateTimeOffset? BreachedAt)
{
    public TimeSpan Remaining => Goal > Elapsed ? Goal - Elapsed : TimeSpan.Zero;
}

/// <summary>
/// A ticket's SLA at one instant: the policy that applies and every target's clock;
/// <paramref name="ChatFirstResponse"/> when the first response counts to the policy's chat target.
/// </summary>
public sealed record SlaStatus(string PolicyId, IReadOnlyList<SlaTargetClock> Targets, bool ChatFirstResponse = false)
{
    public SlaColor Color =>
        Targets.Any(t => t.State == SlaState.Breached && !t.Stopped) ? SlaColor.Red
        : Targets.Any(t => t.State == SlaState.Warning) ? SlaColor.Orange
        : SlaColor.Green;

    public SlaTargetClock? Find(string target) => Targets.FirstOrDefault(t => t.Target == target);
}

/// <summary>
/// The SLA clocks as a pure function of the ticket's timeline (status changes, public agent
/// replies, customer messages), the policy, its calendar and now: recomputing gives the same
/// answer, and nothing about the clocks is stored but the milestones already acted on.
/// Clocks count business time only while the ticket is active and not in a pausing status.
/// A change of priority, type or team selects new targets (possibly a new policy) and the
/// elapsed time is kept, because elapsed time is always measured over the whole timeline.
/// </summary>
public static class SlaClock
{
    public const string FirstResponse = "firstResponse";
    public const string NextResponse = "nextResponse";
    public const string Resolution = "resolution";
    public const string Idle = "idle";
    public const string ReachStatus = "reachStatus";

    public static SlaStatus Compute(Ticket ticket, SlaPolicy policy, BusinessCalendar calendar, DateTimeOffset now)
    {
        var targets = new List<SlaTargetClock>();
        if (!policy.Targets.TryGetValue(Names.Of(ticket.Priority), out var goals))
        {
            return new SlaStatus(policy.Id, targets);
        }

        var ledger = new Ledger(ticket, policy, calendar, now);
        var marks = ticket.Timeline;
        var firstReply = marks.FirstOrDefault(m => m.Kind == TimelineKinds.AgentReplied);

        var chatFirstResponse = ticket.OpenedInChat && policy.ChatFirstResponseMinutes is not null;
        if ((chatFirstResponse ? policy.ChatFirstResponseMinutes : goals.FirstResponse) is { } firstResponse)
        {
            targets.Add(ledger.Clock(FirstResponse, FirstResponse, null, firstResponse, ticket.CreatedAt, firstReply?.At ?? ledger.EndedAt));
        }

        if (goals.NextResponse is { } nextResponse && firstReply is not null && NextResponseCycle(marks, firstReply) is { } cycle)
        {
            var key = $"{NextResponse}@{cycle.Start.ToUnixTimeSeconds()}";
            targets.Add(ledger.Clock(NextResponse, key, null, nextResponse, cycle.Start, cycle.AnsweredAt ?? ledger.EndedAt));
        }

        if (policy.DueDateOverridesResolution && ticket.DueAt is { } deadline)
        {
            targets.Add(ledger.Deadline(Resolution, ticket.CreatedAt, deadline, ledger.EndedAt));
        }
        else if (goals.Resolution is { } resolution)
        {
            targets.Add(ledger.Clock(Resolution, Resolution, null, resolution, ticket.CreatedAt, ledger.EndedAt));
        }

        if (goals.Idle is { } idle && ticket.Status.IsActive())
        {
            var key = $"{Idle}@{ticket.LastActionAt.ToUnixTimeSeconds()}";
            targets.Add(ledger.Clock(Idle, key, null, idle, ticket.LastActionAt, null));
        }

        foreach (var reach in goals.ReachStatus ?? [])
        {
            var wanted = Names.Parse<TicketStatus>(reach.Status);
            var reachedAt = marks.FirstOrDefault(m => m.Kind == TimelineKinds.Status && m.Value is not null && Names.Parse<TicketStatus>(m.Value) >= wanted)?.At;
            var key = $"{ReachStatus}:{reach.Status}";
            targets.Add(ledger.Clock(ReachStatus, key, reach.Status, reach.WithinMinutes, ticket.CreatedAt, reachedAt ?? ledger.EndedAt));
        }

        return new SlaStatus(policy.Id, targets, chatFirstResponse);
    }

    /// <summary>
    /// The customer message that waits for an answer (the first one after the latest agent
    /// reply) or, when none waits, the last answered one; messages before the first reply are
    /// the first-response wait and are not counted twice.
    /// </summary>
    private static (DateTimeOffset Start, DateTimeOffset? AnsweredAt)? NextResponseCycle(IReadOnlyList<TimelineMark> marks, TimelineMark firstReply)
    {
        (DateTimeOffset Start, DateTimeOffset? AnsweredAt)? cycle = null;
        DateTimeOffset? waitingSince = null;
        foreach (var mark in marks.Where(m => m.At >= firstReply.At))
        {
            if (mark.Kind == TimelineKinds.CustomerMessage && waitingSince is null)
            {
                waitingSince = mark.At;
                cycle = (mark.At, null);
            }
            else if (mark.Kind == TimelineKinds.AgentReplied && waitingSince is { } start)
            {
                cycle = (start, mark.At);
                waitingSince = null;
            }
        }

        return cycle;
    }

    /// <summary>The ticket's counting segments (active, not paused) and the arithmetic over them.</summary>
    private sealed class Ledger
    {
        private readonly List<(DateTimeOffset Start, DateTimeOffset End)> _segments = [];
        private readonly BusinessCalendar _calendar;
        private readonly double _warningThreshold;
        private readonly DateTimeOffset _now;
        private readonly bool _countingNow;

        public Ledger(Ticket ticket, SlaPolicy policy, BusinessCalendar calendar, DateTimeOffset now)
        {
            _calendar = calendar;
            _warningThreshold = policy.WarningThreshold;
            _now = now;
            var pausing = policy.PausingStatuses.Select(Names.Parse<TicketStatus>).ToHashSet();
            bool Counts(TicketStatus status) => status.IsActive() && !pausing.Contains(status);

            var changes = ticket.Timeline
                .Where(m => m.Kind == TimelineKinds.Status && m.Value is not null)
                .Select(m => (m.At, Status: Names.Parse<TicketStatus>(m.Value!)))
                .ToList();
            if (changes.Count == 0)
            {
                changes.Add((ticket.CreatedAt, ticket.Status));
            }

            for (var i = 0; i < changes.Count; i++)
            {
                var start = changes[i].At;
                var end = i + 1 < changes.Count ? changes[i + 1].At : now;
                if (Counts(changes[i].Status) && end > start)
                {
                    _segments.Add((start, end));
                }

                if (!changes[i].Status.IsActive() && (i == 0 || changes[i - 1].Status.IsActive()))
                {
                    EndedAt = start;
                }
                else if (changes[i].Status.IsActive())
                {
                    EndedAt = null;
                }
            }

            _countingNow = Counts(changes[^1].Status);
        }

        /// <summary>When the ticket was last resolved or closed, while it still is; null while it is active.</summary>
        public DateTimeOffset? EndedAt { get; }

        public SlaTargetClock Clock(string target, string key, string? status, int goalMinutes, DateTimeOffset from, DateTimeOffset? stoppedAt)
        {
            var goal = TimeSpan.FromMinutes(goalMinutes);
            var until = stoppedAt ?? _now;
            var open = stoppedAt is null && _countingNow;
            var elapsed = Elapsed(from, until);
            var breachedAt = Reaching(goal, from, until, open);
            var warningAt = Reaching(goal * (1 - _warningThreshold), from, until, open);

            SlaState state;
            if (stoppedAt is not null)
            {
                state = elapsed > goal ? SlaState.Breached : SlaState.Met;
            }
            else if (elapsed >= goal)
            {
                state = SlaState.Breached;
            }
            else if (!_countingNow)
            {
                state = SlaState.Paused;
            }
            else
            {
                state = elapsed >= goal * (1 - _warningThreshold) ? SlaState.Warning : SlaState.Running;
            }

            var dueAt = state is SlaState.Met or SlaState.Paused ? null : breachedAt;
            return new SlaTargetClock(target, key, status, goal, elapsed, state, stoppedAt is not null, dueAt, warningAt, breachedAt);
        }

        /// <summary>
        /// A target that is a fixed instant (a due date the policy lets override the resolution
        /// target): wall-clock time, never paused, warned when the policy's share of the time from
        /// <paramref name="from"/> to the deadline is left.
        /// </summary>
        public SlaTargetClock Deadline(string target, DateTimeOffset from, DateTimeOffset deadline, DateTimeOffset? stoppedAt)
        {
            var goal = deadline > from ? deadline - from : TimeSpan.Zero;
            var until = stoppedAt ?? _now;
            var elapsed = until > from ? until - from : TimeSpan.Zero;
            var warningAt = from + (goal * (1 - _warningThreshold));
            var state = stoppedAt is not null ? (until > deadline ? SlaState.Breached : SlaState.Met)
                : until >= deadline ? SlaState.Breached
                : until >= warningAt ? SlaState.Warning
                : SlaState.Running;
            var key = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{target}@due{deadline.ToUnixTimeSeconds()}");
            return new SlaTargetClock(target, key, null, goal, elapsed, state, stoppedAt is not null, state == SlaState.Met ? null : deadline, warningAt, deadline);
        }

        private TimeSpan Elapsed(DateTimeOffset from, DateTimeOffset until)
        {
            var total = TimeSpan.Zero;
            foreach (var (start, end) in _segments)
            {
                total += _calendar.WorkingTime(Max(start, from), Min(end, until));
            }

            return total;
        }

        /// <summary>
        /// The instant the counted time since <paramref name="from"/> reaches <paramref name="amount"/>:
        /// in the past when it already did, projected from now when the clock runs, else null.
        /// </summary>
        private DateTimeOffset? Reaching(TimeSpan amount, DateTimeOffset from, DateTimeOffset until, bool open)
        {
            var counted = TimeSpan.Zero;
            foreach (var (segmentStart, segmentEnd) in _segments)
            {
                var start = Max(segmentStart, from);
                var end = Min(segmentEnd, until);
                if (end <= start)
                {
                    continue;
                }

                var working = _calendar.WorkingTime(start, end);
                if (counted + working >= amount && working > TimeSpan.Zero)
                {
                    return _calendar.Add(start, amount - counted);
                }

                counted += working;
            }

            return open ? _calendar.Add(Max(_now, from), amount - counted) : null;
        }

        private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

        private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
    }
}
