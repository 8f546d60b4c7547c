using System.Net;
using System.Net.Http.Json;
using Helpdesk.Api.Tests.Infrastructure;
using Helpdesk.Api.Triggers;
using Helpdesk.Api.Webhooks;
using Microsoft.Extensions.DependencyInjection;

namespace Helpdesk.Api.Tests.Webhooks;

/// <summary>Delivery records and dead letters of webhooks are purged after their retention, never while their event may come back.</summary>
public sealed class WebhookRetentionTests
{
    private const string FlowUrl = "https://flows.example.test/hooks/kept";
    private const string BrokenUrl = "https://flows.example.test/hooks/broken";

    [Fact]
    public async Task A_delivered_record_lives_seven_days_by_default()
    {
        using var app = new HooksApp();
        await SubscribeAsync(app, FlowUrl);
        await app.ClientFor("agent").OpenTicketAsync();
        await app.PumpAsync();

        app.Clock.Advance(TimeSpan.FromDays(6));
        await PurgeAsync(app);
        var afterSixDays = await DeliveryRecordsAsync(app);
        app.Clock.Advance(TimeSpan.FromDays(2));
        await PurgeAsync(app);

        afterSixDays.ShouldBe(1);
        (await DeliveryRecordsAsync(app)).ShouldBe(0);
    }

    [Fact]
    public async Task Records_of_an_event_whose_dead_letter_may_be_redriven_stay_until_the_dead_letter_is_purged()
    {
        using var app = new HooksApp();
        await SubscribeAsync(app, FlowUrl);
        await SubscribeAsync(app, BrokenUrl);
        app.Receiver.Answer(BrokenUrl, HttpStatusCode.InternalServerError);
        await app.ClientFor("agent").OpenTicketAsync();
        for (var hour = 0; hour <= 25; hour++)
        {
            await app.PumpAsync();
            app.Clock.Advance(TimeSpan.FromHours(1));
        }

        app.Clock.Advance(TimeSpan.FromDays(8));
        await PurgeAsync(app);
        var keptRecords = await DeliveryRecordsAsync(app);
        var keptLetters = await DeadLettersAsync(app);
        app.Clock.Advance(TimeSpan.FromDays(22));
        await PurgeAsync(app);

        keptRecords.ShouldBe(1, "a re-drive would otherwise send the served hook the event again");
        keptLetters.ShouldBe(1);
        (await DeadLettersAsync(app)).ShouldBe(0);
        (await DeliveryRecordsAsync(app)).ShouldBe(0);
        app.Receiver.Requests.Count(r => r.Url == FlowUrl).ShouldBe(1);
    }

    [Fact]
    public async Task The_retention_is_configurable()
    {
        using var app = new HooksApp();
        app.With("Webhooks:KeepDeliveredDays", "1");
        await SubscribeAsync(app, FlowUrl);
        await app.ClientFor("agent").OpenTicketAsync();
        await app.PumpAsync();

        app.Clock.Advance(TimeSpan.FromDays(1.5));
        await PurgeAsync(app);

        (await DeliveryRecordsAsync(app)).ShouldBe(0);
    }

    private static async Task SubscribeAsync(HooksApp app, string url) =>
        (await app.ClientFor("agent").PostAsJsonAsync("/api/hooks", new { notificationUrl = url, @event = "ticket.created" })).EnsureSuccessStatusCode();

    private static async Task PurgeAsync(HooksApp app)
    {
        await using var scope = app.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<PurgeWebhookDeliveries>().RunAsync(new TimerInfo(false, null, null), CancellationToken.None);
    }

    private static async Task<int> DeadLettersAsync(HooksApp app) =>
        (await (await app.Admin.GetAsync("/api/admin/dead-letters?queue=webhooks")).Json())["items"]!.AsArray().Count;

    /// <summary>How many (event, hook) pairs the receiver was sent are still recorded as served, read through the app's store on either engine.</summary>
    private static async Task<int> DeliveryRecordsAsync(HooksApp app)
    {
        var store = app.Services.GetRequiredService<IWebhookStore>();
        var hooks = (await store.ForEventAsync("ticket.created", CancellationToken.None)).ToDictionary(h => h.NotificationUrl, h => h.Id, StringComparer.Ordinal);

        var served = 0;
        foreach (var sent in app.Receiver.Requests.Select(r => (r.Url, EventId: r.Headers["X-Helpdesk-Event-Id"])).Distinct())
        {
            if (await store.WasServedAsync(sent.EventId, hooks[sent.Url], CancellationToken.None))
            {
                served++;
            }
        }

        return served;
    }
}
