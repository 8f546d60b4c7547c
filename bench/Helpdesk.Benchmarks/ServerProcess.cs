using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Helpdesk.Benchmarks;

/// <summary>
/// A server that <c>load</c> and <c>startup</c> run as a child process, listening on 127.0.0.1
/// only, on a port that was free a moment before. Its output is drained (a full pipe would stall
/// it) and the last lines kept for the error when it fails to answer. It is stopped with SIGTERM, so
/// SQLite checkpoints its WAL and the next start measures no recovery, and killed if it has not
/// exited within 15 s. The benchmarks dispose of it on every way out: the end, a failure, and a
/// signal (Program.UntilInterruptedAsync turns Ctrl+C, SIGTERM and SIGHUP into a cancellation).
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    /// <summary>USER_HZ, the unit of /proc's CPU times: 100 on every Linux build this runs on.</summary>
    private const long TicksPerSecond = 100;
    private readonly Process _process;
    private readonly Queue<string> _lastLines = new();

    private ServerProcess(string name, Process process, Uri baseAddress, long startedAt)
    {
        Name = name;
        _process = process;
        BaseAddress = baseAddress;
        StartedAt = startedAt;
    }

    public string Name { get; }

    public Uri BaseAddress { get; }

    /// <summary>The <see cref="Stopwatch"/> timestamp taken just before the process was started.</summary>
    public long StartedAt { get; }

    /// <summary>Resident memory now (VmRSS of /proc/&lt;pid&gt;/status), in megabytes.</summary>
    public double RssMegabytes
    {
        get
        {
            var line = File.ReadLines($"/proc/{_process.Id}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            var kilobytes = long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            return kilobytes / 1024.0;
        }
    }

    /// <summary>
    /// Waits until the server has used less than 5 % of a core over the last 7 seconds (background
    /// work a run set off, such as the mails of the tickets it created, is done; the app's event
    /// pump works in batches up to 5 s apart, so a shorter quiet spell proves nothing) and returns
    /// when, to the half second, it last used more than that; gives up after three minutes.
    /// </summary>
    public async Task<TimeSpan> WaitUntilIdleAsync(CancellationToken cancellationToken)
    {
        const int windows = 14;
        var window = TimeSpan.FromMilliseconds(500);
        var started = Stopwatch.GetTimestamp();
        var lastBusy = TimeSpan.Zero;
        var recent = new Queue<long>();
        var before = CpuTicks();
        while (Stopwatch.GetElapsedTime(started) < TimeSpan.FromMinutes(3))
        {
            await Task.Delay(window, cancellationToken);
            var now = CpuTicks();
            var used = now - before;
            before = now;
            if (used * 20 > TicksPerSecond * window.TotalSeconds)
            {
                lastBusy = Stopwatch.GetElapsedTime(started);
            }

            recent.Enqueue(used);
            if (recent.Count > windows)
            {
                recent.Dequeue();
            }

            if (recent.Count == windows && recent.Sum() * 20 <= TicksPerSecond * windows * window.TotalSeconds)
            {
                break;
            }
        }

        return lastBusy;
    }

    public static ServerProcess Start(string name, string fileName, IEnumerable<string> arguments, string workingDirectory, IReadOnlyDictionary<string, string> environment)
    {
        var port = FreeLoopbackPort();
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        start.Environment["ASPNETCORE_URLS"] = string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}");
        start.Environment.Remove("ASPNETCORE_HTTP_PORTS");
        start.Environment.Remove("ASPNETCORE_HTTPS_PORTS");
        start.Environment.Remove("FUNCTIONS_CUSTOMHANDLER_PORT");

        var process = new Process { StartInfo = start };
        var startedAt = Stopwatch.GetTimestamp();
        process.Start();
        var server = new ServerProcess(name, process, new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}")), startedAt);
        process.OutputDataReceived += (_, e) => server.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => server.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return server;
    }

    /// <summary>
    /// Asks <paramref name="path"/> every 5 ms until it answers 200 and returns the time since the
    /// process was started; fails with the server's last output lines if it exits or takes over three minutes (a start takes a minute on a 2-core machine shared by several builds).
    /// </summary>
    public async Task<TimeSpan> WaitForOkAsync(HttpClient client, string path, CancellationToken cancellationToken)
    {
        var giveUp = Stopwatch.GetTimestamp() + (180 * Stopwatch.Frequency);
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with code {_process.ExitCode} before {path} answered 200.{Output()}");
            }

            try
            {
                using var response = await client.GetAsync(new Uri(BaseAddress, path), cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return Stopwatch.GetElapsedTime(StartedAt);
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            if (Stopwatch.GetTimestamp() > giveUp)
            {
                throw new TimeoutException($"{Name} did not answer 200 on {path} within three minutes.{Output()}");
            }

            await Task.Delay(5, cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                using var term = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]);
                await term.WaitForExitAsync();
                using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                try
                {
                    await _process.WaitForExitAsync(grace.Token);
                }
                catch (OperationCanceledException)
                {
                    _process.Kill(entireProcessTree: true);
                    await _process.WaitForExitAsync();
                }
            }
        }
        finally
        {
            _process.Dispose();
        }
    }

    /// <summary>User plus system CPU time so far, in clock ticks (fields 14 and 15 of /proc/&lt;pid&gt;/stat, after the name in parentheses).</summary>
    private long CpuTicks()
    {
        var stat = File.ReadAllText($"/proc/{_process.Id}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lastLines)
        {
            _lastLines.Enqueue(line);
            if (_lastLines.Count > 40)
            {
                _lastLines.Dequeue();
            }
        }
    }

    private string Output()
    {
        lock (_lastLines)
        {
            return _lastLines.Count == 0 ? " It printed nothing." : $" Its last lines:{Environment.NewLine}{string.Join(Environment.NewLine, _lastLines)}";
        }
    }
}
