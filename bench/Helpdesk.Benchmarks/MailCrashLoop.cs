using System.Diagnostics;
using System.Globalization;
using Helpdesk.Api.Common;
using Helpdesk.Api.Mail;
using Helpdesk.Api.Tests.Infrastructure.FakeGraph;
using Helpdesk.Api.Tests.MailCrash;
using Microsoft.Data.Sqlite;

namespace Helpdesk.Benchmarks;

/// <summary>
/// Issue 25's check, many random kills: the app run as it runs standalone (Helpdesk.Api.dll from
/// this folder, its jobs in process, delta catch-up against the fake Graph every second) on a data
/// folder, while a hundred-mail corpus arrives in waves, is killed with SIGKILL again and again —
/// at a <see cref="CrashPoints"/> step chosen at random (the first mail to reach it blocks there) or
/// after a random delay — and started again on the same folder; after the last kill it runs until
/// nothing is pending. Then every run is held to what the corpus must give, whatever the order the
/// mails arrived in: each mail done (a copy under a Message-ID already taken: duplicate), one ticket
/// per conversation, exactly one acknowledgement per conversation to its customer, answering a mail
/// of it (In-Reply-To), and nothing pending. Not a test (it takes minutes): a command that prints
/// the counts and exits non-zero when one of them is not 0.
/// </summary>
internal static class MailCrashLoop
{
    private const string Mailbox = "support@helpdesk.test";
    private const string Delay = "delay";
    private static readonly string[] Kills = [CrashPoints.TicketWrittenBeforeSettled, CrashPoints.NotificationPlanned, CrashPoints.MailSentBeforeRecorded, Delay];
    private static readonly TimeSpan SettleBound = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan PointBound = TimeSpan.FromSeconds(60);

    public static async Task<int> RunAsync(int runs, int killsPerRun, int seed, CancellationToken cancellationToken)
    {
        var totals = new Counts();
        for (var run = 1; run <= runs; run++)
        {
            var counts = await RunOnceAsync(run, killsPerRun, new Random(seed + run), cancellationToken);
            totals += counts;
        }

        Console.WriteLine();
        Console.WriteLine($"{runs} runs, {totals.Kills} kills (seed {seed}, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]} on {Environment.ProcessorCount} cores)");
        Console.WriteLine($"duplicate customer emails   {totals.DuplicateEmails}");
        Console.WriteLine($"missing acknowledgements    {totals.MissingAcknowledgements}");
        Console.WriteLine($"unthreaded acknowledgements {totals.Unthreaded} (In-Reply-To not a mail of the conversation)");
        Console.WriteLine($"lost or unfinished mails    {totals.LostMails}");
        Console.WriteLine($"split conversations         {totals.Split}");
        Console.WriteLine($"pending work                {totals.Pending} (journal and outbound rows still pending)");
        return totals.Failures == 0 ? 0 : 1;
    }

    private static async Task<Counts> RunOnceAsync(int run, int killsPerRun, Random random, CancellationToken cancellationToken)
    {
        await using var graph = await FakeGraphServer.StartAsync();
        var folder = System.IO.Directory.CreateTempSubdirectory("helpdesk-mail-crash-").FullName;
        try
        {
            var corpus = Corpus(random);
            var waves = corpus.Chunk((int)Math.Ceiling(corpus.Count / (double)(killsPerRun + 1))).ToList();
            var delivered = new List<(CorpusMail Mail, string GraphId)>();
            var kills = new List<string>();
            for (var k = 0; k < killsPerRun; k++)
            {
                delivered.AddRange(k < waves.Count ? waves[k].Select(m => (m, graph.Deliver(Mailbox, m.Message))) : []);
                var kill = Kills[random.Next(Kills.Length)];
                using var app = CrashableApp.Start(folder, graph.BaseUrl, Mailbox, kill == Delay ? null : kill);
                // A delay covers the start (seconds on a busy machine) and the work after it.
                var reached = await ReachedAsync(app, "crash-point: " + kill, kill == Delay ? TimeSpan.FromSeconds(5 + (random.NextDouble() * 20)) : PointBound, cancellationToken);
                app.Kill();
                kills.Add(kill == Delay || reached ? kill : $"{kill} (not reached: killed after {PointBound.TotalSeconds} s)");
            }

            delivered.AddRange(waves.Skip(killsPerRun).SelectMany(w => w).Select(m => (m, graph.Deliver(Mailbox, m.Message))));
            var watch = Stopwatch.StartNew();
            var conversations = corpus.Select(m => m.Conversation).Distinct().ToList();
            var settled = "settled";
            using (var app = CrashableApp.Start(folder, graph.BaseUrl, Mailbox, crashPoint: null))
            {
                try
                {
                    await app.WaitUntilAsync(() => MailDataFolder.Settled(folder, delivered.Count) && conversations.All(c => Acknowledgements(graph, c).Any()), SettleBound, cancellationToken);
                }
                catch (TimeoutException)
                {
                    // What is still missing or pending is counted below.
                    settled = "NOT settled";
                }

                app.Kill();
            }

            var counts = Evaluate(folder, graph, delivered, conversations) with { Kills = kills.Count };
            Console.WriteLine($"run {run}: kills [{string.Join(", ", kills)}]; {settled} {watch.Elapsed.TotalSeconds.ToString("0", CultureInfo.InvariantCulture)} s after the last start; {counts}");
            return counts;
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            System.IO.Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>
    /// A hundred mails in forty conversations, one customer each, in random order (so replies often
    /// come before their originals): the original; replies by In-Reply-To, by References only, or
    /// sharing only Graph's conversationId (fifty in all); and ten copies of originals under the same Message-ID.
    /// </summary>
    private static List<CorpusMail> Corpus(Random random)
    {
        var mails = new List<CorpusMail>();
        for (var i = 0; i < 40; i++)
        {
            var conversation = string.Create(CultureInfo.InvariantCulture, $"conversation-{i}");
            var customer = string.Create(CultureInfo.InvariantCulture, $"customer{i}@contoso.test");
            var original = string.Create(CultureInfo.InvariantCulture, $"<original-{i}@contoso.test>");
            FakeMessage Mail(string subject, string? messageId, Dictionary<string, string>? headers) =>
                new(customer, subject, $"<p>{subject}: mail of {customer}.</p>", InternetMessageId: messageId, ConversationId: "conv-" + conversation, Headers: headers);
            mails.Add(new CorpusMail(conversation, original, Mail($"Case {i}", original, null)));
            var replies = i % 4 == 0 ? 2 : 1;
            for (var r = 0; r < replies; r++)
            {
                var id = string.Create(CultureInfo.InvariantCulture, $"<reply-{i}-{r}@contoso.test>");
                var headers = (i % 4) switch
                {
                    1 => new Dictionary<string, string> { ["References"] = original },
                    2 => null,
                    _ => new Dictionary<string, string> { ["In-Reply-To"] = original },
                };
                mails.Add(new CorpusMail(conversation, id, Mail($"RE: Case {i}", id, headers)));
            }

            if (i % 4 == 1)
            {
                mails.Add(new CorpusMail(conversation, original, Mail($"Case {i}", original, null)));
            }
        }

        return [.. mails.OrderBy(_ => random.Next())];
    }

    private static Counts Evaluate(string folder, FakeGraphServer graph, List<(CorpusMail Mail, string GraphId)> delivered, List<string> conversations)
    {
        var rows = MailDataFolder.Inbound(folder);
        var lost = 0;
        foreach (var group in delivered.GroupBy(d => d.Mail.MessageId))
        {
            // One mail of each Message-ID is done, every other one a duplicate of it.
            var states = group.Select(d => rows.TryGetValue(d.GraphId, out var row) ? row.State : "missing").ToList();
            lost += states.Count(s => s is not (InboundStates.Done or InboundStates.Duplicate)) + Math.Abs(states.Count(s => s == InboundStates.Done) - 1);
        }

        int split = 0, missing = 0, duplicates = 0, unthreaded = 0;
        foreach (var conversation in conversations)
        {
            var mails = delivered.Where(d => d.Mail.Conversation == conversation).ToList();
            var tickets = mails.Select(d => rows.TryGetValue(d.GraphId, out var row) ? row.TicketId : null).OfType<string>().Distinct().Count();
            split += tickets > 1 ? 1 : 0;
            var acknowledgements = Acknowledgements(graph, conversation).ToList();
            missing += acknowledgements.Count == 0 ? 1 : 0;
            duplicates += Math.Max(0, acknowledgements.Count - 1);
            var ids = mails.Select(d => d.Mail.MessageId).ToHashSet(StringComparer.Ordinal);
            unthreaded += acknowledgements.Count(a => a.Header("In-Reply-To") is not { } answered || !ids.Contains(answered));
        }

        var pending = rows.Values.Count(r => r.State == InboundStates.Pending) + MailDataFolder.PendingOutbound(folder);
        return new Counts(0, duplicates, missing, unthreaded, lost, split, (int)pending);
    }

    private static IEnumerable<SentMail> Acknowledgements(FakeGraphServer graph, string conversation)
    {
        var customer = "customer" + conversation["conversation-".Length..] + "@contoso.test";
        return graph.Sent.Where(s => s.To.Contains(customer) && s.Header("X-Helpdesk-Trigger") == "ticket.created");
    }

    /// <summary>One mail of the corpus: its conversation and its Message-ID (a copy has its original's).</summary>
    private sealed record CorpusMail(string Conversation, string MessageId, FakeMessage Message);

    /// <summary>True when the line came within the bound, false when the bound passed first.</summary>
    private static async Task<bool> ReachedAsync(CrashableApp app, string line, TimeSpan bound, CancellationToken cancellationToken)
    {
        try
        {
            await app.WaitForLineAsync(line, bound, cancellationToken);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>What one run (or all, added up) came to; every count but <see cref="Kills"/> must be 0.</summary>
    private sealed record Counts(int Kills = 0, int DuplicateEmails = 0, int MissingAcknowledgements = 0, int Unthreaded = 0, int LostMails = 0, int Split = 0, int Pending = 0)
    {
        public int Failures => DuplicateEmails + MissingAcknowledgements + Unthreaded + LostMails + Split + Pending;

        public static Counts operator +(Counts a, Counts b) => new(
            a.Kills + b.Kills,
            a.DuplicateEmails + b.DuplicateEmails,
            a.MissingAcknowledgements + b.MissingAcknowledgements,
            a.Unthreaded + b.Unthreaded,
            a.LostMails + b.LostMails,
            a.Split + b.Split,
            a.Pending + b.Pending);

        public override string ToString() =>
            $"duplicate emails {DuplicateEmails}, missing acknowledgements {MissingAcknowledgements}, unthreaded {Unthreaded}, lost mails {LostMails}, split conversations {Split}, pending {Pending}";
    }
}
