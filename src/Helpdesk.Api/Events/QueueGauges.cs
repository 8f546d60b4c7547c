using System.Diagnostics.Metrics;
using Helpdesk.Api.Common;

namespace Helpdesk.Api.Events;

/// <summary>
/// <c>helpdesk.queue.depth</c> and <c>helpdesk.queue.oldest_age</c> of the local queue, by queue,
/// when the app holds the queues itself (not under the Functions host). Under the Functions host the queues are
/// Service Bus's, whose own metrics (ActiveMessages, DeadletteredMessages) tell the same.
/// </summary>
internal sealed class QueueGauges : ITelemetrySample
{
    private readonly LocalQueue _queue;
    private readonly TimeProvider _clock;
    private readonly bool _local;
    private readonly string[] _queues;
    private IReadOnlyList<QueueDepth> _last = [];

    public QueueGauges(LocalQueue queue, IEnumerable<QueueConsumerRegistration> consumers, HelpdeskMetrics metrics, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        _queue = queue;
        _queues = [.. consumers.Select(c => c.Queue).Distinct(StringComparer.Ordinal)];
        _clock = clock;
        _local = Environment.GetEnvironmentVariable(Hosting.CustomHandler.PortVariable) is null;
        metrics.Meter.CreateObservableGauge("helpdesk.queue.depth", () => _last.Select(d => new Measurement<long>(d.Count, Tag(d))), "{message}", "Event messages waiting on each local queue.");
        metrics.Meter.CreateObservableGauge(
            "helpdesk.queue.oldest_age",
            () => _last.Select(d => new Measurement<double>(Math.Max(0, (_clock.GetUtcNow() - d.OldestEnqueuedAt).TotalSeconds), Tag(d))),
            "s",
            "Age of the oldest event message waiting on each local queue.");
    }

    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        if (_local)
        {
            var now = _clock.GetUtcNow();
            var depths = await _queue.DepthAsync(cancellationToken);
            _last = [.. depths, .. _queues.Where(q => depths.All(d => d.Queue != q)).Select(q => new QueueDepth(q, 0, now, now))];
        }
    }

    private static KeyValuePair<string, object?> Tag(QueueDepth depth) => new(TelemetryTags.Queue, depth.Queue);
}
