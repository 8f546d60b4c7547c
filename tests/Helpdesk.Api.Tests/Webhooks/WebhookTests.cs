using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Helpdesk.Api.Common;
using Helpdesk.Api.Events;
using Helpdesk.Api.Tests.Infrastructure;
using Helpdesk.Api.Webhooks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Helpdesk.Api.Tests.Webhooks;

/// <summary>Power Automate webhooks: subscribe, signed deliveries, retries, removal on 404/410, dead letters and re-drive.</summary>
public sealed class WebhookTests
{
    private const string FlowUrl = "https://flows.example.test/hooks/1";

    [Fact]
    public async Task Subscribing_answers_201_with_the_location_and_the_secret_once()
    {
        using var app = new HooksApp();
        var agent = app.ClientFor("agent");

        var created = await agent.PostAsJsonAsync("/api/hooks", new { notificationUrl = FlowUrl, @event = "ticket.created" });

        created.StatusCode.ShouldBe(HttpStatusCode.Created);
        var hook = await created.Json();
        created.Headers.Location!.ToString().ShouldBe($"/api/hooks/{hook["id"]}");
        hook["secret"]!.GetValue<string>().Length.ShouldBeGreaterThan(30);
        var read = await (await agent.GetAsync(created.Headers.Location)).Json();
        read["secret"].ShouldBeNull();
        (await agent.DeleteAsync(created.Headers.Location)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        await (await agent.DeleteAsync(created.Headers.Location)).ShouldBeProblem(404);
    }

    [Fact]
    public async Task Bad_subscriptions_name_every_bad_field_and_need_a_staff_token()
    {
        using var app = new HooksApp();

        var response = await app.ClientFor("agent").PostAsJsonAsync("/api/hooks", new { notificationUrl = "http://intranet/hook", @event = "ticket.exploded", filters = new { priority = "extreme" } });

        await response.ShouldBeProblem(400, "notificationUrl");
        var errors = (await response.Json())["errors"]!.AsObject().Select(e => e.Key).ToArray();
        errors.ShouldContain("event");
        errors.ShouldContain("filters.priority");
        await (await app.ClientFor("agent").PostAsJsonAsync("/api/hooks", new { @event = "ticket.created" })).ShouldBeProblem(400, "notificationUrl");
        (await app.CreateClient().PostAsJsonAsync("/api/hooks", new { notificationUrl = FlowUrl, @event = "ticket.created" })).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await app.ClientFor("customer", contactId: "con_1").PostAsJsonAsync("/api/hooks", new { notificationUrl = FlowUrl, @event = "ticket.created" })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task A_delivery_is_signed_over_timestamp_and_body_with_the_subscription_secret()
    {
        using var app = new HooksApp();
        var secret = await SubscribeAsync(app, "ticket.created");
        var ticket = await app.ClientFor("agent").OpenTicketAsync();

        await app.PumpAsync();

        var delivery = app.Receiver.Requests.ShouldHaveSingleItem();
        delivery.Url.ShouldBe(FlowUrl);
        var signature = delivery.Headers[HmacSignature.Header];
        var timestamp = signature.Split(',')[0]["t=".Length..];
        var expected = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{timestamp}.{delivery.Body}")));
        signature.ShouldBe($"t={timestamp},v1={expected}");
        var body = JsonNode.Parse(delivery.Body)!;
        body["event"]!.GetValue<string>().ShouldBe("ticket.created");
        body["ticket"]!["id"]!.GetValue<string>().ShouldBe(ticket["id"]!.GetValue<string>());
        delivery.Headers["X-Helpdesk-Event-Id"].ShouldBe(body["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Filters_keep_other_tickets_out_and_updates_reach_update_subscribers()
    {
        using var app = new HooksApp();
        await SubscribeAsync(app, "ticket.updated", new { priority = "urgent" });
        var agent = app.ClientFor("agent");
        var urgent = (await agent.OpenTicketAsync(new { subject = "Down", requester = new { email = "a@contoso.com" }, priority = "urgent" }))["id"]!.GetValue<string>();
        var low = (await agent.OpenTicketAsync(new { subject = "Font", requester = new { email = "a@contoso.com" }, priority = "low" }))["id"]!.GetValue<string>();

        (await agent.PostAsync($"/api/tickets/{urgent}/start", null)).EnsureSuccessStatusCode();
        (await agent.PostAsync($"/api/tickets/{low}/start", null)).EnsureSuccessStatusCode();
        await app.PumpAsync();

        var delivery = app.Receiver.Requests.ShouldHaveSingleItem();
        JsonNode.Parse(delivery.Body)!["ticket"]!["id"]!.GetValue<string>().ShouldBe(urgent);
    }

    [Fact]
    public async Task A_hook_that_fails_once_is_tried_again_within_the_same_delivery()
    {
        using var app = new HooksApp();
        await SubscribeAsync(app, "ticket.created", url: "https://flows.example.test/hooks/flaky");
        app.Receiver.Answer("https://flows.example.test/hooks/flaky", HttpStatusCode.ServiceUnavailable, HttpStatusCode.OK);
        await app.ClientFor("agent").OpenTicketAsync();

        await app.PumpAsync();
        app.Clock.Advance(DeliverWebhooks.Policy.BaseDelay);
        await app.PumpAsync();

        var requests = app.Receiver.Requests;
        requests.Count.ShouldBe(2, "the 503 is retried at once, and the delivery then recorded");
        requests[1].Headers["X-Helpdesk-Event-Id"].ShouldBe(requests[0].Headers["X-Helpdesk-Event-Id"]);
    }

    [Fact]
    public async Task A_hook_still_failing_after_the_quick_retries_is_retried_with_backoff_without_resending_to_the_hooks_that_took_it()
    {
        using var app = new HooksApp();
        await SubscribeAsync(app, "ticket.created");
        await SubscribeAsync(app, "ticket.created", url: "https://flows.example.test/hooks/flaky");
        app.Receiver.Answer("https://flows.example.test/hooks/flaky", HttpStatusCode.ServiceUnavailable, HttpStatusCode.BadGateway, HttpStatusCode.GatewayTimeout, HttpStatusCode.OK);
        await app.ClientFor("agent").OpenTicketAsync();

        await app.PumpAsync();
        await app.PumpAsync();
        app.Receiver.Requests.Count.ShouldBe(4, "one to the healthy hook, three tries to the failing one");

        app.Clock.Advance(DeliverWebhooks.Policy.BaseDelay);
        await app.PumpAsync();

        app.Receiver.Requests.Select(r => r.Url).ShouldBe([FlowUrl, .. Enumerable.Repeat("https://flows.example.test/hooks/flaky", 4)]);
    }

    [Fact]
    public async Task A_hook_that_answers_410_is_removed()
    {
        using var app = new HooksApp();
        await SubscribeAsync(app, "ticket.created");
        app.Receiver.Answer(FlowUrl, HttpStatusCode.Gone);
        var agent = app.ClientFor("agent");
        var location = app.LastLocation!;

        await agent.OpenTicketAsync();
        await app.PumpAsync();
        await agent.OpenTicketAsync();
        await app.PumpAsync();

        app.Receiver.Requests.Count.ShouldBe(1);
        await (await agent.GetAsync(location)).ShouldBeProblem(404);
    }

    [Fact]
    public async Task A_hook_failing_for_24_hours_is_dead_lettered_and_a_redrive_delivers_it()
    {
        using var app = new HooksApp();
        await SubscribeAsync(app, "ticket.created");
        app.Receiver.Answer(FlowUrl, HttpStatusCode.InternalServerError);
        await app.ClientFor("agent").OpenTicketAsync();

        for (var hour = 0; hour <= 25; hour++)
        {
            await app.PumpAsync();
            app.Clock.Advance(TimeSpan.FromHours(1));
        }

        var attempts = app.Receiver.Requests.Count;
        attempts.ShouldBeGreaterThan(1);
        var letters = (await (await app.Admin.GetAsync("/api/admin/dead-letters?queue=webhooks")).Json())["items"]!.AsArray();
        var letter = letters.ShouldHaveSingleItem()!;

        app.Receiver.Answer(FlowUrl, HttpStatusCode.OK);
        (await app.Admin.PostAsync($"/api/admin/dead-letters/{letter["id"]}/redrive", null)).EnsureSuccessStatusCode();
        await app.PumpAsync();
        await app.PumpAsync();

        app.Receiver.Requests.Count.ShouldBe(attempts + 1);
        (await (await app.Admin.GetAsync("/api/admin/dead-letters?queue=webhooks")).Json())["items"]!.AsArray().ShouldBeEmpty();
    }

    private static async Task<string> SubscribeAsync(HooksApp app, string eventName, object? filters = null, string url = FlowUrl)
    {
        var created = await app.ClientFor("agent").PostAsJsonAsync("/api/hooks", new { notificationUrl = url, @event = eventName, filters });
        created.EnsureSuccessStatusCode();
        app.LastLocation = created.Headers.Location!.ToString();
        return (await created.Json())["secret"]!.GetValue<string>();
    }
}

internal sealed class HooksApp : HelpdeskApp
{
    public FakeReceiver Receiver { get; } = new();

    public string? LastLocation { get; set; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Resilience:WebhookRetryDelay", "00:00:00.001");
        builder.ConfigureServices(services => services.AddHttpClient(DeliverWebhooks.HttpClientName).ConfigurePrimaryHttpMessageHandler(() => Receiver));
    }

    public async Task PumpAsync()
    {
        await using var scope = Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<EventPump>().RunOnceAsync(CancellationToken.None);
    }
}

internal sealed record ReceivedHook(string Url, Dictionary<string, string> Headers, string Body);

/// <summary>The flows' side: records every POST and answers each URL from its script (200 once the script is used up).</summary>
internal sealed class FakeReceiver : HttpMessageHandler
{
    private readonly Lock _gate = new();
    private readonly List<ReceivedHook> _requests = [];
    private readonly Dictionary<string, Queue<HttpStatusCode>> _scripts = [];
    private readonly Dictionary<string, HttpStatusCode> _always = [];

    public IReadOnlyList<ReceivedHook> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>Answers these statuses in turn; the last one is kept for every later request.</summary>
    public void Answer(string url, params HttpStatusCode[] statuses)
    {
        lock (_gate)
        {
            _scripts[url] = new Queue<HttpStatusCode>(statuses[..^1]);
            _always[url] = statuses[^1];
        }
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? string.Empty : await request.Content.ReadAsStringAsync(cancellationToken);
        var url = request.RequestUri!.ToString();
        lock (_gate)
        {
            _requests.Add(new ReceivedHook(url, request.Headers.ToDictionary(h => h.Key, h => string.Join(',', h.Value), StringComparer.OrdinalIgnoreCase), body));
            var status = _scripts.TryGetValue(url, out var script) && script.Count > 0 ? script.Dequeue() : _always.GetValueOrDefault(url, HttpStatusCode.OK);
            return new HttpResponseMessage(status);
        }
    }
}
