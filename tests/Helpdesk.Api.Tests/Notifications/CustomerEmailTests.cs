using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Tests.Infrastructure;
using static Helpdesk.Api.Tests.Notifications.NotificationRuleTests;

namespace Helpdesk.Api.Tests.Notifications;

/// <summary>
/// What the customer side (requester and copies) is emailed: the ticket's notify flag decides
/// every automatic email, the admin picks the status changes worth an email, and an internal
/// ticket writes to nobody outside the team.
/// </summary>
public sealed class CustomerEmailTests
{
    private const string Customer = "alice@contoso.com";

    [Fact]
    public async Task A_ticket_not_to_notify_sends_its_customer_nothing_while_the_team_still_hears()
    {
        using var app = new NotificationsApp();
        var team = await app.TeamAsync("Support");
        var (_, carol) = await app.AgentAsync("carol@helpdesk.test", Roles.Agent, team);
        await app.AgentAsync("dave@helpdesk.test", Roles.Agent, team);
        var ticket = await carol.OpenTicketAsync(new { subject = "Quiet one", requester = new { email = Customer }, teamId = team, notifyCustomer = false });
        var id = ticket["id"]!.GetValue<string>();

        (await carol.PostAsJsonAsync($"/api/tickets/{id}/messages", new { visibility = "public", body = "Looking into it", cc = new[] { "boss@contoso.com" } })).EnsureSuccessStatusCode();
        (await carol.PostAsync($"/api/tickets/{id}/start", null)).EnsureSuccessStatusCode();
        (await carol.PostAsJsonAsync($"/api/tickets/{id}/resolve", new { summary = "Done" })).EnsureSuccessStatusCode();
        await app.PumpAsync();

        app.MailsTo(Customer).ShouldBeEmpty();
        app.MailsTo("boss@contoso.com").ShouldBeEmpty();
        app.Mails().ShouldAllBe(m => !m.Cc.Contains(Customer) && !m.Cc.Contains("boss@contoso.com"));
        app.MailsTo("dave@helpdesk.test").ShouldHaveSingleItem().Trigger.ShouldBe("ticket.created");
    }

    [Fact]
    public async Task Turning_the_flag_on_lets_the_next_public_reply_reach_the_customer_and_its_copies()
    {
        using var app = new NotificationsApp();
        var agent = app.ClientFor(Roles.Agent);
        var ticket = await agent.OpenTicketAsync(new { subject = "Later", requester = new { email = Customer }, notifyCustomer = false });
        var id = ticket["id"]!.GetValue<string>();
        (await agent.PostAsJsonAsync($"/api/tickets/{id}/messages", new { visibility = "public", body = "First, unheard" })).EnsureSuccessStatusCode();

        (await agent.PatchJsonAsync($"/api/tickets/{id}", new { notifyCustomer = true }, "\"2\"")).EnsureSuccessStatusCode();
        (await agent.PostAsJsonAsync($"/api/tickets/{id}/messages", new { visibility = "public", body = "Second, heard", cc = new[] { "boss@contoso.com" } })).EnsureSuccessStatusCode();
        await app.PumpAsync();

        var mail = app.MailsTo(Customer).ShouldHaveSingleItem();
        mail.Trigger.ShouldBe("message.publicReply");
        mail.Cc.ShouldBe(["boss@contoso.com"]);
    }

    [Fact]
    public async Task The_customer_is_emailed_about_the_status_changes_the_admin_enabled_and_no_others()
    {
        using var app = new NotificationsApp();
        await UpdateSettingsAsync(app, s => s["customerStatusEmails"] = new JsonArray("inProgress", "waitingOnCustomer"));
        var (agentId, agent) = await app.AgentAsync("carol@helpdesk.test");
        var id = (await agent.OpenTicketAsync(new { subject = "Status mail", requester = new { email = Customer } }))["id"]!.GetValue<string>();
        var portal = app.ClientFor(Roles.Customer, Customer, (await (await agent.GetAsync($"/api/tickets/{id}")).Json())["requester"]!["contactId"]!.GetValue<string>());

        (await agent.PostAsJsonAsync($"/api/tickets/{id}/assign", new { assigneeId = agentId })).EnsureSuccessStatusCode();
        (await agent.PostAsync($"/api/tickets/{id}/start", null)).EnsureSuccessStatusCode();
        (await agent.PostAsync($"/api/tickets/{id}/wait", null)).EnsureSuccessStatusCode();
        (await portal.PostAsJsonAsync($"/api/portal/tickets/{id}/messages", new { body = "Here you go" })).EnsureSuccessStatusCode();
        await app.PumpAsync();

        var statusMails = app.MailsTo(Customer).Where(m => m.Trigger == "ticket.statusChanged").Select(m => m.Subject).ToList();
        statusMails.Count.ShouldBe(2);
        statusMails.ShouldContain(s => s.Contains("in progress", StringComparison.Ordinal));
        statusMails.ShouldContain(s => s.Contains("waiting for your answer", StringComparison.Ordinal));
        app.MailsTo(Customer).Where(m => m.Trigger == "ticket.created").ShouldHaveSingleItem();
        (await app.NotifiedHistoryAsync(id)).Count(h => h["note"]!.GetValue<string>().Contains(Customer, StringComparison.Ordinal)).ShouldBe(3);
    }

    [Fact]
    public async Task Status_emails_follow_the_notify_flag_too()
    {
        using var app = new NotificationsApp();
        await UpdateSettingsAsync(app, s => s["customerStatusEmails"] = new JsonArray("inProgress"));
        var agent = app.ClientFor(Roles.Agent);
        var id = (await agent.OpenTicketAsync(new { subject = "Muted", requester = new { email = Customer }, notifyCustomer = false }))["id"]!.GetValue<string>();

        (await agent.PostAsync($"/api/tickets/{id}/start", null)).EnsureSuccessStatusCode();
        await app.PumpAsync();

        app.MailsTo(Customer).ShouldBeEmpty();
    }

    [Fact]
    public async Task Only_working_statuses_can_be_chosen_for_customer_emails()
    {
        using var app = new NotificationsApp();
        var read = await app.Admin.GetAsync("/api/notifications/settings");
        var settings = (await read.Json()).AsObject();
        settings.Remove("id");
        settings["customerStatusEmails"] = new JsonArray("resolved", "sleeping");
        var request = new HttpRequestMessage(HttpMethod.Put, "/api/notifications/settings") { Content = JsonContent.Create(settings) };
        request.Headers.TryAddWithoutValidation("If-Match", read.Headers.ETag!.ToString());

        var response = await app.Admin.SendAsync(request);

        await response.ShouldBeProblem(400);
        (await response.Json())["errors"]!.AsObject().Select(e => e.Key).ShouldBe(["customerStatusEmails[0]", "customerStatusEmails[1]"], ignoreOrder: true);
    }

    [Fact]
    public async Task An_internal_ticket_emails_its_team_but_never_its_requester_or_copies()
    {
        using var app = new NotificationsApp();
        await UpdateSettingsAsync(app, s => s["customerStatusEmails"] = new JsonArray("inProgress"));
        var team = await app.TeamAsync("Ops");
        var (_, carol) = await app.AgentAsync("carol@helpdesk.test", Roles.Agent, team);
        await app.AgentAsync("dave@helpdesk.test", Roles.Agent, team);
        var id = (await carol.OpenTicketAsync(new { subject = "Patch the firewall", type = "internal", requester = new { email = "facilities@contoso.com" }, teamId = team }))["id"]!.GetValue<string>();

        (await carol.PostAsync($"/api/tickets/{id}/start", null)).EnsureSuccessStatusCode();
        (await carol.PostAsJsonAsync($"/api/tickets/{id}/resolve", new { summary = "Patched", notifyCustomer = true })).EnsureSuccessStatusCode();
        (await carol.PostAsync($"/api/tickets/{id}/close", null)).EnsureSuccessStatusCode();
        await app.PumpAsync();

        app.MailsTo("facilities@contoso.com").ShouldBeEmpty();
        app.Mails().ShouldAllBe(m => m.To.All(a => a.EndsWith("@helpdesk.test", StringComparison.Ordinal)));
        app.MailsTo("dave@helpdesk.test").ShouldHaveSingleItem().Trigger.ShouldBe("ticket.created");
    }
}
