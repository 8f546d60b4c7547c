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
/// printed, since req/s alone hides it. Progress goes to stderr, the table to stdout.
/// </summary>
internal static class LoadBenchmark
{
    private const int SeedTickets = 2_000;

    public static async Task RunAsync(int[] connectionCounts, TimeSpan duration, TimeSpan warmup, string? appFolder, CancellationToken cancellationToken)
    {
        var app = await PublishedApp.FindOrPackageAsync(appFolder, cancellationToken);
        var loadBefore = LoadAverage();
        var table = new StringBuilder();
        table.AppendLine(CultureInfo.InvariantCulture, $"App: {app.Folder} (Development settings, SQLite); {Environment.ProcessorCount} cores, shared by the server and the load generator.");
        table.AppendLine(CultureInfo.InvariantCulture, $"Each scenario: {warmup.TotalSeconds:0} s warm-up, then {duration.TotalSeconds:0} s measured; app and bare Kestrel in turn; latencies in ms.");
        table.AppendLine();
        table.AppendLine("settle s: how long after the run the app was last busy (> 5 % of a core) with what the run set off (outbox, mails); every run starts on an idle app.");
        table.AppendLine();
        table.AppendLine("| scenario | conns | app req/s | p50 | p95 | p99 | max | errors | settle s | Kestrel req/s | p50 | p95 | p99 | Kestrel/app |");
        table.AppendLine("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        var memory = new List<string>();

        foreach (var connections in connectionCounts)
        {
            var data = Path.Combine(Path.GetTempPath(), "helpdesk-bench", $"load-{Guid.NewGuid():N}");
            try
            {
                await using var server = app.Start(data);
                await using var bare = BareKestrel.Start();
                using (var probe = new HttpClient())
                {
                    await server.WaitForOkAsync(probe, "/api/health", cancellationToken);
                    await bare.WaitForOkAsync(probe, "/api/health", cancellationToken);
                }

                using var appClient = LoadDriver.Client(server.BaseAddress, connections, await app.TokenAsync(data, cancellationToken));
                using var bareClient = LoadDriver.Client(bare.BaseAddress, connections);
                await Console.Error.WriteLineAsync($"{connections} connection(s): seeding {SeedTickets:N0} tickets through the API…");
                var workload = new AgentWorkload(await AgentWorkload.SeedAsync(appClient, SeedTickets, cancellationToken));
                if (await AgentWorkload.FirstPageCountAsync(appClient, "view=late", cancellationToken) < 25)
                {
                    throw new InvalidOperationException("The late view has less than a page after seeding: the data set is not what the benchmark measures.");
                }

                var seedSettled = await server.WaitUntilIdleAsync(cancellationToken);
                await Console.Error.WriteLineAsync($"The app finished the work the seeding set off {seedSettled.TotalSeconds:0} s after it.");
                foreach (var scenario in AgentWorkload.Scenarios)
                {
                    var measured = await MeasureAsync(appClient, connections, workload.Requests(scenario), warmup, duration, cancellationToken);
                    var settled = await server.WaitUntilIdleAsync(cancellationToken);
                    var floor = await MeasureAsync(bareClient, connections, workload.Requests(scenario), warmup, duration, cancellationToken);
                    var row = string.Create(
                        CultureInfo.InvariantCulture,
                        $"| {AgentWorkload.Describe(scenario)} | {connections} | {measured.PerSecond:N0} | {Ms(measured, 0.5)} | {Ms(measured, 0.95)} | {Ms(measured, 0.99)} | {measured.Latency.MaxMicroseconds / 1000.0:0.0} | {measured.Failed} | {settled.TotalSeconds:0.0} | {floor.PerSecond:N0} | {Ms(floor, 0.5)} | {Ms(floor, 0.95)} | {Ms(floor, 0.99)} | ×{floor.PerSecond / measured.PerSecond:0.0} |");
                    table.AppendLine(row);
                    await Console.Error.WriteLineAsync(row);
                    foreach (var failure in new[] { measured.FirstFailure, floor.FirstFailure }.OfType<string>())
                    {
                        await Console.Error.WriteLineAsync($"  first failure: {failure}");
                    }
                }

                memory.Add(string.Create(CultureInfo.InvariantCulture, $"RSS after the {connections}-connection round: app {server.RssMegabytes:0} MB, bare Kestrel {bare.RssMegabytes:0} MB."));
            }
            finally
            {
                if (System.IO.Directory.Exists(data))
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
}
