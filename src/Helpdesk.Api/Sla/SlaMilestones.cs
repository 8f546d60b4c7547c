using Helpdesk.Api.Tickets;
namespace Helpdesk.Api.Sla;

public enum SlaMilestoneKind
{
    Warning,
    Breach,
    Escalation,
}

/// <summary>A moment the scan acts on, once per <see cref="Key"/>: a warning, a breach, an escalation level.</summary>
public sealed record SlaMilestone(string Key, DateTimeOffset At, SlaMilestoneKind Kind, SlaTargetClock Clock, EscalationLevel? Level);

public static class SlaMilestones
{
    /// <summary>
    /// Every milestone of the clocks still running or paused, past or future. A warning is
    /// skipped once the target is breached (the breach says more); a stopped clock has none.
    /// </summary>
    public static IEnumerable<SlaMilestone> Of(SlaStatus status, SlaPolicy policy)
    {
        foreach (var clock in status.Targets.Where(t => !t.Stopped))
        {
            var breached = clock.State == SlaState.Breached;
            if (!breached && clock.WarningAt is { } warningAt)
            {
                yield return new SlaMilestone($"{clock.Key}:warning", warningAt, SlaMilestoneKind.Warning, clock, null);
            }

            if (clock.BreachedAt is { } breachedAt)
            {
                yield return new SlaMilestone($"{clock.Key}:breach", breachedAt, SlaMilestoneKind.Breach, clock, null);
            }

            for (var i = 0; i < policy.Escalations.Count; i++)
            {
                var level = policy.Escalations[i];
                if (level.Target != "any" && level.Target != clock.Target)
                {
                    continue;
                }

                DateTimeOffset? at = level.When switch
                {
                    "warning" => breached ? null : clock.WarningAt,
                    "breach" => clock.BreachedAt,
                    _ => clock.BreachedAt + TimeSpan.FromMinutes(level.MinutesAfterBreach ?? 0),
                };
                if (at is { } levelAt)
                {
                    yield return new SlaMilestone(FormattableString.Invariant($"{clock.Key}:level{i}"), levelAt, SlaMilestoneKind.Escalation, clock, level);
                }
            }
        }
    }
}
