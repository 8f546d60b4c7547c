using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Helpdesk.Api.Directory;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Directory;
using Helpdesk.Domain.Tickets;
using Microsoft.Extensions.DependencyInjection;

namespace Helpdesk.Benchmarks;

/// <summary>
/// Issue 2's figure: p50/p95 of the open, mine, unassigned and late views and of ticket
/// creation at several store sizes, and p95(largest)/p95(smallest) per operation (target ≤ 1.5).
/// The data set is what a helpdesk looks like after years: a constant open backlog (default
/// 2,000 tickets, 10 % of them late, 30 % unassigned) and everything else closed.
/// </summary>
internal static class ViewBenchmark
{
    private const int Agents = 20;
    private static readonly string[] Operations = ["view=open", "view=mine", "view=unassigned", "view=late", "POST /api/tickets"];

    public static async Task RunAsync(int[] sizes, int openBacklog, int samples, string store)
    {
        var results = new Dictionary<int, Dictionary<string, (double P50, double P95)>>();
        foreach (var size in sizes)
        {
            var folder = Path.Combine(Path.GetTempPath(), "helpdesk-bench", $"views-{store}-{size}-{openBacklog}");
            if (store == "cosmos")
            {
                // The test server keeps its data in memory: every run loads the data set anew.
                await using var app = BenchCosmos.App(folder, $"views-{size}-{Guid.NewGuid():N}");
                await LoadThroughStoreAsync(app, size, openBacklog);
                results[size] = await MeasureAsync(app, samples);
            }
            else
            {
                await using var app = new BenchApp(folder);
                await EnsureLoadedAsync(app, folder, size, openBacklog);
                results[size] = await MeasureAsync(app, samples);
            }
        }

        if (store == "cosmos")
        {
            Console.WriteLine();
            Console.WriteLine("On the Cosmos DB test server: every query scans the container in one node process, so these");
            Console.WriteLine("timings prove the query shapes and their composite indexes at this size, not Cosmos DB's speed");
            Console.WriteLine("(docs/adr/0004-cosmos-containers.md estimates the RU per operation).");
        }

        Console.WriteLine();
        Console.WriteLine($"{"operation",-20}" + string.Concat(sizes.Select(s => $"{$"p50@{s}",14}{$"p95@{s}",14}")) + $"{"p95 ratio",12}");
        foreach (var operation in Operations)
        {
            var row = $"{operation,-20}" + string.Concat(sizes.Select(s => $"{Ms(results[s][operation].P50),14}{Ms(results[s][operation].P95),14}"));
            var ratio = results[sizes[^1]][operation].P95 / results[sizes[0]][operation].P95;
            Console.WriteLine(row + $"{ratio.ToString("0.00", CultureInfo.InvariantCulture),12}");
        }
    }

    private static string Ms(double ms) => ms.ToString("0.00", CultureInfo.InvariantCulture) + " ms";

    private static async Task EnsureLoadedAsync(BenchApp app, string folder, int size, int openBacklog)
    {
        var loaded = Path.Combine(folder, "loaded");
        if (File.Exists(loaded))
        {
            Console.WriteLine($"Reusing the {size:N0}-ticket data set in {folder}.");
            return;
        }

        if (System.IO.Directory.Exists(folder))
        {
            System.IO.Directory.Delete(folder, recursive: true);
        }

        var directory = app.Services.GetRequiredService<IDirectoryStore>();

        for (var a = 0; a < Agents; a++)
        {
            await directory.CreateAsync(DirectoryKinds.Agent, new Agent($"agt_{a:D2}", $"agent{a:D2}@bench.test", $"Agent {a}", [], ["agent"], true), CancellationToken.None);
        }

        var store = app.Services.GetRequiredService<SqliteTicketStore>();
        var now = DateTimeOffset.UtcNow;
        var format = new TicketNumberFormat("BENCH", 7, yearlyReset: false);
        var first = await store.ReserveAsync(format.SequenceKey(now), size, CancellationToken.None);
        var watch = Stopwatch.StartNew();
        const int batch = 20_000;
        for (var start = 0; start < size; start += batch)
        {
            var tickets = new List<Ticket>(batch);
            for (var i = start; i < Math.Min(size, start + batch); i++)
            {
                // Closed history first, the open backlog last: the newest tickets are the open ones.
                var isOpen = i >= size - openBacklog;
                tickets.Add(Build(i, isOpen, now.AddMinutes(-(size - i)), format.Format(now, first + i)));
            }

            await store.CreateManyAsync(tickets, CancellationToken.None);
            Console.Write($"\rLoaded {Math.Min(size, start + batch):N0} / {size:N0} tickets in {watch.Elapsed.TotalSeconds:0} s");
        }

        Console.WriteLine();
        await File.WriteAllTextAsync(loaded, size.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// Loads through the store interfaces, the way the app writes (one create per ticket, its
    /// number claimed, its order taken from the counter): Cosmos DB has no bulk path of ours.
    /// </summary>
    private static async Task LoadThroughStoreAsync(BenchApp app, int size, int openBacklog)
    {
        var directory = app.Services.GetRequiredService<IDirectoryStore>();
        for (var a = 0; a < Agents; a++)
        {
            await directory.CreateAsync(DirectoryKinds.Agent, new Agent($"agt_{a:D2}", $"agent{a:D2}@bench.test", $"Agent {a}", [], ["agent"], true), CancellationToken.None);
        }

        var store = app.Services.GetRequiredService<ITicketStore>();
        var now = DateTimeOffset.UtcNow;
        var format = new TicketNumberFormat("BENCH", 7, yearlyReset: false);
        var first = await app.Services.GetRequiredService<ITicketNumberSequence>().ReserveAsync(format.SequenceKey(now), size, CancellationToken.None);
        var watch = Stopwatch.StartNew();
        var done = 0;
        await Parallel.ForAsync(0, size, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            var isOpen = i >= size - openBacklog;
            await store.SaveAsync(Build(i, isOpen, now.AddMinutes(-(size - i)), format.Format(now, first + i)), ct);
            if (Interlocked.Increment(ref done) % 1000 == 0)
            {
                Console.Write($"\rLoaded {done:N0} / {size:N0} tickets in {watch.Elapsed.TotalSeconds:0} s");
            }
        });
        Console.WriteLine();
    }

    /// <summary>
    /// The data set gives every view more than a page (2,000 open, 200 late, 600 unassigned, 100
    /// open for the agent measured): a shorter first page, or a ticket the view should not hold, is a wrong
    /// query shape, whatever its speed.
    /// </summary>
    private static void CheckFullPage(string operation, byte[] body)
    {
        var items = JsonNode.Parse(body)!["items"]!.AsArray();
        var wrong = items.Where(t => t!["status"]!.GetValue<string>() is "resolved" or "closed").Count();
        if (items.Count != 50 || wrong > 0)
        {
            throw new InvalidOperationException($"{operation} answered {items.Count} tickets ({wrong} of them closed) where a full page of open ones was due.");
        }
    }

    private static Ticket Build(int i, bool isOpen, DateTimeOffset createdAt, string number)
    {
        var agent = Actor.Agent($"agt_{i % Agents:D2}");
        var assignee = isOpen && i % 10 < 3 ? null : $"agt_{i % Agents:D2}";
        var due = isOpen && i % 10 == 9 ? createdAt.AddMinutes(-1) : createdAt.AddDays(30);
        var ticket = Ticket.Create(
            new NewTicket($"t_bench_{i}", number, $"Benchmark ticket {i}", "A short description.",
                new Requester($"con_{i % 500}", $"customer{i % 500}@bench.test", null), null, (Priority)(i % 4), "incident", null, null, null, null,
                assignee, null, due, [], true),
            agent,
            TicketSettings.Default,
            createdAt);
        if (!isOpen)
        {
            ticket.Resolve("done", null, agent, createdAt.AddHours(1));
            ticket.Close(null, agent, createdAt.AddDays(1));
        }

        return ticket;
    }

    private static async Task<Dictionary<string, (double, double)>> MeasureAsync(BenchApp app, int samples)
    {
        // Agent 03 owns 100 open tickets (ticket i goes to agent i % 20, and 3 in 10 open ones stay
        // unassigned: i % 10 < 3, so agents 00-02 and 10-12 own none and their "mine" is empty).
        var client = app.ClientFor("agent03@bench.test");
        var results = new Dictionary<string, (double, double)>();
        foreach (var operation in Operations)
        {
            var timings = new List<double>(samples);
            for (var i = 0; i < samples + (samples / 10); i++)
            {
                var watch = Stopwatch.StartNew();
                var response = operation.StartsWith("POST", StringComparison.Ordinal)
                    ? await client.PostAsJsonAsync("/api/tickets", new { subject = "Benchmark creation", requester = new { email = "bench-post@bench.test" } })
                    : await client.GetAsync($"/api/tickets?{operation}&limit=50");
                var body = await response.Content.ReadAsByteArrayAsync();
                watch.Stop();
                response.EnsureSuccessStatusCode();
                if (i == 0 && !operation.StartsWith("POST", StringComparison.Ordinal))
                {
                    CheckFullPage(operation, body);
                }

                if (i >= samples / 10)
                {
                    timings.Add(watch.Elapsed.TotalMilliseconds);
                }
            }

            timings.Sort();
            results[operation] = (timings[timings.Count / 2], timings[(int)Math.Ceiling(timings.Count * 0.95) - 1]);
        }

        return results;
    }
}
