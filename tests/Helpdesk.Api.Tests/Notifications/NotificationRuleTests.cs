using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Tests.Infrastructure;

namespace Helpdesk.Api.Tests.Notifications;

/// <summary>Who is told about what, by the default rules and by the ones an admin sets.</summary>
public sealed class NotificationRuleTests
{
    private const string Customer = "alice@contoso.com";

    [Fact]
    public async Task A_new_ticket_acknowledges_the_customer_and_tells_its_team_but_not_the_creator()
    {
        using var app = new NotificationsApp();
        var team = await app.TeamAsync("Support");
        var (_, creator) = await app.AgentAsync("carol@helpdesk.test", Roles.Agent, team);
        await app.AgentAsync("dave@helpdesk.test", Roles.Agent, team);
        await app.AgentAsync("erin@helpdesk.test", Roles.Agent);

        var ticket = await creator.OpenTicketAsync(new { subject = "VPN down", requester = new { email = Customer, name = "Alice" }, teamId = team });
        await app.PumpAsync();

        app.MailsTo(Customer).ShouldHaveSingleItem().Subject.ShouldContain("We received your request");
        app.MailsTo("dave@helpdesk.test").ShouldHaveSingleItem().Subject.ShouldContain("VPN down");
        app.MailsTo("carol@helpdesk.test").ShouldBeEmpty();
        app.MailsTo("erin@helpdesk.test").ShouldBeEmpty();
        var history = await app.NotifiedHistoryAsync(ticket["id"]!.GetValue<string>());
        history.Count.ShouldBe(2);
        history.ShouldAllBe(h => h["actor"]!["type"]!.GetValue<string>() == "system");
        history.Select(h => h["note"]!.GetValue<string>()).ShouldContain(n => n.Contains(Customer, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_new_ticket_address_of_the_settings_hears_of_every_new_ticket()
    {
        using var app = new NotificationsApp();
        await UpdateSettingsAsync(app, s => s["newTicketAddress"] = "dispatch@helpdesk.test");

        await app.ClientFor("agent").OpenTicketAsync();
        await app.PumpAsync();

        app.MailsTo("dispatch@helpdesk.test").ShouldHaveSingleItem().Trigger.ShouldBe("ticket.created");
    }

    [Fact]
    public async Task The_assignee_is_told_unless_they_assigned_themself()
    {
        using var app = new NotificationsApp();
        var (_, dave) = await app.AgentAsync("dave@helpdesk.test");
        var (erinId, _) = await app.AgentAsync("erin@helpdesk.test");
        var agent = app.ClientFor("agent");
        var first = (await agent.OpenTicketAsync())["id"]!.GetValue<string>();
        var second = (await agent.OpenTicketAsync())["id"]!.GetValue<string>();

        (await agent.PostAsJsonAsync($"/api/tickets/{first}/assign", new { assigneeId = erinId })).EnsureSuccessStatusCode();
        (await dave.PostAsync($"/api/tickets/{second}/take", null)).EnsureSuccessStatusCode();
        await app.PumpAsync();

        app.MailsTo("erin@helpdesk.test").ShouldHaveSingleItem().Subject.ShouldContain("assigned to you");
        app.MailsTo("dave@helpdesk.test").ShouldBeEmpty();
    }

    [Fact]
    public async Task An_escalation_tells_the_new_assignee()
    {
        using var app = new NotificationsApp();
        var (seniorId, _) = await app.AgentAsync("senior@helpdesk.test");
        var agent = app.ClientFor("agent");
        var id = (await agent.OpenTicketAsync())["id"]!.GetValue<string>();

        (await agent.PostAsJsonAsync($"/api/tickets/{id}/escalate", new { toAgentId = seniorId, note = "Needs root access" })).EnsureSuccessStatusCode();
        await app.PumpAsync();

        app.MailsTo("senior@helpdesk.test").ShouldHaveSingleItem().Trigger.ShouldBe("ticket.escalated");
    }

    [Fact]
    public async Task The_customer_hears_of_the_resolution_only_when_the_ticket_says_so()
    {
        using var app = new NotificationsApp();
        var agent = app.ClientFor("agent");
        var quiet = (await agent.OpenTicketAsync(new { subject = "Quiet", requester = new { email = "quiet@contoso.com" } }))["id"]!.GetValue<string>();
        var told = (await agent.OpenTicketAsync(new { subject = "Told", requester = new { email = "told@contoso.com" } }))["id"]!.GetValue<string>();

        (await agent.PostAsJsonAsync($"/api/tickets/{quiet}/resolve", new { summary = "Fixed", notifyCustomer = false })).EnsureSuccessStatusCode();
        (await agent.PostAsJsonAsync($"/api/tickets/{told}/resolve", new { summary = "Replaced the cable", notifyCustomer = true })).EnsureSuccessStatusCode();
        await app.PumpAsync();

        app.MailsTo("quiet@contoso.com").Select(m => m.Trigger).ShouldBe(["ticket.created"]);
        app.MailsTo("told@contoso.com").Select(m => m.Trigger).OrderBy(t => t).ShouldBe(["ticket.created", "ticket.resolved"]);
    }

    [Fact]
    public async Task Closing_notifies_nobody_when_the_settings_turn_it_off()
    {
        using var app = new NotificationsApp();
        await UpdateSettingsAsync(app, s => s["notifyCustomerOnClosing"] = false);
        var agent = app.ClientFor("agent");
        var id = (await agent.OpenTicketAsync())["id"]!.GetValue<string>();

        (await agent.PostAsJsonAsync($"/api/tickets/{id}/close", new { notifyCustomer = true })).EnsureSuccessStatusCode();
        await app.PumpAsync();

        app.MailsTo(Customer).Select(m => m.Trigger).ShouldBe(["ticket.created"]);
    }

    [Fact]
    public async Task A_disabled_rule_sends_nothing()
    {
        using var app = new NotificationsApp();
        await UpdateSettingsAsync(app, s =>
        {
            foreach (var rule in s["rules"]!.AsArray())
            {
                rule!["enabled"] = rule["trigger"]!.GetValue<string>() != "ticket.created";
            }
        });

        await app.ClientFor("agent").OpenTicketAsync();
        await app.PumpAsync();

        app.Mails().ShouldBeEmpty();
    }

    [Fact]
    public async Task An_sla_breach_tells_whom_the_escalation_level_names()
    {
        using var app = new NotificationsApp();
        var (leadId, _) = await app.AgentAsync("lead@helpdesk.test");
        await app.AgentAsync("boss@helpdesk.test", Roles.Supervisor);
        var (assigneeId, _) = await app.AgentAsync("assignee@helpdesk.test");
        var team = await app.TeamWithLeadAsync("Network", leadId);
        var ticket = await app.ClientFor("agent").OpenTicketAsync(new { subject = "Router", requester = new { email = Customer }, teamId = team, assigneeId });
        var id = ticket["id"]!.GetValue<string>();

        var response = await app.CreateClient().PostAsync("/DeliverNotification", Envelope("sla.breached", id, new { target = "resolution", notify = "teamLead,supervisors", at = "2026-03-02T13:00:00Z" }));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        app.MailsTo("lead@helpdesk.test").ShouldHaveSingleItem().Subject.ShouldContain("SLA target breached");
        app.MailsTo("boss@helpdesk.test").ShouldHaveSingleItem();
        app.MailsTo("assignee@helpdesk.test").ShouldBeEmpty();
        (await app.NotifiedHistoryAsync(id)).Count.ShouldBe(2);
    }

    [Fact]
    public async Task A_public_reply_goes_to_the_customer_with_the_cc_and_a_customer_message_to_the_assignee()
    {
        using var app = new NotificationsApp();
        var (assigneeId, _) = await app.AgentAsync("assignee@helpdesk.test");
        var id = (await app.ClientFor("agent").OpenTicketAsync(new { subject = "Invoice", requester = new { email = Customer }, assigneeId }))["id"]!.GetValue<string>();
        var client = app.CreateClient();

        (await client.PostAsync("/DeliverNotification", Envelope("ticket.messageAdded", id, new { visibility = "public", authorType = "agent", cc = "bob@contoso.com", text = "Here is your invoice." }, actor: assigneeId))).EnsureSuccessStatusCode();
        (await client.PostAsync("/DeliverNotification", Envelope("ticket.messageAdded", id, new { visibility = "public", authorType = "customer", cc = "" }, actorType: "customer", actor: "con_1"))).EnsureSuccessStatusCode();
        (await client.PostAsync("/DeliverNotification", Envelope("ticket.messageAdded", id, new { visibility = "internal", authorType = "agent", cc = "" }, actor: assigneeId))).EnsureSuccessStatusCode();

        var reply = app.Mails().Single(m => m.Trigger == "message.publicReply");
        reply.To.ShouldBe([Customer]);
        reply.Cc.ShouldBe(["bob@contoso.com"]);
        app.MailsTo("assignee@helpdesk.test").Single().Trigger.ShouldBe("message.customer");
    }

    [Fact]
    public async Task Every_notification_of_a_ticket_is_listed_with_its_state()
    {
        using var app = new NotificationsApp();
        var id = (await app.ClientFor("agent").OpenTicketAsync())["id"]!.GetValue<string>();
        await app.PumpAsync();

        var list = await (await app.ClientFor("agent").GetAsync($"/api/tickets/{id}/notifications")).Json();

        var item = list["items"]!.AsArray().ShouldHaveSingleItem()!;
        item["recipient"]!.GetValue<string>().ShouldBe(Customer);
        item["state"]!.GetValue<string>().ShouldBe("sent");
        item["channel"]!.GetValue<string>().ShouldBe("email");
        await (await app.ClientFor("agent").GetAsync("/api/tickets/nope/notifications")).ShouldBeProblem(404);
        (await app.ClientFor("customer", contactId: "con_1").GetAsync($"/api/tickets/{id}/notifications")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    internal static async Task UpdateSettingsAsync(HelpdeskApp app, Action<JsonObject> change)
    {
        var read = await app.Admin.GetAsync("/api/notifications/settings");
        var settings = (await read.Json()).AsObject();
        settings.Remove("id");
        change(settings);
        var request = new HttpRequestMessage(HttpMethod.Put, "/api/notifications/settings") { Content = JsonContent.Create(settings) };
        request.Headers.TryAddWithoutValidation("If-Match", read.Headers.ETag!.ToString());
        (await app.Admin.SendAsync(request)).EnsureSuccessStatusCode();
    }

    internal static StringContent Envelope(string type, string ticketId, object data, string actorType = "agent", string actor = "agt_x")
    {
        var body = JsonSerializer.Serialize(new
        {
            eventId = Guid.NewGuid().ToString("D"),
            type,
            ticketId,
            correlationId = "c-1",
            occurredAt = "2026-03-02T09:00:00Z",
            actor = new { type = actorType, id = actor },
            data,
        });
        var envelope = new JsonObject { ["Data"] = new JsonObject { ["message"] = JsonSerializer.Serialize(body) }, ["Metadata"] = new JsonObject { ["DeliveryCount"] = "1" } };
        return new StringContent(envelope.ToJsonString(), System.Text.Encoding.UTF8, "application/json");
    }
}
