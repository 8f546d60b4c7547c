using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Playwright;

namespace Helpdesk.Web.Tests.Browser;

/// <summary>
/// The real API, as `dotnet run` starts it (Development, demo data), serving the published console,
/// on a free 127.0.0.1 port over a fresh SQLite folder, and one headless Debian chromium driven by
/// Playwright. Shared by the browser tests; stopped and deleted after them.
/// </summary>
public sealed class ConsoleServer : IAsyncLifetime
{
    public const string Chromium = "/usr/bin/chromium";

    // Flags of .library/env/machines/dotnet.md: the network is closed, so nothing in the background.
    private static readonly string[] ChromiumFlags =
    [
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
    ];

    private readonly string _dataFolder = Path.Combine(Path.GetTempPath(), "helpdesk-web-browser", Guid.NewGuid().ToString("N"));
    private readonly StringBuilder _log = new();
    private Process? _api;
    private IPlaywright? _playwright;

    public Uri BaseAddress { get; private set; } = new("http://127.0.0.1/");

    /// <summary>The API's SQLite data folder: what only an outside system can put there (a mail the firewall held) is seeded in it.</summary>
    public string DataFolder => _dataFolder;

    public IBrowser Browser { get; private set; } = default!;

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public async Task InitializeAsync()
    {
        File.Exists(Path.Combine(Repository.ConsoleRoot, "index.html")).ShouldBeTrue($"No published console in {Repository.ConsoleRoot}: building tests/Helpdesk.Web.Tests publishes it.");
        File.Exists(Chromium).ShouldBeTrue("Debian's chromium is missing: scripts/test.sh installs it (apt-get install chromium).");

        BaseAddress = new Uri($"http://127.0.0.1:{FreePort()}/");
        var start = new ProcessStartInfo("dotnet", [Repository.ApiAssembly])
        {
            WorkingDirectory = Path.GetDirectoryName(Repository.ApiAssembly)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["ASPNETCORE_URLS"] = BaseAddress.ToString().TrimEnd('/');
        start.Environment["Storage__DataFolder"] = _dataFolder;
        start.Environment["Auth__DevelopmentSigningKey"] = "auto";
        start.Environment["Demo__SeedWhenEmpty"] = "true";
        start.Environment["Console__Root"] = Repository.ConsoleRoot;
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        _api = Process.Start(start)!;
        _api.OutputDataReceived += (_, e) => Append(e.Data);
        _api.ErrorDataReceived += (_, e) => Append(e.Data);
        _api.BeginOutputReadLine();
        _api.BeginErrorReadLine();
        await WaitUntilReadyAsync();

        // Assertions wait as long as the pages' actions do (ConsolePage): a ceiling, not a speed bar.
        Assertions.SetDefaultExpectTimeout(60_000);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ChromiumFlags,
        });
    }

    private async Task WaitUntilReadyAsync()
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (DateTime.UtcNow < deadline)
        {
            _api!.HasExited.ShouldBeFalse($"The API stopped:\n{Log}");
            try
            {
                // Ready once the demo is loaded: the sign-in page lists its people.
                var people = await http.GetStringAsync("api/dev/sign-in");
                if (people.Contains("ada@helpdesk.example", StringComparison.Ordinal))
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"The API did not start within 120 s:\n{Log}");
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_log)
            {
                _log.AppendLine(line);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        _playwright?.Dispose();
        if (_api is { HasExited: false })
        {
            _api.Kill(entireProcessTree: true);
            await _api.WaitForExitAsync();
        }

        _api?.Dispose();
        if (Directory.Exists(_dataFolder))
        {
            Directory.Delete(_dataFolder, recursive: true);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ConsoleCollection : ICollectionFixture<ConsoleServer>
{
    public const string Name = "console";
}
