using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Helpdesk.Api.Common;
using Helpdesk.Api.Mail;
using Helpdesk.Api.Tests.Infrastructure.FakeGraph;
using Microsoft.Data.Sqlite;

namespace Helpdesk.Api.Tests.MailCrash;

/// <summary>
/// The app as it runs standalone (its own process, its jobs in process, a data folder), taking
/// mail in from the fake Graph by delta catch-up and answering it, killed with SIGKILL at a chosen
/// step (<see cref="CrashPoints"/>: the process announces the step and blocks there), then started
/// again on the same folder. Each mail must end as it does without the kill: its own ticket (the
/// reply on its original's), one acknowledgement per customer answering the customer's mail, and
/// nothing left pending. SQLite only: the child process runs on the data folder (its own file).
/// Waiting for the child is a bounded wait on its state, the one place a test watches real time.
/// </summary>
public sealed class CrashTests
{
    private const string Mailbox = "support@helpdesk.test";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(45);

    [Theory]
    [InlineData(CrashPoints.TicketWrittenBeforeSettled)]
    [InlineData(CrashPoints.NotificationPlanned)]
    [InlineData(CrashPoints.MailSentBeforeRecorded)]
    public async Task Killed_at_a_step_and_restarted_each_mail_ends_as_without_the_kill(string point)
    {
        await using var graph = await FakeGraphServer.StartAsync();
        var folder = System.IO.Directory.CreateTempSubdirectory("helpdesk-crash-").FullName;
        try
        {
            string[] customers = ["ana@contoso.com", "ben@contoso.com", "cleo@contoso.com"];
            var originals = customers.Select((c, i) => graph.Deliver(Mailbox, new FakeMessage(
                c, string.Create(CultureInfo.InvariantCulture, $"Case {i}"), "<p>Please help.</p>", InternetMessageId: $"<crash-{i}@contoso.com>"))).ToList();
            var reply = graph.Deliver(Mailbox, new FakeMessage(
                customers[0], "RE: Case 0", "<p>Any news?</p>", InternetMessageId: "<crash-0-reply@contoso.com>",
                Headers: new Dictionary<string, string> { ["In-Reply-To"] = "<crash-0@contoso.com>" }));

            using (var killed = AppProcess.Start(folder, graph.BaseUrl, point))
            {
                await killed.WaitForLineAsync("crash-point: " + point, Bound);
                killed.Kill();
            }

            using (var restarted = AppProcess.Start(folder, graph.BaseUrl, crashPoint: null))
            {
                await restarted.WaitUntilAsync(() => Settled(folder, originals.Count + 1) && customers.All(c => graph.Sent.Any(s => s.To.Contains(c))), Bound);
                restarted.Kill();
            }

            var rows = Inbound(folder);
            rows.Values.ShouldAllBe(r => r.State == InboundStates.Done);
            originals.Select(id => rows[id].TicketId).Distinct().Count().ShouldBe(originals.Count);
            rows[reply].TicketId.ShouldBe(rows[originals[0]].TicketId);
            PendingOutbound(folder).ShouldBe(0);
            for (var i = 0; i < customers.Length; i++)
            {
                // It answers the latest mail of the customer's conversation when it is composed and
                // names it in its References. Which of the first customer's two mails that is depends
                // on the order they were taken in, as without the kill: the reply may be the one that
                // opened the ticket (its original joining it later), or the original may be.
                var original = string.Create(CultureInfo.InvariantCulture, $"<crash-{i}@contoso.com>");
                string[] conversation = i == 0 ? [original, "<crash-0-reply@contoso.com>"] : [original];
                var acknowledgement = graph.Sent.Where(s => s.To.Contains(customers[i])).ShouldHaveSingleItem();
                acknowledgement.Header("X-Helpdesk-Trigger").ShouldBe("ticket.created");
                var answered = acknowledgement.Header("In-Reply-To").ShouldNotBeNull();
                answered.ShouldBeOneOf(conversation);
                MailThreading.MessageIds([acknowledgement.Header("References")]).ShouldContain(answered);
            }
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            System.IO.Directory.Delete(folder, recursive: true);
        }
    }

    private static bool Settled(string folder, int mails)
    {
        if (!File.Exists(Path.Combine(folder, "helpdesk.db")))
        {
            return false;
        }

        try
        {
            var rows = Inbound(folder);
            return rows.Count == mails && rows.Values.All(r => r.State != InboundStates.Pending) && PendingOutbound(folder) == 0;
        }
        catch (SqliteException)
        {
            // The schema is not there yet: the process is still starting.
            return false;
        }
    }

    private static Dictionary<string, (string State, string? TicketId)> Inbound(string folder)
    {
        using var connection = Open(folder);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT graph_id, state, ticket_id FROM mail_inbound";
        using var reader = command.ExecuteReader();
        var rows = new Dictionary<string, (string, string?)>(StringComparer.Ordinal);
        while (reader.Read())
        {
            rows[reader.GetString(0)] = (reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2));
        }

        return rows;
    }

    private static long PendingOutbound(string folder)
    {
        using var connection = Open(folder);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM mail_outbound WHERE state = 'pending'";
        return (long)command.ExecuteScalar()!;
    }

    private static SqliteConnection Open(string folder)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(folder, "helpdesk.db"), Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    /// <summary>The built app (Helpdesk.Api.dll beside the tests) run by the dotnet host, its standard output watched.</summary>
    private sealed class AppProcess : IDisposable
    {
        private readonly Process _process;
        private readonly ConcurrentQueue<string> _lines = new();

        private AppProcess(Process process)
        {
            _process = process;
            _process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is { } line)
                {
                    _lines.Enqueue(line);
                }
            };
            _process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is { } line)
                {
                    _lines.Enqueue(line);
                }
            };
        }

        public static AppProcess Start(string folder, string graphUrl, string? crashPoint)
        {
            var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = folder,
            };
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Helpdesk.Api.dll"));
            var settings = new Dictionary<string, string?>
            {
                ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
                ["Storage__DataFolder"] = folder,
                ["Jobs__RunInProcess"] = "true",
                ["Mail__Graph__BaseUrl"] = graphUrl,
                ["Mail__Graph__Authentication"] = "none",
                ["Mail__Mailboxes__0__Id"] = Mailbox,
                ["Mail__Mailboxes__0__Address"] = Mailbox,
                ["Mail__CatchUpIntervalSeconds"] = "1",
                ["Mail__IngestIntervalSeconds"] = "1",
                ["Mail__Outbound__IntervalSeconds"] = "1",
                ["Mail__Outbound__CoalesceSeconds"] = "0",
                ["Resilience__GraphRetryDelay"] = "00:00:00.010",
                ["Logging__LogLevel__Default"] = "Warning",
                [CrashPoints.Variable] = crashPoint,
            };
            foreach (var (key, value) in settings)
            {
                start.Environment[key] = value;
            }

            var process = new AppProcess(new Process { StartInfo = start });
            process._process.Start();
            process._process.BeginOutputReadLine();
            process._process.BeginErrorReadLine();
            return process;
        }

        public Task WaitForLineAsync(string line, TimeSpan bound) =>
            WaitUntilAsync(() => _lines.Contains(line), bound);

        public async Task WaitUntilAsync(Func<bool> condition, TimeSpan bound)
        {
            var watch = Stopwatch.StartNew();
            while (!condition())
            {
                if (_process.HasExited)
                {
                    throw new InvalidOperationException($"The app exited ({_process.ExitCode}):\n{string.Join('\n', _lines.TakeLast(40))}");
                }

                if (watch.Elapsed > bound)
                {
                    throw new TimeoutException($"Not reached within {bound.TotalSeconds} s; the app's last output:\n{string.Join('\n', _lines.TakeLast(40))}");
                }

                await Task.Delay(100);
            }
        }

        /// <summary>SIGKILL, as a crash: nothing of the app runs after it.</summary>
        public void Kill()
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                Kill();
            }

            _process.Dispose();
        }
    }
}
