namespace Helpdesk.Api.Triggers;

/// <summary>
/// Work that runs on a schedule: a timer function in Azure (its function.json carries the same
/// schedule), the in-process runner standalone. Runs must be idempotent and safe to overlap:
/// the host may repeat a run, and a late run (<see cref="TimerInfo.IsPastDue"/>) must catch up.
/// </summary>
public interface IScheduledJob
{
    /// <summary>Runs once; returns log lines for the host.</summary>
    Task<IReadOnlyList<string>> RunAsync(TimerInfo timer, CancellationToken cancellationToken);
}

/// <summary>
/// A job known to the runner: the function name (its trigger route is <c>POST /{FunctionName}</c>)
/// and how often the standalone runner fires it (the function.json schedule does in Azure).
/// </summary>
public sealed record ScheduledJobRegistration(string FunctionName, TimeSpan Interval, Type JobType);

public sealed class JobsOptions
{
    public const string Section = "Jobs";

    /// <summary>
    /// Fire scheduled jobs in process (standalone). Off under the Functions host, which fires
    /// them itself, and in tests, which run them explicitly.
    /// </summary>
    public bool RunInProcess { get; set; } = true;
}

/// <summary>Plays the Functions host's timer part when the app runs on its own.</summary>
internal sealed partial class ScheduledJobRunner(
    IEnumerable<ScheduledJobRegistration> jobs,
    IServiceScopeFactory scopes,
    TimeProvider clock,
    Microsoft.Extensions.Options.IOptions<JobsOptions> options,
    ILogger<ScheduledJobRunner> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.RunInProcess || Environment.GetEnvironmentVariable(Hosting.CustomHandler.PortVariable) is not null)
        {
            return Task.CompletedTask;
        }

        return Task.WhenAll(jobs.Select(job => RunForeverAsync(job, stoppingToken)));
    }

    private async Task RunForeverAsync(ScheduledJobRegistration registration, CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(registration.Interval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            // Each run is a trace of its own, as a timer invocation of the Functions host is.
            using var span = Common.Telemetry.Source.StartActivity(registration.FunctionName, System.Diagnostics.ActivityKind.Internal, parentContext: default);
            span?.SetTag(Common.TelemetryTags.Job, registration.FunctionName);
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var job = (IScheduledJob)scope.ServiceProvider.GetRequiredService(registration.JobType);
                await job.RunAsync(new TimerInfo(false, null, null), stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Common.Telemetry.Failed(span, e);
                LogFailed(logger, e, registration.FunctionName);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Scheduled job {Job} failed; it runs again at its next tick")]
    private static partial void LogFailed(ILogger logger, Exception exception, string job);
}
