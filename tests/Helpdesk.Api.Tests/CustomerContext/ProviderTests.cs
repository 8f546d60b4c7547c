using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Helpdesk.Api.Tests.CustomerContext;

/// <summary>
/// The admin's CRM/ERP as the helpdesk sees it: a real HTTP server on 127.0.0.1 that checks the
/// request's signature itself (HMAC-SHA256 of "{t}.{body}", the webhook scheme) and answers as
/// the test tells it to.
/// </summary>
public sealed class FakeCrm : IAsyncDisposable
{
    public const string Secret = "crm-shared-secret-0123456789";

    private readonly WebApplication _app;

    private FakeCrm(WebApplication app) => _app = app;

    public string Url { get; private set; } = "";

    /// <summary>Every request received, in order, with whether its signature was right.</summary>
    public ConcurrentQueue<(JsonNode Body, bool SignedRight, long Timestamp)> Requests { get; } = new();

    /// <summary>How the next requests are answered.</summary>
    public Func<JsonNode, HttpContext, Task<IResult>> Answer { get; set; } = (_, _) => Task.FromResult(Results.Json(new { }));

    public static async Task<FakeCrm> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var crm = new FakeCrm(app);
        app.MapPost("/context", (Delegate)crm.ReceiveAsync);
        await app.StartAsync();
        crm.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/') + "/context";
        return crm;
    }

    public int CountFor(string email) => Requests.Count(r => r.Body["email"]!.GetValue<string>() == email);

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    private async Task<IResult> ReceiveAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        var header = context.Request.Headers["X-Helpdesk-Signature"].ToString();
        var parts = header.Split(',').Select(p => p.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
        var timestamp = parts.GetValueOrDefault("t") ?? "";
        var expected = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes($"{timestamp}.{body}")));
        var signedRight = parts.GetValueOrDefault("v1") == expected;
        var json = JsonNode.Parse(body)!;
        Requests.Enqueue((json, signedRight, long.TryParse(timestamp, CultureInfo.InvariantCulture, out var t) ? t : 0));
        return signedRight ? await Answer(json, context) : Results.Unauthorized();
    }
}

/// <summary>One fake CRM and one helpdesk pointed at it, shared by the tests of a class (they run one after the other).</summary>
public sealed class ProviderFixture : IAsyncLifetime
{
    public const int CacheSeconds = 300;
    public const int UnavailableSeconds = 30;

    public FakeCrm Crm { get; private set; } = null!;

    public HelpdeskApp App { get; } = new();

    public async Task InitializeAsync()
    {
        Crm = await FakeCrm.StartAsync();
        App.With("CustomerContext:Url", Crm.Url)
            .With("CustomerContext:Secret", FakeCrm.Secret)
            .With("CustomerContext:TimeoutSeconds", "2")
            .With("CustomerContext:CacheSeconds", CacheSeconds.ToString(CultureInfo.InvariantCulture))
            .With("CustomerContext:UnavailableSeconds", UnavailableSeconds.ToString(CultureInfo.InvariantCulture));
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Crm.DisposeAsync();
    }
}

public sealed class ProviderTests(ProviderFixture fixture) : IClassFixture<ProviderFixture>
{
    private readonly HttpClient _agent = fixture.App.ClientFor(Roles.Agent, "agent@crm.test");

    private FakeCrm Crm => fixture.Crm;

    [Fact]
    public async Task The_providers_answer_is_shown_beside_the_ticket_from_a_signed_request_naming_the_customer()
    {
        var accountId = await fixture.App.AccountAsync("Fabrikam", "fabrikam-crm.test");
        Crm.Answer = (_, _) => Task.FromResult(Results.Json(new
        {
            contracts = new[] { new { id = "CT-7", label = "Gold support", hoursLeft = 12.5 } },
            invoices = new[] { new { number = "INV-2026-001", status = "overdue" } },
        }));
        var ticket = await _agent.OpenTicketAsync(new { subject = "Printer", requester = new { email = "ines@fabrikam-crm.test", name = "Ines" } });

        var context = await (await _agent.GetAsync($"/api/tickets/{ticket["id"]}/context")).Json();

        context["extensionsStatus"]!.GetValue<string>().ShouldBe("available");
        context["extensions"]!["contracts"]![0]!["label"]!.GetValue<string>().ShouldBe("Gold support");
        context["extensions"]!["invoices"]![0]!["status"]!.GetValue<string>().ShouldBe("overdue");
        var request = Crm.Requests.Single(r => r.Body["email"]!.GetValue<string>() == "ines@fabrikam-crm.test");
        request.SignedRight.ShouldBeTrue();
        request.Timestamp.ShouldBe(fixture.App.Clock.GetUtcNow().ToUnixTimeSeconds());
        request.Body["accountId"]!.GetValue<string>().ShouldBe(accountId);
        request.Body["accountName"]!.GetValue<string>().ShouldBe("Fabrikam");
        request.Body["contactId"]!.GetValue<string>().ShouldBe(ticket["requester"]!["contactId"]!.GetValue<string>());
        request.Body["name"]!.GetValue<string>().ShouldBe("Ines");
    }

    [Fact]
    public async Task An_answer_is_reused_for_the_same_customer_until_it_is_older_than_the_cache_time()
    {
        var calls = 0;
        Crm.Answer = (_, _) => Task.FromResult(Results.Json(new { call = Interlocked.Increment(ref calls) }));
        var first = await _agent.OpenTicketAsync(new { subject = "One", requester = new { email = "cached@crm.test" } });
        var second = await _agent.OpenTicketAsync(new { subject = "Two", requester = new { email = "cached@crm.test" } });

        (await ExtensionsAsync(first["id"]!))["call"]!.GetValue<int>().ShouldBe(1);
        (await ExtensionsAsync(second["id"]!))["call"]!.GetValue<int>().ShouldBe(1);
        Crm.CountFor("cached@crm.test").ShouldBe(1);

        fixture.App.Clock.Advance(TimeSpan.FromSeconds(ProviderFixture.CacheSeconds + 1));

        (await ExtensionsAsync(first["id"]!))["call"]!.GetValue<int>().ShouldBe(2);
        Crm.CountFor("cached@crm.test").ShouldBe(2);
    }

    [Fact]
    public async Task A_failing_provider_is_shown_unavailable_is_tried_once_more_and_left_alone_for_a_while()
    {
        Crm.Answer = (_, _) => Task.FromResult(Results.StatusCode(StatusCodes.Status503ServiceUnavailable));
        var ticket = await _agent.OpenTicketAsync(new { subject = "Down", requester = new { email = "down@crm.test" } });

        var response = await _agent.GetAsync($"/api/tickets/{ticket["id"]}/context");

        response.StatusCode.ShouldBe(System.Net.HttpStatusCode.OK);
        var context = await response.Json();
        context["extensionsStatus"]!.GetValue<string>().ShouldBe("unavailable");
        context["extensions"]!.AsObject().ShouldBeEmpty();
        context["requester"]!["email"]!.GetValue<string>().ShouldBe("down@crm.test");
        Crm.CountFor("down@crm.test").ShouldBe(2);

        Crm.Answer = (_, _) => Task.FromResult(Results.Json(new { back = true }));
        (await StatusAsync(ticket["id"]!)).ShouldBe("unavailable");
        Crm.CountFor("down@crm.test").ShouldBe(2);

        fixture.App.Clock.Advance(TimeSpan.FromSeconds(ProviderFixture.UnavailableSeconds + 1));
        (await StatusAsync(ticket["id"]!)).ShouldBe("available");
    }

    [Fact]
    public async Task An_answer_that_is_not_a_json_object_or_is_too_large_is_unavailable()
    {
        var notAnObject = await _agent.OpenTicketAsync(new { subject = "Array", requester = new { email = "array@crm.test" } });
        var notJson = await _agent.OpenTicketAsync(new { subject = "Html", requester = new { email = "html@crm.test" } });
        var tooLarge = await _agent.OpenTicketAsync(new { subject = "Huge", requester = new { email = "huge@crm.test" } });
        Crm.Answer = (body, _) => Task.FromResult(body["email"]!.GetValue<string>() switch
        {
            "array@crm.test" => Results.Json(new[] { 1, 2 }),
            "html@crm.test" => Results.Content("<html>Sign in</html>", "text/html"),
            _ => Results.Json(new { notes = new string('x', 300 * 1024) }),
        });

        foreach (var ticket in new[] { notAnObject, notJson, tooLarge })
        {
            (await StatusAsync(ticket["id"]!)).ShouldBe("unavailable");
        }
    }

    [Fact]
    public async Task A_provider_that_does_not_answer_in_time_is_unavailable_and_the_context_still_comes()
    {
        var received = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Crm.Answer = async (_, context) =>
        {
            received.TrySetResult();
            await Task.Delay(Timeout.Infinite, context.RequestAborted);
            return Results.Ok();
        };
        var ticket = await _agent.OpenTicketAsync(new { subject = "Slow", requester = new { email = "slow@crm.test" } });

        var asking = _agent.GetAsync($"/api/tickets/{ticket["id"]}/context");
        await received.Task;
        fixture.App.Clock.Advance(TimeSpan.FromSeconds(3));
        var context = await (await asking).Json();

        context["extensionsStatus"]!.GetValue<string>().ShouldBe("unavailable");
        context["requester"]!["email"]!.GetValue<string>().ShouldBe("slow@crm.test");
    }

    [Theory]
    [InlineData("http://crm.example.com/context")]
    [InlineData("https://user:pw@crm.example.com/context")]
    [InlineData("not a url")]
    public async Task A_provider_url_that_is_not_https_or_local_stops_the_start(string url)
    {
        await using var app = new HelpdeskApp().With("CustomerContext:Url", url).With("CustomerContext:Secret", FakeCrm.Secret);

        Should.Throw<Exception>(() => app.CreateClient()).ToString().ShouldContain("CustomerContext:Url");
    }

    private async Task<JsonNode> ExtensionsAsync(JsonNode ticketId) =>
        (await (await _agent.GetAsync($"/api/tickets/{ticketId}/context")).Json())["extensions"]!;

    private async Task<string> StatusAsync(JsonNode ticketId) =>
        (await (await _agent.GetAsync($"/api/tickets/{ticketId}/context")).Json())["extensionsStatus"]!.GetValue<string>();
}
