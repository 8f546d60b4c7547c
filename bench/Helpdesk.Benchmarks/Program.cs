using System.Globalization;
using System.Runtime.InteropServices;

namespace Helpdesk.Benchmarks;

/// <summary>Benchmarks that print figures; they are commands, not tests (timings never gate CI).</summary>
internal static class BenchmarkCommand
{
    public static async Task<int> Main(string[] args)
    {
        string? Option(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;

        switch (args.FirstOrDefault() ?? "views")
        {
            case "views":
                var store = Option("--store") ?? "sqlite";
                if (store is not ("sqlite" or "cosmos"))
                {
                    await Console.Error.WriteLineAsync("--store is sqlite or cosmos");
                    return 2;
                }

                var sizes = (Option("--sizes") ?? (store == "cosmos" ? "10000" : "10000,1000000")).Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
                var open = int.Parse(Option("--open") ?? "2000", CultureInfo.InvariantCulture);
                var samples = int.Parse(Option("--samples") ?? "200", CultureInfo.InvariantCulture);
                await ViewBenchmark.RunAsync(sizes, open, samples, store);
                return 0;
            case "scan":
                var scanSizes = (Option("--sizes") ?? "10000,1000000").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
                await ScanBenchmark.RunAsync(scanSizes, int.Parse(Option("--samples") ?? "15", CultureInfo.InvariantCulture));
                return 0;
            case "mail":
                await MailIngestionBenchmark.RunAsync(
                    int.Parse(Option("--mails") ?? "2000", CultureInfo.InvariantCulture),
                    int.Parse(Option("--warmup") ?? "200", CultureInfo.InvariantCulture));
                return 0;
            case "load":
                return await UntilInterruptedAsync(stop => LoadBenchmark.RunAsync(
                    (Option("--connections") ?? "32").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray(),
                    TimeSpan.FromSeconds(int.Parse(Option("--duration") ?? "10", CultureInfo.InvariantCulture)),
                    TimeSpan.FromSeconds(int.Parse(Option("--warmup") ?? "2", CultureInfo.InvariantCulture)),
                    Option("--app"),
                    Option("--baseline"),
                    Option("--scenarios")?.Split(',') ?? AgentWorkload.Scenarios,
                    stop));
            case "startup":
                return await UntilInterruptedAsync(stop => StartupBenchmark.RunAsync(
                    int.Parse(Option("--runs") ?? "8", CultureInfo.InvariantCulture),
                    Option("--app"),
                    Option("--data"),
                    args.Contains("--skip-long"),
                    int.Parse(Option("--connections") ?? "32", CultureInfo.InvariantCulture),
                    stop));
            case "mail-crash":
                return await UntilInterruptedAsync(stop => MailCrashLoop.RunAsync(
                    int.Parse(Option("--runs") ?? "3", CultureInfo.InvariantCulture),
                    int.Parse(Option("--kills") ?? "10", CultureInfo.InvariantCulture),
                    int.Parse(Option("--seed") ?? "25", CultureInfo.InvariantCulture),
                    stop));
            case BareKestrel.Command:
                await BareKestrel.RunAsync(args[1..]);
                return 0;
            default:
                await Console.Error.WriteLineAsync("Usage: views [--store sqlite|cosmos] [--sizes 10000,1000000] [--open 2000] [--samples 200] | scan [--sizes 10000,1000000] [--samples 15] | mail [--mails 2000] [--warmup 200]"
                    + " | mail-crash [--runs 3] [--kills 10] [--seed 25] | load [--connections 1,32] [--duration 10] [--warmup 2] [--app DIR] [--baseline DIR] [--scenarios view=open,view=late,create,reply,mixed] | startup [--runs 8] [--app DIR] [--data DIR] [--connections 32] [--skip-long]");
                return 2;
        }
    }

    /// <summary>
    /// Runs a benchmark that starts servers; Ctrl+C, SIGTERM or SIGHUP cancels it, so the servers it
    /// started are stopped on the way out (a second signal ends it at once).
    /// </summary>
    private static Task<int> UntilInterruptedAsync(Func<CancellationToken, Task> benchmark) =>
        UntilInterruptedAsync(async stop =>
        {
            await benchmark(stop);
            return 0;
        });

    /// <summary>The same for a command whose exit code says whether what it checked held.</summary>
    private static async Task<int> UntilInterruptedAsync(Func<CancellationToken, Task<int>> benchmark)
    {
        using var interrupted = new CancellationTokenSource();
        void Stop(PosixSignalContext context)
        {
            context.Cancel = !interrupted.IsCancellationRequested;
            interrupted.Cancel();
        }

        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var hangUp = PosixSignalRegistration.Create(PosixSignal.SIGHUP, Stop);
        try
        {
            return await benchmark(interrupted.Token);
        }
        catch (OperationCanceledException) when (interrupted.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("Interrupted: the servers it started are stopped.");
            return 130;
        }
    }
}
