using System.Diagnostics;
using Helpdesk.Api.Common;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Helpdesk.Api.Tests.Infrastructure;

/// <summary>
/// What the app exports, caught by OpenTelemetry's in-memory exporters: the app builds its real
/// pipeline (<c>Telemetry:Enabled</c>) and these exporters stand where Azure Monitor or OTLP
/// would. Spans of every app in the process reach the listener, so tests pick theirs by trace id;
/// metrics are read in the <see cref="TelemetryCollection"/>, which runs alone.
/// </summary>
public sealed class TelemetryCapture
{
    private readonly List<Activity> _spans = [];
    private readonly List<MetricSnapshot> _metrics = [];
    private readonly List<(Func<Activity, bool> Match, TaskCompletionSource<Activity> Ended)> _waiting = [];
    private HelpdeskApp? _app;

    public TelemetryCapture On(HelpdeskApp app)
    {
        _app = app;
        app.With("Telemetry:Enabled", "true").WithServices(services => services
            .ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(_spans).AddProcessor(new EndSignal(this)))
            .ConfigureOpenTelemetryMeterProvider(metrics => metrics.AddInMemoryExporter(_metrics)));
        return this;
    }

    /// <summary>The finished spans of one trace.</summary>
    public IReadOnlyList<Activity> Trace(ActivityTraceId traceId)
    {
        lock (_spans)
        {
            return [.. _spans.Where(s => s.TraceId == traceId)];
        }
    }

    /// <summary>
    /// The first finished span that matches, waiting for it to end: a server span ends after its
    /// response has reached the client, so it may not be exported yet when the call returns.
    /// </summary>
    public async Task<Activity> EndedAsync(Func<Activity, bool> match)
    {
        var ended = new TaskCompletionSource<Activity>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_spans)
        {
            if (_spans.FirstOrDefault(match) is { } found)
            {
                return found;
            }

            _waiting.Add((match, ended));
        }

        return await ended.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    private void Ended(Activity span)
    {
        lock (_spans)
        {
            foreach (var waiting in _waiting.Where(w => w.Match(span)).ToList())
            {
                _waiting.Remove(waiting);
                waiting.Ended.TrySetResult(span);
            }
        }
    }

    /// <summary>Runs after the in-memory exporter's processor: the span is in the list when it signals.</summary>
    private sealed class EndSignal(TelemetryCapture capture) : BaseProcessor<Activity>
    {
        public override void OnEnd(Activity data) => capture.Ended(data);
    }

    /// <summary>The finished spans of the app's own source with this name.</summary>
    public IReadOnlyList<Activity> Spans(string name)
    {
        lock (_spans)
        {
            return [.. _spans.Where(s => s.Source.Name == Telemetry.Name && s.DisplayName == name)];
        }
    }

    /// <summary>
    /// Reads every gauge's source (what the app's sampler does every 30 s), exports the metrics
    /// now, and returns the points of <paramref name="name"/> from the app's meter.
    /// </summary>
    public async Task<IReadOnlyList<(MetricSnapshot Metric, MetricPoint Point)>> MetricAsync(string name)
    {
        var services = (_app ?? throw new InvalidOperationException("Call On(app) first.")).Services;
        foreach (var sample in services.GetServices<ITelemetrySample>())
        {
            await sample.RefreshAsync(CancellationToken.None);
        }

        _metrics.Clear();
        services.GetRequiredService<MeterProvider>().ForceFlush().ShouldBeTrue();
        return [.. _metrics.Where(m => m.MeterName == Telemetry.Name && m.Name == name).SelectMany(m => m.MetricPoints.Select(p => (m, p)))];
    }

    /// <summary>The tags of a metric point, by name.</summary>
    public static IReadOnlyDictionary<string, object?> Tags(MetricPoint point)
    {
        var tags = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var tag in point.Tags)
        {
            tags[tag.Key] = tag.Value;
        }

        return tags;
    }
}

/// <summary>
/// Metrics tests run alone: an OpenTelemetry meter provider reads every meter of its name in the
/// process, so another app's counters would add to theirs.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TelemetryCollection
{
    public const string Name = "Telemetry";
}
