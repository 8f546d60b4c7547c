using Azure.Core;
using Azure.Identity;
using Azure.Monitor.OpenTelemetry.AspNetCore;
using Helpdesk.Api.Common;
using OpenTelemetry;
using OpenTelemetry.Instrumentation.AspNetCore;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Helpdesk.Api.Hosting;

/// <summary>
/// Where the app's traces and metrics go, chosen by configuration alone: Azure Monitor (the
/// distro, which also brings the ASP.NET Core and HttpClient instrumentation and the logs) when
/// <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> is set, an OTLP endpoint (Aspire dashboard,
/// Jaeger, a collector) when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, both when both are, and
/// nothing at all otherwise: without an exporter no OpenTelemetry pipeline is built, so a laptop
/// or a test pays nothing for it. <c>Telemetry:Enabled</c> = true builds the pipeline without an
/// exporter, for tests that add their own.
/// </summary>
public static class TelemetrySetup
{
    public const string AzureMonitorSetting = "APPLICATIONINSIGHTS_CONNECTION_STRING";
    public const string AzureMonitorAuthenticationSetting = "APPLICATIONINSIGHTS_AUTHENTICATION_STRING";
    public const string OtlpSetting = "OTEL_EXPORTER_OTLP_ENDPOINT";
    public const string EnabledSetting = "Telemetry:Enabled";
    public const string ServiceName = "helpdesk";

    public static IServiceCollection AddHelpdeskTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddSingleton<HelpdeskMetrics>();
        var azureMonitor = configuration[AzureMonitorSetting];
        var otlp = configuration[OtlpSetting];
        var toAzure = !string.IsNullOrWhiteSpace(azureMonitor);
        var toOtlp = !string.IsNullOrWhiteSpace(otlp);
        if (!toAzure && !toOtlp && !configuration.GetValue<bool>(EnabledSetting))
        {
            return services;
        }

        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(ServiceName, serviceVersion: typeof(TelemetrySetup).Assembly.GetName().Version?.ToString()))
            // First, so that every exporter added after them (Azure Monitor's, OTLP's) gets redacted spans and logs.
            .WithTracing(t => t.AddSource(Telemetry.Name).AddProcessor(new SpanRedaction()))
            .WithLogging(l => l.AddProcessor(new LogRedaction()))
            .WithMetrics(m => m.AddMeter(Telemetry.Name));

        // Probes ask every few seconds; their spans would drown the work.
        services.Configure<AspNetCoreTraceInstrumentationOptions>(o => o.Filter = context => !IsProbe(context.Request.Path));
        if (toAzure)
        {
            telemetry.UseAzureMonitor(o =>
            {
                o.ConnectionString = azureMonitor;
                o.Credential = Credential(configuration[AzureMonitorAuthenticationSetting]);
            });
        }
        else
        {
            telemetry
                .WithTracing(t => t.AddAspNetCoreInstrumentation().AddHttpClientInstrumentation())
                .WithMetrics(m => m.AddAspNetCoreInstrumentation().AddHttpClientInstrumentation());
        }

        if (toOtlp)
        {
            telemetry.UseOtlpExporter();
        }

        services.AddHostedService<TelemetrySampler>();
        return services;
    }

    /// <summary>
    /// The managed identity Application Insights takes telemetry from (it refuses the
    /// instrumentation key alone when local authentication is off): the
    /// <c>APPLICATIONINSIGHTS_AUTHENTICATION_STRING</c> the Functions host reads too,
    /// <c>ClientId=&lt;user-assigned identity&gt;;Authorization=AAD</c> (or <c>Authorization=AAD</c>
    /// alone for the system-assigned one). Without it the key in the connection string is used.
    /// </summary>
    internal static TokenCredential? Credential(string? authentication)
    {
        if (string.IsNullOrWhiteSpace(authentication))
        {
            return null;
        }

        var parts = authentication.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => p.Split('=', 2, StringSplitOptions.TrimEntries))
            .Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => p[1], StringComparer.OrdinalIgnoreCase);
        if (!parts.TryGetValue("Authorization", out var kind) || !string.Equals(kind, "AAD", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"{AzureMonitorAuthenticationSetting} must say Authorization=AAD (and ClientId=<identity> for a user-assigned identity).");
        }

        return new ManagedIdentityCredential(parts.TryGetValue("ClientId", out var clientId) && clientId.Length > 0
            ? ManagedIdentityId.FromUserAssignedClientId(clientId)
            : ManagedIdentityId.SystemAssigned);
    }

    private static bool IsProbe(PathString path) =>
        path.StartsWithSegments("/api/health", StringComparison.OrdinalIgnoreCase) || path == "/";
}

/// <summary>
/// Refreshes the values the app's gauges report (queue depth, the Graph subscriptions' expiry):
/// reading them needs the store, which a gauge's callback must not wait for, so they are read
/// here every <see cref="Interval"/> and the gauges report the last reading. Runs only when
/// telemetry is exported.
/// </summary>
internal sealed partial class TelemetrySampler(IEnumerable<ITelemetrySample> samples, ILogger<TelemetrySampler> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Start-up does not wait for the first reading.
        await Task.Yield();
        using var timer = new PeriodicTimer(Interval);
        do
        {
            foreach (var sample in samples)
            {
                try
                {
                    await sample.RefreshAsync(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogFailed(logger, e, sample.GetType().Name);
                }
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading the gauges of {Sample} failed; they keep their last values")]
    private static partial void LogFailed(ILogger logger, Exception exception, string sample);
}
