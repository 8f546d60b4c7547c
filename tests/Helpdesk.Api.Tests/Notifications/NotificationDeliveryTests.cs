using System.Net;
using System.Net.Http.Json;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Tests.Infrastructure;

namespace Helpdesk.Api.Tests.Notifications;

/// <summary>Sending: once per recipient whatever the redeliveries, agents' preferences, and the settings routes.</summary>
public sealed class NotificationDeliveryTests
{
    [Fact]
    public async Task A_send_that_fails_half_way_is_retried_without_repeating_what_was_sent()
    {
        using var app = new NotificationsApp();
        var team = await app.TeamAsync("Support");
        await app.AgentAsync("dave@helpdesk.test", Roles.Agent, team);
        var failOnce = true;
        app.Sender.Fails = m =>
        {
            if (m.To[0].Address == "dave@helpdesk.test" && failOnce)
            {
                failOnce = false;
                return true;
            }

            return false;
        };
        var id = (await app.ClientFor("agent").OpenTicketAsync(new { subject = "Printer", requester = new { email = "alice@contoso.com" }, teamId = team }))["id"]!.GetValue<string>();

        await app.PumpAsync();
        app.Clock.Advance(TimeSpan.FromMinutes(1));
        await app.PumpAsync();
        await app.PumpAsync();

        app.Sender.Sent.Count.ShouldBe(2);
        app.Sender.Sent.Distinct().Count().ShouldBe(2);
        (await app.NotifiedHistoryAsync(id)).Count.ShouldBe(2);
    }

    [Fact]
    public async Task The_same_event_delivered_twice_by_service_bus_sends_once()
    {
        using var app = new NotificationsApp();
        var (assigneeId, _) = await app.AgentAsync("assignee@helpdesk.test");
        var id = (await app.ClientFor("agent").OpenTicketAsync(new { subject = "Invoice", requester = new { email = "alice@contoso.com" }, assigneeId }))["id"]!.GetValue<string>();
        var envelope = await NotificationRuleTests.Envelope("ticket.messageAdded", id, new { visibility = "public", authorType = "customer", cc = "" }, actorType: "customer", actor: "con_1").ReadAsStringAsync();
        var client = app.CreateClient();

        for (var i = 0; i < 2; i++)
        {
            (await client.PostAsync("/DeliverNotification", new StringContent(envelope, System.Text.Encoding.UTF8, "application/json"))).StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        app.Sender.Sent.Count.ShouldBe(1);
        (await app.NotifiedHistoryAsync(id)).Count.ShouldBe(1);
    }

    [Fact]
    public async Task A_muted_agent_hears_nothing_and_a_muted_trigger_only_silences_that_trigger()
    {
        using var app = new NotificationsApp();
        var (muteId, mute) = await app.AgentAsync("mute@helpdesk.test");
        var (pickyId, picky) = await app.AgentAsync("picky@helpdesk.test");
        (await mute.PutAsJsonAsync("/api/notifications/preferences", new { muted = true, mutedTriggers = Array.Empty<string>(), digest = "off" })).EnsureSuccessStatusCode();
        (await picky.PutAsJsonAsync("/api/notifications/preferences", new { muted = false, mutedTriggers = new[] { "ticket.assigned" }, digest = "off" })).EnsureSuccessStatusCode();
        var agent = app.ClientFor("agent");

        foreach (var assignee in new[] { muteId, pickyId })
        {
            var assigned = (await agent.OpenTicketAsync())["id"]!.GetValue<string>();
            (await agent.PostAsJsonAsync($"/api/tickets/{assigned}/assign", new { assigneeId = assignee })).EnsureSuccessStatusCode();
            var escalated = (await agent.OpenTicketAsync())["id"]!.GetValue<string>();
            (await agent.PostAsJsonAsync($"/api/tickets/{escalated}/escalate", new { toAgentId = assignee, note = "Needs you" })).EnsureSuccessStatusCode();
        }

        await app.PumpAsync();

        app.MailsTo("mute@helpdesk.test").ShouldBeEmpty();
        app.MailsTo("picky@helpdesk.test").ShouldHaveSingleItem().Trigger.ShouldBe("ticket.escalated");
    }

    [Fact]
    public async Task An_agent_on_a_digest_gets_one_email_per_period_and_each_ticket_records_it()
    {
        using var app = new NotificationsApp();
        var (daveId, dave) = await app.AgentAsync("dave@helpdesk.test");
        (await dave.PutAsJsonAsync("/api/notifications/preferences", new { muted = false, mutedTriggers = Array.Empty<string>(), digest = "hourly" })).EnsureSuccessStatusCode();
        var agent = app.ClientFor("agent");
        var ids = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            var id = (await agent.OpenTicketAsync(new { subject = $"Task {i}", requester = new { email = "alice@contoso.com" }, assigneeId = daveId }))["id"]!.GetValue<string>();
            ids.Add(id);
        }

        await app.PumpAsync();
        app.MailsTo("dave@helpdesk.test").ShouldBeEmpty();

        await app.RunDigestsAsync();
        await app.RunDigestsAsync();

        app.MailsTo("dave@helpdesk.test").ShouldHaveSingleItem().Subject.ShouldContain("digest");
        foreach (var id in ids)
        {
            (await app.NotifiedHistoryAsync(id)).ShouldContain(h => h["note"]!.GetValue<string>().StartsWith("Digest email to dave@helpdesk.test", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Settings_changes_need_the_version_read()
    {
        using var app = new NotificationsApp();
        var read = await app.Admin.GetAsync("/api/notifications/settings");
        read.Headers.ETag.ShouldNotBeNull();
        var body = new { senderAddress = "support@contoso.com", rules = Array.Empty<object>() };

        await (await app.Admin.PutAsJsonAsync("/api/notifications/settings", body)).ShouldBeProblem(428);
        var stale = new HttpRequestMessage(HttpMethod.Put, "/api/notifications/settings") { Content = JsonContent.Create(body) };
        stale.Headers.TryAddWithoutValidation("If-Match", "\"41\"");
        await (await app.Admin.SendAsync(stale)).ShouldBeProblem(412);

        var fresh = new HttpRequestMessage(HttpMethod.Put, "/api/notifications/settings") { Content = JsonContent.Create(body) };
        fresh.Headers.TryAddWithoutValidation("If-Match", read.Headers.ETag!.ToString());
        var saved = await app.Admin.SendAsync(fresh);
        saved.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await (await app.Admin.GetAsync("/api/notifications/settings")).Json())["senderAddress"]!.GetValue<string>().ShouldBe("support@contoso.com");
    }

    [Fact]
    public async Task Bad_settings_name_every_bad_field()
    {
        using var app = new NotificationsApp();
        var request = new HttpRequestMessage(HttpMethod.Put, "/api/notifications/settings")
        {
            Content = JsonContent.Create(new { senderAddress = "not an email", newTicketAddress = "nope", rules = new[] { new { trigger = "ticket.exploded", recipients = new[] { "everyone" }, enabled = true } } }),
        };
        request.Headers.TryAddWithoutValidation("If-Match", "*");

        var response = await app.Admin.SendAsync(request);

        await response.ShouldBeProblem(400, "senderAddress");
        var errors = (await response.Json())["errors"]!.AsObject().Select(e => e.Key).ToArray();
        errors.ShouldContain("newTicketAddress");
        errors.ShouldContain("rules[0].trigger");
        errors.ShouldContain("rules[0].recipients[0]");
    }

    [Fact]
    public async Task Only_admins_see_the_settings_and_only_directory_agents_have_preferences()
    {
        using var app = new NotificationsApp();

        (await app.CreateClient().GetAsync("/api/notifications/settings")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await app.ClientFor("supervisor").GetAsync("/api/notifications/settings")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await app.ClientFor("customer", contactId: "con_1").GetAsync("/api/notifications/preferences")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        await (await app.ClientFor("agent", "stranger@helpdesk.test").GetAsync("/api/notifications/preferences")).ShouldBeProblem(409);
    }

    [Fact]
    public async Task Bad_preferences_are_refused_and_good_ones_read_back()
    {
        using var app = new NotificationsApp();
        var (_, dave) = await app.AgentAsync("dave@helpdesk.test");

        await (await dave.PutAsJsonAsync("/api/notifications/preferences", new { muted = false, mutedTriggers = new[] { "whatever" }, digest = "off" })).ShouldBeProblem(400, "mutedTriggers[0]");
        await (await dave.PutAsJsonAsync("/api/notifications/preferences", new { muted = false, mutedTriggers = Array.Empty<string>(), digest = "weekly" })).ShouldBeProblem(400, "digest");
        await (await dave.PutAsJsonAsync("/api/notifications/preferences", new { muted = true, color = "blue" })).ShouldBeProblem(400);
        var partial = await dave.PutAsJsonAsync("/api/notifications/preferences", new { muted = true });
        await partial.ShouldBeProblem(400, "mutedTriggers");
        await partial.ShouldBeProblem(400, "digest");

        (await dave.PutAsJsonAsync("/api/notifications/preferences", new { muted = false, digest = "daily", mutedTriggers = new[] { "sla.warning" } })).EnsureSuccessStatusCode();
        var read = await dave.GetAsync("/api/notifications/preferences");
        var preferences = await read.Json();
        preferences["digest"]!.GetValue<string>().ShouldBe("daily");
        preferences["mutedTriggers"]!.AsArray().Select(t => t!.GetValue<string>()).ShouldBe(["sla.warning"]);
        read.Headers.ETag!.ToString().ShouldBe("\"1\"");
    }
}
