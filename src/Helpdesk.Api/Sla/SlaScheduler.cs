using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Sla;

/// <summary>
/// The schedule the store indexes with each ticket write: late from the due date or the first
/// breach of a clock still running (projected when it lies ahead), and the earliest milestone
/// not yet acted on — past ones included, so a missed scan is caught up at the next run.
/// </summary>
internal sealed class SlaScheduler(SlaCatalog catalog, TimeProvider clock) : ITicketScheduler
{
    public async ValueTask<TicketSchedule> ScheduleAsync(Ticket ticket, CancellationToken cancellationToken)
    {
        var settings = await catalog.GetAsync(cancellationToken);
        if (!ticket.Status.IsActive() || settings.For(ticket) is not var (policy, calendar))
        {
            return new TicketSchedule(ticket.Status.IsActive() ? ticket.DueAt : null, null);
        }

        var status = SlaClock.Compute(ticket, policy, calendar, clock.GetUtcNow());
        var lateAt = status.Targets.Where(t => !t.Stopped).Select(t => t.BreachedAt).Append(ticket.DueAt).Min();
        var next = SlaMilestones.Of(status, policy)
            .Where(m => !ticket.SlaMilestones.Contains(m.Key, StringComparer.Ordinal))
            .Select(m => (DateTimeOffset?)m.At)
            .Min();
        return new TicketSchedule(lateAt, next);
    }
}
