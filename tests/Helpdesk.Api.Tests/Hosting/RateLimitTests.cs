using System.Net;
using System.Net.Http.Json;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Tests.Infrastructure;

namespace Helpdesk.Api.Tests.Hosting;

/// <summary>Limits per caller (small ones here; the rest of the suite runs with limits it never meets).</summary>
public sealed class RateLimitTests : IDisposable
{
    private readonly HelpdeskApp _app = new HelpdeskApp()
        .With("RateLimits:PerUserPerMinute", "5")
        .With("RateLimits:PerAddressPerMinute", "4")
        .With("RateLimits:AnonymousLinksPerMinute", "2");

    [Fact]
    public async Task A_user_over_the_limit_gets_a_429_problem_with_retry_after_and_another_user_does_not()
    {
        var ada = _app.ClientFor(Roles.Agent, "ada.limit@rate.test");
        var bob = _app.ClientFor(Roles.Agent, "bob.limit@rate.test");

        var answers = new List<HttpResponseMessage>();
        for (var i = 0; i < 6; i++)
        {
            answers.Add(await ada.GetAsync("/api/tickets"));
        }

        answers.Take(5).ShouldAllBe(a => a.StatusCode == HttpStatusCode.OK);
        var refused = answers[5];
        await refused.ShouldBeProblem(429);
        (await refused.Json())["type"]!.GetValue<string>().ShouldBe("urn:helpdesk:problem:rate-limited");
        var retryAfter = int.Parse(refused.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture);
        retryAfter.ShouldBeInRange(1, 60);
        (await bob.GetAsync("/api/tickets")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_refused_write_changes_nothing()
    {
        var agent = _app.ClientFor(Roles.Agent, "writer.limit@rate.test");
        for (var i = 0; i < 5; i++)
        {
            await agent.GetAsync("/api/health");
        }

        var refused = await agent.PostAsJsonAsync("/api/tickets", new { subject = "Over the limit", requester = new { email = "limit@rate.test" } });

        await refused.ShouldBeProblem(429);
        using var other = _app.ClientFor(Roles.Agent, "reader.limit@rate.test");
        (await (await other.GetAsync("/api/tickets?view=all&q=Over%20the%20limit")).Json())["items"]!.AsArray().ShouldBeEmpty();
    }

    [Fact]
    public async Task Anonymous_link_routes_have_a_stricter_limit_per_address()
    {
        var anonymous = _app.CreateClient();

        var answers = new List<HttpResponseMessage>();
        for (var i = 0; i < 3; i++)
        {
            answers.Add(await anonymous.GetAsync("/api/csat/not-a-token"));
        }

        answers.Take(2).ShouldAllBe(a => a.StatusCode != HttpStatusCode.TooManyRequests);
        await answers[2].ShouldBeProblem(429);
        (await anonymous.GetAsync("/api/health")).StatusCode.ShouldBe(HttpStatusCode.OK, "other anonymous routes keep the address's own limit");
    }

    [Fact]
    public async Task Routes_outside_the_api_are_never_limited()
    {
        var anonymous = _app.CreateClient();

        for (var i = 0; i < 8; i++)
        {
            (await anonymous.GetAsync("/")).StatusCode.ShouldBe(HttpStatusCode.OK);
        }
    }

    [Fact]
    public async Task Every_operation_documents_the_429()
    {
        using var roomy = new HelpdeskApp();
        var document = await (await roomy.CreateClient().GetAsync("/api/openapi/v1.json")).Json();

        foreach (var path in document["paths"]!.AsObject().Where(p => p.Key.StartsWith("/api/", StringComparison.Ordinal)))
        {
            foreach (var operation in path.Value!.AsObject())
            {
                operation.Value!["responses"]!.AsObject().Select(r => r.Key).ShouldContain("429", $"{operation.Key} {path.Key}");
            }
        }
    }

    public void Dispose() => _app.Dispose();
}
