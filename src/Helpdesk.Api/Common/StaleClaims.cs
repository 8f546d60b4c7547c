using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Helpdesk.Api.Common;

/// <summary>
/// Who holds a claim on queued work (an inbound mail being ingested, a mail being sent, a queue
/// message being delivered): a process, named by its host, its process id and when it started.
/// A claim held by another process of this host that no longer runs (its id gone, or now taken by
/// a process that started at another time) is stale: that process died holding it. A restarted
/// instance takes such claims over at start-up instead of waiting for their lease to run out; a
/// claim of a process still running, or of another host, keeps its lease.
/// </summary>
public sealed class ClaimOwner
{
    private const char Separator = '|';
    private readonly string _host;

    public ClaimOwner(string host, int processId, long startedAtSeconds)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        _host = host.Replace(Separator, '_');
        Name = string.Create(CultureInfo.InvariantCulture, $"{_host}{Separator}{processId}{Separator}{startedAtSeconds}");
    }

    /// <summary>This process: the host is the Azure instance (<c>WEBSITE_INSTANCE_ID</c>) or the machine.</summary>
    public static ClaimOwner ThisProcess { get; } = new(
        Environment.GetEnvironmentVariable("WEBSITE_INSTANCE_ID") is { Length: > 0 } instance ? instance : Environment.MachineName,
        Environment.ProcessId,
        StartedAtSeconds(Process.GetCurrentProcess()));

    /// <summary>What a claim records as its holder.</summary>
    public string Name { get; }

    /// <summary>Whether a claim was made by another process of this host that has since died.</summary>
    public bool IsStale(string? claimedBy)
    {
        if (claimedBy is null || claimedBy == Name)
        {
            return false;
        }

        var parts = claimedBy.Split(Separator);
        if (parts.Length != 3 || parts[0] != _host
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var processId)
            || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var startedAt))
        {
            return false;
        }

        try
        {
            using var process = Process.GetProcessById(processId);
            return StartedAtSeconds(process) != startedAt;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            // No process with that id any more.
            return true;
        }
    }

    private static long StartedAtSeconds(Process process) => new DateTimeOffset(process.StartTime.ToUniversalTime()).ToUnixTimeSeconds();
}

/// <summary>Work a store hands out under claims, whose stale claims it can give back.</summary>
public interface IStaleClaims
{
    /// <summary>Makes the work claimed by processes <paramref name="claimant"/> finds stale due again at once; returns how much.</summary>
    Task<int> ReleaseStaleAsync(ClaimOwner claimant, DateTimeOffset now, CancellationToken cancellationToken);
}

/// <summary>
/// At start-up, before the jobs run, takes over what a dead process of this host left claimed:
/// a restarted instance finishes the interrupted work at once. Each piece of work keeps the
/// attempt the dead process spent, so work that kills its process every time still ends as a
/// dead letter. A store that cannot answer is logged and left to its leases.
/// </summary>
public sealed partial class StaleClaimRecovery(IEnumerable<IStaleClaims> stores, ClaimOwner owner, TimeProvider clock, ILogger<StaleClaimRecovery> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => RecoverAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>One pass over every store; returns how much work was taken over.</summary>
    public async Task<int> RecoverAsync(CancellationToken cancellationToken)
    {
        var released = 0;
        foreach (var store in stores)
        {
            try
            {
                var count = await store.ReleaseStaleAsync(owner, clock.GetUtcNow(), cancellationToken);
                if (count > 0)
                {
                    LogReleased(logger, count, store.GetType().Name);
                }

                released += count;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogFailed(logger, e, store.GetType().Name);
            }
        }

        return released;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Took over {Count} claim(s) of {Store} that a process of this host left when it died")]
    private static partial void LogReleased(ILogger logger, int count, string store);

    [LoggerMessage(Level = LogLevel.Error, Message = "Taking over the stale claims of {Store} failed; they come back when their leases run out")]
    private static partial void LogFailed(ILogger logger, Exception exception, string store);
}

public static class StaleClaimRegistration
{
    /// <summary>Registers a store's stale claims for the start-up recovery (registered once, whoever calls first).</summary>
    public static IServiceCollection AddStaleClaims<TStore>(this IServiceCollection services)
        where TStore : class, IStaleClaims
    {
        services.TryAddSingleton(ClaimOwner.ThisProcess);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, StaleClaimRecovery>());
        services.TryAddSingleton<StaleClaimRecovery>();
        return services.AddSingleton<IStaleClaims>(sp => sp.GetRequiredService<TStore>());
    }
}
