using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Events;

/// <summary>
/// Ready needs the events to move, at both of their stops: an event stored with its write (the
/// SQLite outbox, a Cosmos DB ticket document) and not relayed for longer than
/// <see cref="StuckAfter"/> means the relay stopped, and a local queue message due that long means
/// nothing delivers it (the pump stopped, or <c>Jobs:RunInProcess</c> is off and nothing else drives
/// it, or it keeps failing before it settles anything). Under the Functions host the change feed
/// and Service Bus carry the events and their own metrics and alerts watch them.
/// </summary>
internal sealed class QueueHealthCheck(IEnumerable<IStoredEventSource> sources, LocalQueue queue, IOptions<EventsOptions> events, TimeProvider clock) : IHealthCheck
{
    /// <summary>Well past the sweep interval and a visibility timeout: a busy pump never lags this far.</summary>
    public static readonly TimeSpan StuckAfter = TimeSpan.FromMinutes(10);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (Environment.GetEnvironmentVariable(Hosting.CustomHandler.PortVariable) is not null)
        {
            return HealthCheckResult.Healthy("The queues are Service Bus's (the Functions host delivers them).");
        }

        var now = clock.GetUtcNow();
        var limit = StuckAfter + events.Value.SweepInterval;
        var stuck = new List<string>();
        foreach (var source in sources)
        {
            if (await source.OldestPendingAsync(cancellationToken) is { } oldest && now - oldest > limit)
            {
                stuck.Add(string.Create(CultureInfo.InvariantCulture, $"stored events: one waiting {(int)(now - oldest).TotalMinutes} min to be relayed to the queues"));
            }
        }

        stuck.AddRange((await queue.DepthAsync(cancellationToken))
            .Where(d => now - d.EarliestDueAt > limit)
            .Select(d => string.Create(CultureInfo.InvariantCulture, $"queue {d.Queue}: {d.Count} message(s) waiting, one due for {(int)(now - d.EarliestDueAt).TotalMinutes} min and not delivered")));
        return stuck.Count == 0
            ? HealthCheckResult.Healthy("Every stored event is relayed and every local queue is moving.")
            : HealthCheckResult.Unhealthy(string.Join("; ", stuck));
    }
}
