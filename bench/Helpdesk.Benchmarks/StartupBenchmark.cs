using System.Globalization;

namespace Helpdesk.Benchmarks;

/// <summary>
/// Issue 22's cold-start figures: the packaged app started N times on an existing data folder (as
/// an Azure Functions scale-out starts it on an existing database), timed from process start to
/// the first 200 of /api/health and to the first authenticated view, and its RSS after the start;
/// then, unless skipped, RSS after 10,000 and 100,000 requests of the mixed agent workload (on a
/// throwaway copy of the folder, so the measured starts always meet the same data). Bare Kestrel is
/// measured the same way, in turn with the app. Progress goes to stderr, the table to stdout.
/// </summary>
internal static class StartupBenchmark
{
    private const int SeedTickets = 2_000;
    private const long ShortRequests = 10_000;
    private const long LongRequests = 100_000;

    public static async Task RunAsync(int runs, string? appFolder, string? dataFolder, bool skipLong, int connections, CancellationToken cancellationToken)
    {
        var app = await PublishedApp.FindOrPackageAsync(appFolder, cancellationToken);
        var data = dataFolder is null ? await PreparedFolderAsync(app, cancellationToken) : Path.GetFullPath(dataFolder);
        if (!File.Exists(Path.Combine(data, "helpdesk.db")))
        {
            throw new FileNotFoundException($"{data} holds no helpdesk.db: startup measures an existing data folder.");
        }

        var loadBefore = LoadBenchmark.LoadAverage();
        var token = await app.TokenAsync(data, cancellationToken);
        var appRuns = new List<(double Health, double View, double Rss)>();
        var bareRuns = new List<(double Health, double View, double Rss)>();
        for (var run = 1; run <= runs; run++)
        {
            await using (var server = app.Start(data))
            {
                appRuns.Add(await FirstAnswersAsync(server, token, cancellationToken));
            }

            await using (var bare = BareKestrel.Start())
            {
                bareRuns.Add(await FirstAnswersAsync(bare, null, cancellationToken));
            }

            await Console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"run {run}: app {appRuns[^1].Health:0} / {appRuns[^1].View:0} ms, {appRuns[^1].Rss:0} MB; bare Kestrel {bareRuns[^1].Health:0} / {bareRuns[^1].View:0} ms, {bareRuns[^1].Rss:0} MB"));
        }

        var rows = new List<string>
        {
            $"| process start → first 200 on /api/health | {Median(appRuns, r => r.Health)} ms | {Median(bareRuns, r => r.Health)} ms |",
            $"| process start → first GET /api/tickets?view=open 200 (with a token) | {Median(appRuns, r => r.View)} ms | {Median(bareRuns, r => r.View)} ms |",
            $"| RSS after that first view | {Median(appRuns, r => r.Rss)} MB | {Median(bareRuns, r => r.Rss)} MB |",
        };

        if (!skipLong)
        {
            var copy = Path.Combine(Path.GetTempPath(), "helpdesk-bench", $"startup-copy-{Guid.NewGuid():N}");
            try
            {
                CopyFolder(data, copy);
                var appMemory = await MemoryUnderLoadAsync(app.Start(copy), token, connections, cancellationToken);
                var bareMemory = await MemoryUnderLoadAsync(BareKestrel.Start(), null, connections, cancellationToken);
                rows.Add(string.Create(CultureInfo.InvariantCulture, $"| RSS after {ShortRequests:N0} mixed requests ({connections} connections) | {appMemory.Short:0} MB | {bareMemory.Short:0} MB |"));
                rows.Add(string.Create(CultureInfo.InvariantCulture, $"| RSS after {LongRequests:N0} mixed requests | {appMemory.Long:0} MB ({appMemory.Long / appMemory.Short:0.00} × the 10k figure; {appMemory.Failed} failed) | {bareMemory.Long:0} MB |"));
            }
            finally
            {
                if (System.IO.Directory.Exists(copy))
                {
                    System.IO.Directory.Delete(copy, recursive: true);
                }
            }
        }

        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"App: {app.Folder} (Development settings) on {data}; median of {runs} starts (min–max); {Environment.ProcessorCount} cores."));
        Console.WriteLine();
        Console.WriteLine("| | app | bare Kestrel |");
        Console.WriteLine("|---|--:|--:|");
        rows.ForEach(Console.WriteLine);
        Console.WriteLine();
        Console.WriteLine($"Load average (1 min) before: {loadBefore}, after: {LoadBenchmark.LoadAverage()} (other work on the machine skews every figure).");
    }

    /// <summary>The default data folder, made once: the demo and 2,000 tickets created through the API, their mails sent, then a clean stop.</summary>
    private static async Task<string> PreparedFolderAsync(PublishedApp app, CancellationToken cancellationToken)
    {
        var data = Path.Combine(Path.GetTempPath(), "helpdesk-bench", "startup");
        var prepared = Path.Combine(data, "prepared");
        if (File.Exists(prepared))
        {
            return data;
        }

        if (System.IO.Directory.Exists(data))
        {
            System.IO.Directory.Delete(data, recursive: true);
        }

        await Console.Error.WriteLineAsync($"Preparing {data}: the demo and {SeedTickets:N0} tickets, then a clean stop…");
        await using (var first = app.Start(data))
        {
            using var probe = new HttpClient();
            await first.WaitForOkAsync(probe, "/api/health", cancellationToken);
            using var client = LoadDriver.Client(first.BaseAddress, 8, await app.TokenAsync(data, cancellationToken));
            await AgentWorkload.SeedAsync(client, SeedTickets, cancellationToken);

            // Stopped with the seeding's mails still queued, every measured start would send them.
            await first.WaitUntilIdleAsync(cancellationToken);
        }

        await File.WriteAllTextAsync(prepared, SeedTickets.ToString(CultureInfo.InvariantCulture), cancellationToken);
        return data;
    }

    private static async Task<(double Health, double View, double Rss)> FirstAnswersAsync(ServerProcess server, string? token, CancellationToken cancellationToken)
    {
        using var client = LoadDriver.Client(server.BaseAddress, 1, token);
        var health = await server.WaitForOkAsync(client, "/api/health", cancellationToken);
        var view = await server.WaitForOkAsync(client, "/api/tickets?view=open&limit=25", cancellationToken);
        return (health.TotalMilliseconds, view.TotalMilliseconds, server.RssMegabytes);
    }

    private static async Task<(double Short, double Long, long Failed)> MemoryUnderLoadAsync(ServerProcess started, string? token, int connections, CancellationToken cancellationToken)
    {
        await using var server = started;
        using var client = LoadDriver.Client(server.BaseAddress, connections, token);
        await server.WaitForOkAsync(client, "/api/health", cancellationToken);
        var workload = new AgentWorkload(token is null ? ["t_bare"] : await AgentWorkload.OpenTicketIdsAsync(client, cancellationToken));
        await Console.Error.WriteLineAsync($"{server.Name}: {LongRequests:N0} mixed requests over {connections} connections…");
        var first = await LoadDriver.RunAsync(client, connections, workload.Requests("mixed"), null, ShortRequests, cancellationToken);
        var atShort = server.RssMegabytes;
        var rest = await LoadDriver.RunAsync(client, connections, workload.Requests("mixed"), null, LongRequests - ShortRequests, cancellationToken);
        return (atShort, server.RssMegabytes, first.Failed + rest.Failed);
    }

    private static string Median(List<(double Health, double View, double Rss)> runs, Func<(double Health, double View, double Rss), double> figure)
    {
        var sorted = runs.Select(figure).Order().ToList();
        var median = sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
        return string.Create(CultureInfo.InvariantCulture, $"{median:0} ({sorted[0]:0}–{sorted[^1]:0})");
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (var file in System.IO.Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
