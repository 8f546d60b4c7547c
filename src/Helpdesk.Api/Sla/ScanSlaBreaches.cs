using System.Globalization;
using Helpdesk.Api.Common;
using Helpdesk.Api.Tickets;
using Helpdesk.Api.Triggers;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Sla;

/// <summary>
/// The breach scan (timer function <c>ScanSlaBreaches</c>, every minute). It reads only the
/// tickets whose next SLA change is due, records each due milestone once — history entry,
/// <c>sla.warning</c> / <c>sla.breached</c> / <c>sla.escalated</c> event — applies escalation
/// actions, and stores the next schedule. Overlapping or repeated runs are harmless: a milestone
/// key is recorded on the ticket and the write is guarded by the ticket's version. A late run
/// catches up, because due milestones are found by instant, not by "since the last run".
/// </summary>
internal sealed partial class ScanSlaBreaches(
    ITicketStore store,
    TicketRunner runner,
    SlaCatalog catalog,
    IOptions<TicketOptions> options,
    TimeProvider clock,
    ILogger<ScanSlaBreaches> logger) : IScheduledJob
{
    public const string FunctionName = "ScanSlaBreaches";
    private const int BatchSize = 200;
    private static readonly Actor Sla = Actor.System("sla");

    public async Task<IReadOnlyList<string>> RunAsync(TimerInfo timer, CancellationToken cancellationToken)
    {
        // The milestones' events carry this span: their notifications and webhooks join the scan's trace.
        using var span = Telemetry.Start("sla.scan");
        var now = clock.GetUtcNow();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var recorded = 0;
        var failed = 0;
        while (true)
        {
            var due = (await store.DueForSlaAsync(now, BatchSize + seen.Count, cancellationToken)).Where(seen.Add).ToList();
            if (due.Count == 0)
            {
                break;
            }

            foreach (var id in due)
            {
                try
                {
                    recorded += await ProcessAsync(id, cancellationToken);
                }
                catch (Exception e) when (e is DomainRuleException or ConcurrencyConflictException)
                {
                    failed++;
                    LogTicketFailed(logger, e, id);
                }
            }
        }

        var summary = string.Create(CultureInfo.InvariantCulture, $"SLA scan at {now:O}{(timer.IsPastDue ? " (past due)" : string.Empty)}: {seen.Count} tickets due, {recorded} milestones recorded, {failed} failed.");
        LogScanned(logger, seen.Count, recorded, failed);
        span?.SetTag("helpdesk.sla.due", seen.Count);
        span?.SetTag("helpdesk.sla.recorded", recorded);
        span?.SetTag("helpdesk.sla.failed", failed);
        span?.SetTag("helpdesk.timer.past_due", timer.IsPastDue);
        return [summary];
    }

    /// <summary>
    /// Records the ticket's due milestones in one write; with none due, only its schedule is
    /// stored again (no new version). Either write lost to a concurrent change is retried on a
    /// fresh read; a ticket that keeps changing is left to the next run. Milestones and their
    /// history are dated at the write, not at the run's start: a long run never dates a line
    /// before a change another writer made in the meantime.
    /// </summary>
    private async Task<int> ProcessAsync(string id, CancellationToken cancellationToken)
    {
        var outcome = await runner.RunAsync<int>(
            id,
            Sla,
            TicketPrecondition.None,
            async c =>
            {
                var recorded = await RecordDueAsync(c.Ticket, c.Now, cancellationToken);
                if (recorded == 0 && !await store.RescheduleAsync(c.Ticket, cancellationToken))
                {
                    throw new ConcurrencyConflictException($"Ticket {c.Ticket.Number} changed during the SLA scan.");
                }

                return recorded;
            },
            cancellationToken);
        return outcome.Succeeded ? outcome.Value : 0;
    }

    private async Task<int> RecordDueAsync(Ticket ticket, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var settings = await catalog.GetAsync(cancellationToken);
        if (!ticket.Status.IsActive() || settings.For(ticket) is not var (policy, calendar))
        {
            return 0;
        }

        var due = SlaMilestones.Of(SlaClock.Compute(ticket, policy, calendar, now), policy)
            .Where(m => m.At <= now)
            .OrderBy(m => m.At)
            .ThenBy(m => m.Kind)
            .ToList();
        var recorded = 0;
        foreach (var milestone in due)
        {
            if (Record(ticket, milestone, now))
            {
                recorded++;
                if (milestone.Level is { } level)
                {
                    Apply(ticket, level, now);
                }
            }
        }

        return recorded;
    }

    private static bool Record(Ticket ticket, SlaMilestone milestone, DateTimeOffset now)
    {
        var target = milestone.Clock.Status is { } status ? $"{milestone.Clock.Target} ({status})" : milestone.Clock.Target;
        var at = milestone.At.ToString("O", CultureInfo.InvariantCulture);
        var (action, eventType, note) = milestone.Kind switch
        {
            SlaMilestoneKind.Warning => ("slaWarning", SlaEventTypes.Warning, $"SLA target {target} at risk: due {milestone.Clock.DueAt?.ToString("O", CultureInfo.InvariantCulture)}."),
            SlaMilestoneKind.Breach => ("slaBreached", SlaEventTypes.Breached, $"SLA target {target} breached at {at}."),
            _ => ("slaEscalated", SlaEventTypes.Escalated, $"SLA escalation for {target} ({milestone.Level!.When}): {string.Join(", ", milestone.Level.Actions.Select(Describe))}."),
        };
        var notify = milestone.Level?.Actions.Select(a => a.NotifyToken).OfType<string>().ToArray() ?? [];
        return ticket.RecordSlaMilestone(
            milestone.Key,
            action,
            eventType,
            note,
            now,
            ("target", milestone.Clock.Target),
            ("status", milestone.Clock.Status),
            ("at", at),
            ("dueAt", milestone.Clock.DueAt?.ToString("O", CultureInfo.InvariantCulture)),
            ("notify", notify.Length == 0 ? null : string.Join(',', notify)));
    }

    private void Apply(Ticket ticket, EscalationLevel level, DateTimeOffset now)
    {
        foreach (var action in level.Actions)
        {
            switch (action.Type)
            {
                case "reassign":
                    ticket.Assign(action.AgentId, action.TeamId, Sla, now);
                    break;
                case "raisePriority" when ticket.Priority > Priority.Urgent:
                    ticket.Update(new TicketChanges { Priority = Optional.Of(ticket.Priority - 1) }, options.Value.Settings, Sla, now);
                    break;
                default:
                    break;
            }
        }
    }

    private static string Describe(EscalationAction action) => action.Type switch
    {
        "notify" => $"notify {action.NotifyToken}",
        "reassign" => $"reassign to {action.AgentId ?? action.TeamId}",
        _ => "raise priority",
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "SLA scan: {Due} tickets due, {Recorded} milestones recorded, {Failed} failed")]
    private static partial void LogScanned(ILogger logger, int due, int recorded, int failed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "SLA scan could not act on ticket {TicketId}; the next run retries it")]
    private static partial void LogTicketFailed(ILogger logger, Exception exception, string ticketId);
}
