using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Events;

/// <summary>
/// Ready needs the local queue to move: a message due for longer than <see cref="StuckAfter"/>
/// means nothing delivers it (the pump stopped, or <c>Jobs:RunInProcess</c> is off and nothing
/// else drives it, or it keeps failing before it settles anything). Under the Functions host
/// Service Bus holds the queues and its own metrics watch them.
/// </summary>
internal sealed class QueueHealthCheck(LocalQueue queue, IOptions<EventsOptions> events, TimeProvider clock) : IHealthCheck
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
        var stuck = (await queue.DepthAsync(cancellationToken)).Where(d => now - d.EarliestDueAt > limit).ToList();
        return stuck.Count == 0
            ? HealthCheckResult.Healthy("Every local queue is moving.")
            : HealthCheckResult.Unhealthy(string.Join(
                "; ",
                stuck.Select(d => string.Create(CultureInfo.InvariantCulture, $"queue {d.Queue}: {d.Count} message(s) waiting, one due for {(int)(now - d.EarliestDueAt).TotalMinutes} min and not delivered"))));
    }
}
