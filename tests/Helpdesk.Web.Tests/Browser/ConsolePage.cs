using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Playwright;

namespace Helpdesk.Web.Tests.Browser;

/// <summary>
/// One browser page of a test: its own context (own localStorage, so its own sign-in), a
/// screenshot in TestResults/screenshots when the test fails, and an axe-core check.
/// </summary>
public sealed class ConsolePage : IAsyncDisposable
{
    private readonly IBrowserContext _context;
    private readonly string _name;
    private readonly List<string> _errors = [];

    private ConsolePage(IBrowserContext context, IPage page, string name)
    {
        _context = context;
        Page = page;
        _name = name;
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                _errors.Add(message.Text);
            }
        };
        page.PageError += (_, error) => _errors.Add(error);
    }

    public IPage Page { get; }

    public IReadOnlyList<string> Errors => _errors;

    public static async Task<ConsolePage> OpenAsync(ConsoleServer server, string locale = "en-US", [CallerMemberName] string name = "")
    {
        var context = await server.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = server.BaseAddress.ToString(),
            Locale = locale,
            ViewportSize = new ViewportSize { Width = 1280, Height = 800 },
        });
        // A ceiling for each wait, not a speed bar: a cold WebAssembly start on a loaded CI machine takes a while.
        context.SetDefaultTimeout(60_000);
        return new ConsolePage(context, await context.NewPageAsync(), name);
    }

    /// <summary>Runs the test's steps; on failure saves a screenshot of the page and the browser's errors beside the test results.</summary>
    public async Task RunAsync(Func<IPage, Task> steps)
    {
        try
        {
            await steps(Page);
        }
        catch
        {
            var folder = Path.Combine(Repository.Root, "tests", "Helpdesk.Web.Tests", "TestResults", "screenshots");
            Directory.CreateDirectory(folder);
            await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, $"{_name}.png"), FullPage = true });
            await File.WriteAllLinesAsync(Path.Combine(folder, $"{_name}.errors.txt"), _errors);
            throw;
        }
    }

    public async Task SignInAsync(string user)
    {
        await Page.GotoAsync("/");
        await Page.WaitForURLAsync("**/sign-in**");
        await Page.Locator($"fluent-button[data-user='{user}']").ClickAsync();
    }

    /// <summary>The serious and critical violations axe-core finds on the page as it is now.</summary>
    public async Task<IReadOnlyList<string>> AccessibilityViolationsAsync()
    {
        await Page.AddScriptTagAsync(new PageAddScriptTagOptions { Path = Repository.File("tools", "axe", "node_modules", "axe-core", "axe.min.js") });
        var result = await Page.EvaluateAsync<JsonElement>("""
            async () => (await axe.run(document, { resultTypes: ["violations"] })).violations
                .filter(v => v.impact === "serious" || v.impact === "critical")
                .map(v => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map(n => n.target.join(" ")).slice(0, 3).join(", ")})`)
            """);
        return [.. result.EnumerateArray().Select(v => v.GetString()!)];
    }

    public async ValueTask DisposeAsync() => await _context.CloseAsync();
}
