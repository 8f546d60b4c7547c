using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Common;
using Helpdesk.Api.Events;
using Helpdesk.Api.Mail;
using Helpdesk.Api.Notifications;
using Helpdesk.Api.Tests.Infrastructure;
using Helpdesk.Api.Tests.Webhooks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Helpdesk.Api.Tests.Notifications;

/// <summary>The app with a recording email sender and an SMS provider (a fake HTTP endpoint).</summary>
public sealed class InboxApp : HelpdeskApp
{
    public const string SmsUrl = "https://sms.example.test/messages";
    public const string SmsSecret = "sms-shared-secret-of-the-tests";

    public ConcurrentQueue<EmailMessage> Sent { get; } = new();

    internal FakeReceiver Sms { get; } = new();

    public IReadOnlyList<EmailMessage> SentTo(string address) =>
        [.. Sent.Where(m => m.To.Concat(m.Cc).Any(a => string.Equals(a.Address, address, StringComparison.OrdinalIgnoreCase)))];

    public async Task PumpAsync()
    {
        await using var scope = Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<EventPump>().RunOnceAsync(CancellationToken.None);
    }

    public async Task FireRemindersAsync() =>
        (await CreateClient().PostAsync("/FireActivityReminders", new StringContent("{}", Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();

    public string Later(TimeSpan after) =>
        Clock.GetUtcNow().Add(after).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Notifications:Sms:Url", SmsUrl);
        builder.UseSetting("Notifications:Sms:Secret", SmsSecret);
        builder.UseSetting("Notifications:Sms:Sender", "Helpdesk");
        builder.UseSetting("Resilience:SmsRetryDelay", "00:00:00.001");
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<IEmailSender>(new RecordingSender(Sent));
            services.AddHttpClient(SmsReminders.HttpClientName).ConfigurePrimaryHttpMessageHandler(() => Sms);
        });
    }

    private sealed class RecordingSender(ConcurrentQueue<EmailMessage> sent) : IEmailSender
    {
        public Task SendAsync(EmailMessage message, CancellationToken cancellationToken)
        {
            sent.Enqueue(message);
            return Task.CompletedTask;
        }
    }
}

/// <summary>
/// Issue 20 items 1 and 9: popup reminders and internal notes land in the named agents' inboxes
/// (once), notes email the agents they name and never the customer, sms reminders go signed to
/// the configured provider once.
/// </summary>
public sealed class NotificationInboxTests(InboxApp app) : IClassFixture<InboxApp>
{
    [Fact]
    public async Task Popup_reminders_and_notes_that_name_an_agent_land_in_their_inbox_once()
    {
        var (_, ada) = await app.AgentAsync("ada.inbox@inbox.test");
        var (bobId, bob) = await app.AgentAsync("bob.inbox@inbox.test");
        var (_, cal) = await app.AgentAsync("cal.inbox@inbox.test");
        var ticket = await ada.OpenTicketAsync(new { subject = "Printer on fire", requester = new { email = "alice.inbox@contoso.com" } });
        var id = ticket["id"]!.GetValue<string>();
        (await ada.PostAsJsonAsync($"/api/tickets/{id}/activities", new { kind = "call", title = "Call Alice back", ownerId = bobId, dueAt = app.Later(TimeSpan.FromHours(2)), reminder = new { at = app.Later(TimeSpan.FromHours(1)), channels = new[] { "popup" } } })).EnsureSuccessStatusCode();
        (await ada.PostAsJsonAsync($"/api/tickets/{id}/messages", new { visibility = "internal", body = "<p>@bob.inbox@inbox.test can you check the toner?</p>", cc = new[] { "cal.inbox@inbox.test" } })).EnsureSuccessStatusCode();

        app.Clock.Advance(TimeSpan.FromMinutes(61));
        await app.FireRemindersAsync();
        await app.FireRemindersAsync();
        await app.PumpAsync();
        await app.PumpAsync();

        var bobs = await (await bob.GetAsync("/api/me/notifications")).Json();
        bobs["unreadCount"]!.GetValue<int>().ShouldBe(2);
        var entries = bobs["items"]!.AsArray().Select(e => e!).ToArray();
        entries.Select(e => e["kind"]!.GetValue<string>()).ShouldBe(["reminder", "mention"], ignoreOrder: true);
        entries.ShouldAllBe(e => e["ticketId"]!.GetValue<string>() == id && e["ticketNumber"]!.GetValue<string>() == ticket["number"]!.GetValue<string>() && e["readAt"] == null);
        var reminder = entries.Single(e => e["kind"]!.GetValue<string>() == "reminder");
        reminder["title"]!.GetValue<string>().ShouldBe("Call Alice back");
        var mention = entries.Single(e => e["kind"]!.GetValue<string>() == "mention");
        mention["title"]!.GetValue<string>().ShouldBe("Printer on fire");
        mention["snippet"]!.GetValue<string>().ShouldContain("can you check the toner?");
        var cals = await (await cal.GetAsync("/api/me/notifications")).Json();
        cals["items"]!.AsArray().ShouldHaveSingleItem()!["kind"]!.GetValue<string>().ShouldBe("cc");
        (await (await ada.GetAsync("/api/me/notifications")).Json())["items"]!.AsArray().ShouldBeEmpty();

        // Newest first, a page at a time.
        var first = await (await bob.GetAsync("/api/me/notifications?limit=1")).Json();
        var second = await (await bob.GetAsync($"/api/me/notifications?limit=1&cursor={Uri.EscapeDataString(first["nextCursor"]!.GetValue<string>())}")).Json();
        second["nextCursor"].ShouldBeNull();
        new[] { first["items"]![0]!["id"]!.GetValue<string>(), second["items"]![0]!["id"]!.GetValue<string>() }.ShouldBe(entries.Select(e => e["id"]!.GetValue<string>()));

        // Read one: read again keeps its first read time; nobody else reads it.
        var mentionId = mention["id"]!.GetValue<string>();
        var read = await (await bob.PostAsync($"/api/me/notifications/{mentionId}/read", null)).Json();
        read["readAt"].ShouldNotBeNull();
        app.Clock.Advance(TimeSpan.FromMinutes(1));
        (await (await bob.PostAsync($"/api/me/notifications/{mentionId}/read", null)).Json())["readAt"]!.GetValue<DateTimeOffset>().ShouldBe(read["readAt"]!.GetValue<DateTimeOffset>());
        await (await cal.PostAsync($"/api/me/notifications/{mentionId}/read", null)).ShouldBeProblem(404);
        await (await bob.PostAsync("/api/me/notifications/inb_unknown/read", null)).ShouldBeProblem(404);
        var unread = await (await bob.GetAsync("/api/me/notifications?unread=true")).Json();
        unread["unreadCount"]!.GetValue<int>().ShouldBe(1);
        unread["items"]!.AsArray().ShouldHaveSingleItem()!["kind"]!.GetValue<string>().ShouldBe("reminder");

        // Read all; the same events delivered again write nothing new.
        (await (await bob.PostAsync("/api/me/notifications/read-all", null)).Json())["marked"]!.GetValue<int>().ShouldBe(1);
        await app.FireRemindersAsync();
        await app.PumpAsync();
        var after = await (await bob.GetAsync("/api/me/notifications?unread=true")).Json();
        after["unreadCount"]!.GetValue<int>().ShouldBe(0);
        after["items"]!.AsArray().ShouldBeEmpty();
        (await (await bob.GetAsync("/api/me/notifications")).Json())["items"]!.AsArray().Count.ShouldBe(2);
    }

    [Fact]
    public async Task The_inbox_is_for_staff_and_checks_what_it_is_asked()
    {
        var (_, dee) = await app.AgentAsync("dee.inbox@inbox.test");

        (await app.CreateClient().GetAsync("/api/me/notifications")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await app.ClientFor(Roles.Customer, "alice@contoso.com", "con_1").GetAsync("/api/me/notifications")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await app.ClientFor(Roles.Customer, "alice@contoso.com", "con_1").PostAsync("/api/me/notifications/read-all", null)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        await (await dee.GetAsync("/api/me/notifications?limit=0")).ShouldBeProblem(400, "limit");
        await (await dee.GetAsync("/api/me/notifications?unread=maybe")).ShouldBeProblem(400, "unread");
        await (await dee.GetAsync("/api/me/notifications?cursor=not-a-cursor")).ShouldBeProblem(400, "cursor");
        await (await app.ClientFor(Roles.Agent, "nobody.inbox@inbox.test").GetAsync("/api/me/notifications")).ShouldBeProblem(409);
        var empty = await (await dee.GetAsync("/api/me/notifications")).Json();
        empty["unreadCount"]!.GetValue<int>().ShouldBe(0);
        (await (await dee.PostAsync("/api/me/notifications/read-all", null)).Json())["marked"]!.GetValue<int>().ShouldBe(0);
    }

    [Fact]
    public async Task An_internal_note_emails_the_agents_it_names_and_never_the_customer()
    {
        var (_, eve) = await app.AgentAsync("eve.inbox@inbox.test");
        await app.AgentAsync("fay.inbox@inbox.test");
        await app.AgentAsync("gus.inbox@inbox.test");
        var ticket = await eve.OpenTicketAsync(new { subject = "VPN drops", requester = new { email = "carol.inbox@contoso.com" } });
        var id = ticket["id"]!.GetValue<string>();
        await app.PumpAsync();
        var before = app.SentTo("carol.inbox@contoso.com").Count;

        (await eve.PostAsJsonAsync($"/api/tickets/{id}/messages", new { visibility = "internal", body = "<p>@fay.inbox@inbox.test the tunnel key expired, @eve.inbox@inbox.test noted</p>", cc = new[] { "gus.inbox@inbox.test" } })).EnsureSuccessStatusCode();
        await app.PumpAsync();
        await app.PumpAsync();

        var toFay = app.SentTo("fay.inbox@inbox.test").ShouldHaveSingleItem();
        toFay.Headers!["X-Helpdesk-Trigger"].ShouldBe("message.internalNote");
        toFay.Subject.ShouldContain(ticket["number"]!.GetValue<string>());
        toFay.Subject.ShouldContain("Internal note");
        toFay.TextBody.ShouldContain("the tunnel key expired");
        toFay.TextBody.ShouldContain("The customer does not see it.");
        toFay.TicketId.ShouldBe(id);
        app.SentTo("gus.inbox@inbox.test").ShouldHaveSingleItem().Headers!["X-Helpdesk-Trigger"].ShouldBe("message.internalNote");
        app.SentTo("eve.inbox@inbox.test").ShouldBeEmpty();
        app.SentTo("carol.inbox@contoso.com").Count.ShouldBe(before);
        (await app.NotifiedOnAsync(id)).ShouldContain(e => e.Contains("fay.inbox@inbox.test", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Sms_reminders_go_signed_to_the_provider_once_and_need_the_owners_number()
    {
        var (_, halClient) = await app.AgentAsync("hal.inbox@inbox.test");
        var id = (await halClient.OpenTicketAsync())["id"]!.GetValue<string>();
        object Activity(string title) => new { kind = "task", title, dueAt = app.Later(TimeSpan.FromHours(2)), reminder = new { at = app.Later(TimeSpan.FromHours(1)), channels = new[] { "sms" } } };

        await (await halClient.PostAsJsonAsync($"/api/tickets/{id}/activities", Activity("Text Alice"))).ShouldBeProblem(400, "reminder.channels");
        await (await halClient.PutAsJsonAsync("/api/notifications/preferences", new { muted = false, mutedTriggers = Array.Empty<string>(), digest = "off", smsNumber = "06 12 34 56 78" })).ShouldBeProblem(400, "smsNumber");
        (await halClient.PutAsJsonAsync("/api/notifications/preferences", new { muted = false, mutedTriggers = Array.Empty<string>(), digest = "off", smsNumber = "+33612345678" })).EnsureSuccessStatusCode();
        var activity = await halClient.PostAsJsonAsync($"/api/tickets/{id}/activities", Activity("Text Alice"));
        activity.StatusCode.ShouldBe(HttpStatusCode.Created);
        var activityId = (await activity.Json())["id"]!.GetValue<string>();
        app.Sms.Answer(InboxApp.SmsUrl, HttpStatusCode.ServiceUnavailable, HttpStatusCode.OK);

        app.Clock.Advance(TimeSpan.FromMinutes(61));
        await app.FireRemindersAsync();
        await app.PumpAsync();
        await app.FireRemindersAsync();
        await app.PumpAsync();

        var attempts = app.Sms.Requests.Where(r => JsonNode.Parse(r.Body)!["activityId"]?.GetValue<string>() == activityId).ToArray();
        attempts.Length.ShouldBe(2);
        attempts.Select(a => a.Headers["Idempotency-Key"]).Distinct().ShouldHaveSingleItem();
        var sms = attempts[^1];
        var signature = sms.Headers[HmacSignature.Header];
        var timestamp = signature.Split(',')[0]["t=".Length..];
        var expected = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(InboxApp.SmsSecret), Encoding.UTF8.GetBytes($"{timestamp}.{sms.Body}")));
        signature.ShouldBe($"t={timestamp},v1={expected}");
        var body = JsonNode.Parse(sms.Body)!;
        body["to"]!.GetValue<string>().ShouldBe("+33612345678");
        body["from"]!.GetValue<string>().ShouldBe("Helpdesk");
        body["text"]!.GetValue<string>().ShouldContain("Text Alice");
        body["ticketId"]!.GetValue<string>().ShouldBe(id);
        app.SentTo("hal.inbox@inbox.test").ShouldNotContain(m => m.Headers != null && m.Headers.GetValueOrDefault("X-Helpdesk-Trigger") == "activity.reminder");
        var logged = (await app.NotifiedOnAsync(id)).Where(e => e.Contains("sms:hal.inbox@inbox.test", StringComparison.Ordinal)).ShouldHaveSingleItem();
        logged.ShouldNotContain("+33612345678");
    }
}

internal static class InboxAppHistory
{
    /// <summary>The notes of the ticket's "notified" history entries.</summary>
    public static async Task<IReadOnlyList<string>> NotifiedOnAsync(this InboxApp app, string ticketId)
    {
        var history = await (await app.Admin.GetAsync($"/api/tickets/{ticketId}/history?limit=200")).Json();
        return [.. history["items"]!.AsArray().Where(e => e!["action"]!.GetValue<string>() == "notified").Select(e => e!.ToJsonString())];
    }
}
