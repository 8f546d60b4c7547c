using System.Globalization;
using System.Text;

namespace Helpdesk.Benchmarks;

/// <summary>
/// Issue 22's figures from outside the process: the packaged app over real sockets on 127.0.0.1,
/// and bare Kestrel driven with the same requests in the same run (interleaved, scenario by
/// scenario, so both meet the same machine), for req/s and p50/p95/p99 per scenario. Each connection
/// count gets a fresh app on a fresh data folder (the demo, plus 2,000 open tickets created through
/// the API, 200 of them due yesterday), and the reads are measured before the writes add to the
/// backlog. Every run starts on an idle app: each create or reply sets off background work (the
/// outbox, notification mails) that outlasts the run, and the time the app takes to finish it is
/// printed, since req/s alone hides it. With <c>--baseline DIR</c> a second package (built from main
/// before a change) runs beside the app, each scenario measured on both back to back, so a change is
/// compared against its baseline in one run on the same machine. Progress goes to stderr, the table to stdout.
/// </summary>
internal static class LoadBenchmark
{
    private const int SeedTickets = 2_000;

    public static async Task RunAsync(int[] connectionCounts, TimeSpan duration, TimeSpan warmup, string? appFolder, string? baselineFolder, IReadOnlyList<string> scenarios, CancellationToken cancellationToken)
    {
        var app = await PublishedApp.FindOrPackageAsync(appFolder, cancellationToken);
        var baseline = baselineFolder is null ? null : await PublishedApp.FindOrPackageAsync(baselineFolder, cancellationToken);
        var loadBefore = LoadAverage();
        var table = new StringBuilder();
        table.AppendLine(CultureInfo.InvariantCulture, $"App: {app.Folder} (Development settings, SQLite); {Environment.ProcessorCount} cores, shared by the servers and the load generator.");
        if (baseline is not null)
        {
            table.AppendLine(CultureInfo.InvariantCulture, $"Baseline (B): {baseline.Folder}, measured right after the app in each scenario, on its own data folder seeded alike.");
        }

        table.AppendLine(CultureInfo.InvariantCulture, $"Each scenario: {warmup.TotalSeconds:0} s warm-up, then {duration.TotalSeconds:0} s measured; app{(baseline is null ? "" : ", baseline")} and bare Kestrel in turn; latencies in ms.");
        table.AppendLine();
        table.AppendLine("settle s: how long after the run the app was last busy (> 5 % of a core) with what the run set off (outbox, mails); every run starts on an idle app.");
        table.AppendLine();
        table.AppendLine(baseline is null
            ? "| scenario | conns | app req/s | p50 | p95 | p99 | max | errors | settle s | Kestrel req/s | p50 | p95 | p99 | Kestrel/app |"
            : "| scenario | conns | app req/s | p50 | p95 | p99 | max | errors | settle s | B req/s | B p50 | B p95 | B p99 | B max | B errors | B settle s | app/B | Kestrel req/s | p50 | p95 | p99 | Kestrel/app |");
        table.AppendLine(baseline is null ? "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|" : "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        var memory = new List<string>();

        foreach (var connections in connectionCounts)
        {
            var folders = new List<string>();
            try
            {
                await using var bare = BareKestrel.Start();
                var target = await StartAsync(app, connections, folders, cancellationToken);
                await using var server = target.Server;
                using var appClient = target.Client;
                var reference = baseline is null ? null : await StartAsync(baseline, connections, folders, cancellationToken);
                await using var baselineServer = reference?.Server;
                using var baselineClient = reference?.Client;
                using (var probe = new HttpClient())
                {
                    await bare.WaitForOkAsync(probe, "/api/health", cancellationToken);
                }

                using var bareClient = LoadDriver.Client(bare.BaseAddress, connections);
                foreach (var scenario in scenarios)
                {
                    var measured = await MeasureSettledAsync(target, connections, scenario, warmup, duration, cancellationToken);
                    (LoadResult Result, TimeSpan Settled)? compared = reference is null ? null : await MeasureSettledAsync(reference, connections, scenario, warmup, duration, cancellationToken);
                    var floor = await MeasureAsync(bareClient, connections, target.Workload.Requests(scenario), warmup, duration, cancellationToken);
                    var row = string.Create(
                        CultureInfo.InvariantCulture,
                        $"| {AgentWorkload.Describe(scenario)} | {connections} | {Cells(measured)}{(compared is null ? "" : $" | {Cells(compared.Value)} | ×{measured.Result.PerSecond / compared.Value.Result.PerSecond:0.00}")} | {floor.PerSecond:N0} | {Ms(floor, 0.5)} | {Ms(floor, 0.95)} | {Ms(floor, 0.99)} | ×{floor.PerSecond / measured.Result.PerSecond:0.0} |");
                    table.AppendLine(row);
                    await Console.Error.WriteLineAsync(row);
                    foreach (var failure in new[] { measured.Result.FirstFailure, compared?.Result.FirstFailure, floor.FirstFailure }.OfType<string>())
                    {
                        await Console.Error.WriteLineAsync($"  first failure: {failure}");
                    }
                }

                memory.Add(string.Create(CultureInfo.InvariantCulture, $"RSS after the {connections}-connection round: app {server.RssMegabytes:0} MB{(baselineServer is null ? "" : $", baseline {baselineServer.RssMegabytes:0} MB")}, bare Kestrel {bare.RssMegabytes:0} MB."));
            }
            finally
            {
                foreach (var data in folders.Where(System.IO.Directory.Exists))
                {
                    System.IO.Directory.Delete(data, recursive: true);
                }
            }
        }

        Console.WriteLine();
        Console.Write(table);
        Console.WriteLine();
        memory.ForEach(Console.WriteLine);
        Console.WriteLine($"Load average (1 min) before: {loadBefore}, after: {LoadAverage()} (other work on the machine skews every figure).");
    }

    /// <summary>A fresh app on a fresh data folder: the demo plus the seeded tickets, idle again before the first run.</summary>
    private static async Task<Target> StartAsync(PublishedApp app, int connections, List<string> folders, CancellationToken cancellationToken)
    {
        var data = Path.Combine(Path.GetTempPath(), "helpdesk-bench", $"load-{Guid.NewGuid():N}");
        folders.Add(data);
        var server = app.Start(data);
        try
        {
            using (var probe = new HttpClient())
            {
                await server.WaitForOkAsync(probe, "/api/health", cancellationToken);
            }

            var client = LoadDriver.Client(server.BaseAddress, connections, await app.TokenAsync(data, cancellationToken));
            await Console.Error.WriteLineAsync($"{app.Folder}, {connections} connection(s): seeding {SeedTickets:N0} tickets through the API…");
            var workload = new AgentWorkload(await AgentWorkload.SeedAsync(client, SeedTickets, cancellationToken));
            if (await AgentWorkload.FirstPageCountAsync(client, "view=late", cancellationToken) < 25)
            {
                throw new InvalidOperationException("The late view has less than a page after seeding: the data set is not what the benchmark measures.");
            }

            var seedSettled = await server.WaitUntilIdleAsync(cancellationToken);
            await Console.Error.WriteLineAsync($"The app finished the work the seeding set off {seedSettled.TotalSeconds:0} s after it.");
            return new Target(server, client, workload);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    private static async Task<(LoadResult Result, TimeSpan Settled)> MeasureSettledAsync(Target target, int connections, string scenario, TimeSpan warmup, TimeSpan duration, CancellationToken cancellationToken)
    {
        var result = await MeasureAsync(target.Client, connections, target.Workload.Requests(scenario), warmup, duration, cancellationToken);
        return (result, await target.Server.WaitUntilIdleAsync(cancellationToken));
    }

    private static string Cells((LoadResult Result, TimeSpan Settled) run) => string.Create(
        CultureInfo.InvariantCulture,
        $"{run.Result.PerSecond:N0} | {Ms(run.Result, 0.5)} | {Ms(run.Result, 0.95)} | {Ms(run.Result, 0.99)} | {run.Result.Latency.MaxMicroseconds / 1000.0:0.0} | {run.Result.Failed} | {run.Settled.TotalSeconds:0.0}");

    /// <summary>The machine's 1-minute load average: printed beside the figures, since the cores are shared.</summary>
    public static string LoadAverage() => File.ReadAllText("/proc/loadavg").Split(' ')[0];

    private static async Task<LoadResult> MeasureAsync(HttpClient client, int connections, Func<long, HttpRequestMessage> requests, TimeSpan warmup, TimeSpan duration, CancellationToken cancellationToken)
    {
        if (warmup > TimeSpan.Zero)
        {
            await LoadDriver.RunAsync(client, connections, requests, warmup, null, cancellationToken);
        }

        return await LoadDriver.RunAsync(client, connections, requests, duration, null, cancellationToken);
    }

    private static string Ms(LoadResult result, double share) => result.Latency.PercentileMs(share).ToString("0.00", CultureInfo.InvariantCulture);

    private sealed record Target(ServerProcess Server, HttpClient Client, AgentWorkload Workload);
}
