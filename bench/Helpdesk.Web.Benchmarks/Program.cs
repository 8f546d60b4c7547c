// The web console's figures: what the first load downloads (brotli, as the API serves it), the
// time to the first rendered view with a cold and a warm cache, and the requests each page makes.
// Usage: dotnet run -c Release --project bench/Helpdesk.Web.Benchmarks
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using Microsoft.Playwright;

const double TargetMegabytes = 2.5;
var metadata = typeof(Measure).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().ToDictionary(a => a.Key, a => a.Value!);
var consoleRoot = metadata["ConsoleRoot"];
var data = Path.Combine(Path.GetTempPath(), "helpdesk-web-bench", Guid.NewGuid().ToString("N"));
var port = FreePort();
var baseUrl = $"http://127.0.0.1:{port}";

var start = new ProcessStartInfo("dotnet", [metadata["ApiAssembly"]]) { RedirectStandardOutput = true, RedirectStandardError = true };
start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
start.Environment["ASPNETCORE_URLS"] = baseUrl;
start.Environment["Storage__DataFolder"] = data;
start.Environment["Auth__DevelopmentSigningKey"] = "auto";
start.Environment["Demo__SeedWhenEmpty"] = "true";
start.Environment["Console__Root"] = consoleRoot;
start.Environment["Logging__LogLevel__Default"] = "Warning";
using var api = Process.Start(start)!;
api.BeginOutputReadLine();
api.BeginErrorReadLine();
try
{
    await WaitForApiAsync(baseUrl);
    using var playwright = await Playwright.CreateAsync();
    await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
    {
        ExecutablePath = "/usr/bin/chromium",
        Headless = true,
        Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
    });
    var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = baseUrl + "/" });
    var page = await context.NewPageAsync();
    var measure = new Measure(page);

    Console.WriteLine($"Web console ({consoleRoot})");
    var cold = await measure.PageAsync("First load, cold cache (/sign-in)", () => page.GotoAsync("/sign-in"), "fluent-button[data-user]");
    var warm = await measure.PageAsync("Reload, warm cache (/sign-in)", () => page.ReloadAsync(), "fluent-button[data-user]");
    await measure.PageAsync("Agent signs in, open view (/views/open)", () => page.Locator("fluent-button[data-user='ada@helpdesk.example']").ClickAsync(), "table.ticket-list tbody tr");
    await measure.PageAsync("Next view, client-side (/views/unassigned)", () => page.Locator("a[href='views/unassigned']").ClickAsync(), "h1:text('Unassigned')");
    await measure.PageAsync("Open view, reload warm (/views/open)", () => page.GotoAsync("/views/open"), "table.ticket-list tbody tr");

    var megabytes = cold.Bytes / 1_000_000.0;
    Console.WriteLine();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"First load: {megabytes:F2} MB brotli ({cold.Bytes / 1024.0 / 1024.0:F2} MiB) in {cold.Requests} requests; target <= {TargetMegabytes} MB: {(megabytes <= TargetMegabytes ? "met" : "NOT met")}"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Time to the first rendered view: cold {cold.Elapsed.TotalMilliseconds:F0} ms, warm {warm.Elapsed.TotalMilliseconds:F0} ms"));
}
finally
{
    api.Kill(entireProcessTree: true);
    await api.WaitForExitAsync();
    Directory.Delete(data, recursive: true);
}

static int FreePort()
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    return ((IPEndPoint)listener.LocalEndpoint).Port;
}

static async Task WaitForApiAsync(string baseUrl)
{
    using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
    for (var i = 0; i < 240; i++)
    {
        try
        {
            if ((await http.GetStringAsync($"{baseUrl}/api/dev/sign-in")).Contains("ada@", StringComparison.Ordinal))
            {
                return;
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            // Still starting.
        }

        await Task.Delay(500);
    }

    throw new TimeoutException("The API did not start.");
}

/// <summary>Counts the requests and the bytes on the wire (compressed bodies and headers) of one step.</summary>
internal sealed class Measure
{
    private readonly List<IRequest> _requests = [];

    public Measure(IPage page)
    {
        Page = page;
        page.RequestFinished += (_, request) =>
        {
            lock (_requests)
            {
                _requests.Add(request);
            }
        };
    }

    private IPage Page { get; }

    public async Task<(long Bytes, int Requests, TimeSpan Elapsed)> PageAsync(string name, Func<Task> navigate, string rendered)
    {
        lock (_requests)
        {
            _requests.Clear();
        }

        var clock = Stopwatch.StartNew();
        await navigate();
        await Page.Locator(rendered).First.WaitForAsync(new LocatorWaitForOptions { Timeout = 60_000 });
        var elapsed = clock.Elapsed;
        await Page.WaitForLoadStateAsync(LoadState.NetworkIdle);

        IRequest[] requests;
        lock (_requests)
        {
            requests = [.. _requests];
        }

        long bytes = 0;
        var api = 0;
        var cached = 0;
        foreach (var request in requests)
        {
            var sizes = await request.SizesAsync();
            bytes += sizes.ResponseBodySize + sizes.ResponseHeadersSize;
            api += request.Url.Contains("/api/", StringComparison.Ordinal) ? 1 : 0;
            cached += sizes.ResponseBodySize == 0 ? 1 : 0;
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {name,-45} {requests.Length,3} requests ({api} to /api, {cached} without body) {bytes / 1024.0,9:F1} KiB  rendered in {elapsed.TotalMilliseconds,6:F0} ms"));
        return (bytes, requests.Length, elapsed);
    }
}
