using System.Diagnostics;
using System.Net.Http.Headers;

namespace Helpdesk.Benchmarks;

/// <summary>What one load run measured: successful answers, failures, and their latencies.</summary>
internal sealed record LoadResult(long Answered, long Failed, TimeSpan Elapsed, LatencyHistogram Latency, string? FirstFailure)
{
    public double PerSecond => Answered / Elapsed.TotalSeconds;
}

/// <summary>
/// The load generator of <c>load</c> and <c>startup</c>, in .NET rather than wrk: the same loops
/// send per-request bodies (a reply names its ticket), mix operations in an exact ratio, stop after
/// a number of requests as well as after a time, and record every latency for p95 and p99 (wrk
/// prints no p95 without a Lua script). N connections are N loops, each awaiting its answer
/// (body read) before sending again, over one HttpClient whose pool holds at most N connections:
/// a closed loop, like wrk's. It shares the machine's cores with the server; on 2 cores that caps the
/// bare-Kestrel figure more than the app's.
/// </summary>
internal static class LoadDriver
{
    public static HttpClient Client(Uri baseAddress, int connections, string? bearerToken = null)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            UseCookies = false,
            UseProxy = false,
            AllowAutoRedirect = false,
        };
        var client = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (bearerToken is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearerToken);
        }

        return client;
    }

    /// <summary>
    /// Runs <paramref name="connections"/> loops until <paramref name="duration"/> has passed or
    /// <paramref name="requests"/> have been sent, whichever comes first; request number n (from 0,
    /// across all loops) is <paramref name="request"/>(n).
    /// </summary>
    public static async Task<LoadResult> RunAsync(
        HttpClient client,
        int connections,
        Func<long, HttpRequestMessage> request,
        TimeSpan? duration,
        long? requests,
        CancellationToken cancellationToken)
    {
        var deadline = duration is { } d ? Stopwatch.GetTimestamp() + (long)(d.TotalSeconds * Stopwatch.Frequency) : long.MaxValue;
        var budget = requests ?? long.MaxValue;
        long next = -1;
        string? firstFailure = null;
        var started = Stopwatch.GetTimestamp();

        async Task<(LatencyHistogram, long)> LoopAsync()
        {
            var latency = new LatencyHistogram();
            long failed = 0;
            while (Stopwatch.GetTimestamp() < deadline && Interlocked.Increment(ref next) is var n && n < budget)
            {
                using var message = request(n);
                var sent = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await client.SendAsync(message, HttpCompletionOption.ResponseContentRead, cancellationToken);
                    if (response.IsSuccessStatusCode)
                    {
                        latency.Record(Stopwatch.GetElapsedTime(sent));
                        continue;
                    }

                    var body = await response.Content.ReadAsStringAsync(cancellationToken);
                    Interlocked.CompareExchange(ref firstFailure, $"{message.Method} {message.RequestUri} → {(int)response.StatusCode}: {body[..Math.Min(body.Length, 300)]}", null);
                }
                catch (HttpRequestException e)
                {
                    Interlocked.CompareExchange(ref firstFailure, $"{message.Method} {message.RequestUri} → {e.Message}", null);
                }
                catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
                {
                    Interlocked.CompareExchange(ref firstFailure, $"{message.Method} {message.RequestUri} → timed out ({e.Message})", null);
                }

                failed++;
            }

            return (latency, failed);
        }

        var loops = await Task.WhenAll(Enumerable.Range(0, connections).Select(_ => Task.Run(LoopAsync, cancellationToken)));
        var elapsed = Stopwatch.GetElapsedTime(started);
        var all = new LatencyHistogram();
        foreach (var (latency, _) in loops)
        {
            all.Add(latency);
        }

        return new LoadResult(all.Count, loops.Sum(l => l.Item2), elapsed, all, firstFailure);
    }
}
