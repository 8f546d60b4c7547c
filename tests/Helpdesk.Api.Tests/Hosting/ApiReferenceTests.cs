using System.Net;
using System.Text.RegularExpressions;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Tests.Infrastructure;

namespace Helpdesk.Api.Tests.Hosting;

/// <summary>The API reference page at /api/docs: over the API's own document, served whole by the app (it works offline).</summary>
public sealed partial class ApiReferenceTests
{
    [Fact]
    public async Task The_reference_page_loads_only_what_the_app_serves_and_reads_the_apis_document()
    {
        using var app = new HelpdeskApp().With("Http:ApiReference", "true");
        var client = app.CreateClient();

        var page = await client.GetAsync("/api/docs");
        var html = await page.Content.ReadAsStringAsync();

        page.StatusCode.ShouldBe(HttpStatusCode.OK);
        page.Content.Headers.ContentType!.MediaType.ShouldBe("text/html");
        page.Headers.GetValues("Content-Security-Policy").ShouldBe(["frame-ancestors 'none'"]);
        html.ShouldContain("\"api/openapi/v1.json\"", Case.Sensitive, "Scalar writes the document's route relative to the app's base path and resolves it in the page");
        var sources = SourceOrHref().Matches(html).Select(m => m.Groups["url"].Value).ToList();
        sources.ShouldNotBeEmpty();
        foreach (var source in sources)
        {
            source.ShouldNotContain("//", Case.Sensitive, "no asset from a CDN: the page works offline");
            var asset = await client.GetAsync(new Uri(new Uri("http://localhost/api/docs/"), source));
            asset.StatusCode.ShouldBe(HttpStatusCode.OK, source);
        }

        html.ShouldNotContain("fonts.scalar.com");
        html.ShouldNotContain("cdn.jsdelivr.net");
        (await client.GetAsync("/api/openapi/v1.json")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Outside_development_the_page_is_off_unless_configured()
    {
        using var app = new HelpdeskApp();

        (await app.ClientFor(Roles.Agent).GetAsync("/api/docs")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task In_development_the_page_is_on()
    {
        using var app = new BrowserAccessTests.DevelopmentApp();

        (await app.CreateClient().GetAsync("/api/docs")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [GeneratedRegex("""(?:src|href)="(?<url>[^"#]+)" """, RegexOptions.IgnorePatternWhitespace)]
    private static partial Regex SourceOrHref();
}
