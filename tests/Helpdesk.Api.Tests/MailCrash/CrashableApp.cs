using System.Collections.Concurrent;
using System.Diagnostics;
using Helpdesk.Api.Common;
using Helpdesk.Api.Mail;
using Microsoft.Data.Sqlite;

namespace Helpdesk.Api.Tests.MailCrash;

/// <summary>
/// The built app (Helpdesk.Api.dll beside the caller) run by the dotnet host on a data folder and one
/// Graph mailbox, its output watched for the crash-point line, killed as a crash. Shared by the crash
/// tests and the bench's random-kill loop (linked there).
/// </summary>
internal sealed class CrashableApp : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();

    private CrashableApp(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
    }

    public static CrashableApp Start(string folder, string graphUrl, string mailbox, string? crashPoint)
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
            ["Mail__Mailboxes__0__Id"] = mailbox,
            ["Mail__Mailboxes__0__Address"] = mailbox,
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

        var app = new CrashableApp(new Process { StartInfo = start });
        app._process.Start();
        app._process.BeginOutputReadLine();
        app._process.BeginErrorReadLine();
        return app;
    }

    public Task WaitForLineAsync(string line, TimeSpan bound, CancellationToken cancellationToken = default) =>
        WaitUntilAsync(() => _lines.Contains(line), bound, cancellationToken);

    public async Task WaitUntilAsync(Func<bool> condition, TimeSpan bound, CancellationToken cancellationToken = default)
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

            await Task.Delay(100, cancellationToken);
        }
    }

    /// <summary>SIGKILL, as a crash: nothing of the app runs after it.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.WaitForExit();
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is not null)
        {
            _lines.Enqueue(line);
        }
    }
}

/// <summary>What a crashable app's data folder holds of its mail work, read from its SQLite file.</summary>
internal static class MailDataFolder
{
    /// <summary>Every mail taken in and nothing pending, inbound or outbound.</summary>
    public static bool Settled(string folder, int mails)
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

    public static Dictionary<string, (string State, string? TicketId)> Inbound(string folder)
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

    public static long PendingOutbound(string folder)
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
}
