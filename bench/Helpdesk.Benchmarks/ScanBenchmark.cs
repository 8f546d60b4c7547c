using System.Diagnostics;
using System.Globalization;
using Helpdesk.Api.Sla;
using Helpdesk.Api.Storage.Sqlite;
using Helpdesk.Api.Tickets;
using Helpdesk.Api.Triggers;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;
using Microsoft.Extensions.DependencyInjection;

namespace Helpdesk.Benchmarks;

/// <summary>
/// Issue 3's figure: one SLA breach scan at several store sizes, each with the same 100 tickets
/// due in the next minute, and scan(largest)/scan(smallest) (target ≤ 1.5: the cost follows the
/// due tickets, not the store). Besides the 100 due urgent tickets the backlog holds 1,900 open
/// low-priority tickets not due for hours; everything else is closed. Between samples the 100
/// tickets are put back as they were, so every sample is the same scan.
/// </summary>
internal static class ScanBenchmark
{
    private const int Due = 100;
    private const int OpenNotDue = 1_900;
    private static readonly DateTimeOffset T = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    public static async Task RunAsync(int[] sizes, int samples)
    {
        var results = new Dictionary<int, (double P50, double P95)>();
        foreach (var size in sizes)
        {
            var folder = Path.Combine(Path.GetTempPath(), "helpdesk-bench", $"scan-{size}");
            var clock = new BenchClock(T);
            await using var app = new BenchApp(folder, clock);
            await EnsureLoadedAsync(app, folder, size);
            results[size] = await MeasureAsync(app, clock, samples);
            Console.WriteLine($"scan@{size:N0}: p50 {Ms(results[size].P50)}, p95 {Ms(results[size].P95)}");
        }

        var ratio = results[sizes[^1]].P50 / results[sizes[0]].P50;
        Console.WriteLine($"scan({sizes[^1]:N0})/scan({sizes[0]:N0}) = {ratio.ToString("0.00", CultureInfo.InvariantCulture)} (p50; target ≤ 1.5)");
    }

    private static string Ms(double ms) => ms.ToString("0.0", CultureInfo.InvariantCulture) + " ms";

    private static async Task EnsureLoadedAsync(BenchApp app, string folder, int size)
    {
        var loaded = Path.Combine(folder, "loaded");
        if (File.Exists(loaded))
        {
            Console.WriteLine($"Reusing the {size:N0}-ticket data set in {folder}.");
            return;
        }

        var store = app.Services.GetRequiredService<SqliteTicketStore>();
        var format = new TicketNumberFormat("SCAN", 7, yearlyReset: false);
        var first = await store.ReserveAsync(format.SequenceKey(T), size, CancellationToken.None);
        var watch = Stopwatch.StartNew();
        const int batch = 20_000;
        for (var start = 0; start < size; start += batch)
        {
            var tickets = new List<Ticket>(batch);
            for (var i = start; i < Math.Min(size, start + batch); i++)
            {
                tickets.Add(Build(i, size, format.Format(T, first + i)));
            }

            await store.CreateManyAsync(tickets, CancellationToken.None);
            Console.Write($"\rLoaded {Math.Min(size, start + batch):N0} / {size:N0} tickets in {watch.Elapsed.TotalSeconds:0} s");
        }

        Console.WriteLine();
        await File.WriteAllTextAsync(loaded, size.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>The last <see cref="Due"/> tickets warn 30 s after T; the <see cref="OpenNotDue"/> before them hours later; the rest are closed.</summary>
    private static Ticket Build(int i, int size, string number)
    {
        var agent = Actor.Agent("agt_bench");
        var fromEnd = size - i;
        var (priority, createdAt) = fromEnd <= Due
            ? (Priority.Urgent, T - TimeSpan.FromMinutes(44.5))
            : fromEnd <= Due + OpenNotDue
                ? (Priority.Low, T - TimeSpan.FromHours(1))
                : (Priority.Normal, T - TimeSpan.FromDays(30) - TimeSpan.FromMinutes(fromEnd));
        var ticket = Ticket.Create(
            new NewTicket($"t_scan_{i}", number, $"Scan benchmark ticket {i}", null, new Requester($"con_{i % 500}", $"customer{i % 500}@bench.test", null),
                null, priority, "incident", null, null, null, null, "agt_bench", null, null, [], true),
            agent,
            TicketSettings.Default,
            createdAt);
        if (fromEnd > Due + OpenNotDue)
        {
            ticket.Resolve("done", null, agent, createdAt.AddHours(1));
            ticket.Close(null, agent, createdAt.AddDays(1));
        }

        return ticket;
    }

    private static async Task<(double, double)> MeasureAsync(BenchApp app, BenchClock clock, int samples)
    {
        var database = app.Services.GetRequiredService<SqliteDatabase>();
        clock.Set(T.AddMinutes(1));
        var saved = await SaveDueAsync(database);
        if (saved.Count != Due)
        {
            throw new InvalidOperationException($"Expected {Due} due tickets, found {saved.Count}.");
        }

        var timings = new List<double>();
        for (var sample = 0; sample < samples + 2; sample++)
        {
            await using var scope = app.Services.CreateAsyncScope();
            var job = scope.ServiceProvider.GetRequiredService<ScanSlaBreaches>();
            var watch = Stopwatch.StartNew();
            var logs = await job.RunAsync(new TimerInfo(false, null, null), CancellationToken.None);
            watch.Stop();
            if (!logs[0].Contains($"{Due} tickets due, {Due} milestones recorded", StringComparison.Ordinal))
            {
                throw new InvalidOperationException("Unexpected scan: " + logs[0]);
            }

            await RestoreAsync(database, saved);
            if (sample >= 2)
            {
                timings.Add(watch.Elapsed.TotalMilliseconds);
            }
        }

        timings.Sort();
        return (timings[timings.Count / 2], timings[(int)Math.Ceiling(timings.Count * 0.95) - 1]);
    }

    private sealed record SavedRow(string Id, long Version, string Doc, string? LateAt, string? SlaNextAt);

    private static async Task<List<SavedRow>> SaveDueAsync(SqliteDatabase database)
    {
        await using var connection = await database.OpenAsync(CancellationToken.None);
        await using var command = connection.Command(
            "SELECT id, version, doc, late_at, sla_next_at FROM tickets WHERE sla_next_at IS NOT NULL AND sla_next_at <= $now",
            null,
            ("$now", SqliteTime.Format(T.AddMinutes(1))));
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<SavedRow>();
        while (await reader.ReadAsync())
        {
            rows.Add(new SavedRow(reader.GetString(0), reader.GetInt64(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4)));
        }

        return rows;
    }

    private static async Task RestoreAsync(SqliteDatabase database, List<SavedRow> rows)
    {
        await using var connection = await database.OpenAsync(CancellationToken.None);
        await using var transaction = connection.BeginTransaction();
        foreach (var row in rows)
        {
            await using var command = connection.Command(
                "UPDATE tickets SET version = $version, doc = $doc, late_at = $late, sla_next_at = $next WHERE id = $id",
                transaction,
                ("$version", row.Version),
                ("$doc", row.Doc),
                ("$late", row.LateAt),
                ("$next", row.SlaNextAt),
                ("$id", row.Id));
            await command.ExecuteNonQueryAsync();
        }

        await transaction.CommitAsync();
    }
}

/// <summary>The scan benchmark's clock, moved by hand.</summary>
internal sealed class BenchClock(DateTimeOffset now) : TimeProvider
{
    private DateTimeOffset _now = now;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Set(DateTimeOffset now) => _now = now;
}
