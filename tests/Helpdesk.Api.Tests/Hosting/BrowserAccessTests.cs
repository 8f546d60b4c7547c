using System.Net;
using System.Net.Http.Json;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;

namespace Helpdesk.Api.Tests.Hosting;

/// <summary>CORS for the configured front ends only, and the security headers of every answer.</summary>
public sealed class BrowserAccessTests : IDisposable
{
    private const string FrontEnd = "https://helpdesk.contoso.test";

    private readonly HelpdeskApp _app = new HelpdeskApp().With("Http:AllowedOrigins", $"{FrontEnd}, https://mobile.contoso.test/");

    [Fact]
    public async Task A_preflight_from_a_configured_origin_allows_the_headers_a_front_end_sends()
    {
        var preflight = new HttpRequestMessage(HttpMethod.Options, "/api/tickets/t_1/assign");
        preflight.Headers.Add("Origin", FrontEnd);
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "authorization, content-type, if-match, idempotency-key");

        var response = await _app.CreateClient().SendAsync(preflight);

        response.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        response.Headers.GetValues("Access-Control-Allow-Origin").ShouldBe([FrontEnd]);
        var allowed = string.Join(',', response.Headers.GetValues("Access-Control-Allow-Headers")).ToLowerInvariant();
        allowed.ShouldContain("if-match");
        allowed.ShouldContain("idempotency-key");
        allowed.ShouldContain("authorization");
        response.Headers.Contains("Access-Control-Allow-Credentials").ShouldBeFalse("bearer tokens, no cookies");
    }

    [Fact]
    public async Task An_answer_to_a_configured_origin_exposes_etag_location_and_retry_after()
    {
        var client = _app.ClientFor(Roles.Agent);
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/tickets") { Content = JsonContent.Create(new { subject = "From the browser", requester = new { email = "cors@browser.test" } }) };
        request.Headers.Add("Origin", "https://mobile.contoso.test");

        var response = await client.SendAsync(request);

        response.StatusCode.ShouldBe(HttpStatusCode.Created);
        response.Headers.GetValues("Access-Control-Allow-Origin").ShouldBe(["https://mobile.contoso.test"]);
        var exposed = string.Join(',', response.Headers.GetValues("Access-Control-Expose-Headers")).ToLowerInvariant();
        foreach (var header in new[] { "etag", "location", "retry-after", "idempotent-replayed" })
        {
            exposed.ShouldContain(header);
        }
    }

    [Fact]
    public async Task Another_origin_gets_no_cors_headers()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/health");
        request.Headers.Add("Origin", "https://evil.example");
        var preflight = new HttpRequestMessage(HttpMethod.Options, "/api/tickets");
        preflight.Headers.Add("Origin", "https://evil.example");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");

        var answer = await _app.CreateClient().SendAsync(request);
        var refused = await _app.CreateClient().SendAsync(preflight);

        answer.Headers.Contains("Access-Control-Allow-Origin").ShouldBeFalse();
        refused.Headers.Contains("Access-Control-Allow-Origin").ShouldBeFalse();
    }

    [Fact]
    public async Task With_no_origin_configured_no_origin_is_allowed()
    {
        using var closed = new HelpdeskApp();
        var preflight = new HttpRequestMessage(HttpMethod.Options, "/api/tickets");
        preflight.Headers.Add("Origin", FrontEnd);
        preflight.Headers.Add("Access-Control-Request-Method", "POST");

        var response = await closed.CreateClient().SendAsync(preflight);

        response.Headers.Contains("Access-Control-Allow-Origin").ShouldBeFalse();
    }

    [Fact]
    public void An_origin_with_a_path_or_a_wildcard_stops_the_start_with_the_setting_named()
    {
        foreach (var origin in new[] { "https://contoso.test/app", "https://*.contoso.test", "contoso.test" })
        {
            using var misconfigured = new HelpdeskApp().With("Http:AllowedOrigins", origin);

            Should.Throw<Exception>(() => misconfigured.CreateClient()).ToString().ShouldContain("Http:AllowedOrigins");
        }
    }

    [Fact]
    public async Task Api_answers_and_errors_carry_the_security_headers_and_a_csp_that_runs_nothing()
    {
        var client = _app.ClientFor(Roles.Agent);

        foreach (var response in new[] { await client.GetAsync("/api/tickets"), await client.GetAsync("/api/tickets/t_missing"), await _app.CreateClient().GetAsync("/api/tickets") })
        {
            response.Headers.GetValues("X-Content-Type-Options").ShouldBe(["nosniff"]);
            response.Headers.GetValues("X-Frame-Options").ShouldBe(["DENY"]);
            response.Headers.GetValues("Referrer-Policy").ShouldBe(["no-referrer"]);
            response.Headers.GetValues("Content-Security-Policy").ShouldBe(["default-src 'none'; frame-ancestors 'none'"]);
            response.Headers.GetValues("Strict-Transport-Security").Single().ShouldStartWith("max-age=31536000");
        }
    }

    [Fact]
    public async Task Pages_outside_the_api_may_not_be_framed_but_load_what_they_declare()
    {
        var response = await _app.CreateClient().GetAsync("/");

        response.Headers.GetValues("Content-Security-Policy").ShouldBe(["frame-ancestors 'none'"]);
        response.Headers.GetValues("X-Content-Type-Options").ShouldBe(["nosniff"]);
    }

    [Fact]
    public async Task Development_sends_no_hsts()
    {
        using var development = new DevelopmentApp();

        var response = await development.CreateClient().GetAsync("/api/health");

        response.Headers.Contains("Strict-Transport-Security").ShouldBeFalse();
        response.Headers.GetValues("X-Content-Type-Options").ShouldBe(["nosniff"]);
    }

    public void Dispose() => _app.Dispose();

    /// <summary>The app as <c>dotnet run</c> starts it on a laptop.</summary>
    internal sealed class DevelopmentApp : HelpdeskApp
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseEnvironment("Development");
        }
    }
}
