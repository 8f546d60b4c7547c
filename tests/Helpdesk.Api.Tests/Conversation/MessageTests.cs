using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Tests.Infrastructure;

namespace Helpdesk.Api.Tests.Conversation;

public sealed class MessageTests(HelpdeskApp app) : IClassFixture<HelpdeskApp>
{
    [Fact]
    public async Task An_agent_reply_is_sanitised_stored_with_a_text_rendering_and_listed_in_order()
    {
        var (adaId, ada) = await app.AgentAsync("ada.reply@msg.test");
        var ticket = await ada.OpenTicketAsync();
        var url = $"/api/tickets/{ticket["id"]}/messages";

        var first = await ada.PostAsJsonAsync(url, new { visibility = "public", body = "<p onclick=\"x()\">Hello <b>Alice</b><script>alert(1)</script></p>", cc = new[] { "Boss@Contoso.com" } });
        var second = await ada.PostAsJsonAsync(url, new { visibility = "internal", body = "Checked the logs" });

        first.StatusCode.ShouldBe(HttpStatusCode.Created);
        second.StatusCode.ShouldBe(HttpStatusCode.Created);
        var reply = await first.Json();
        first.Headers.Location!.ToString().ShouldBe($"{url}/{reply["id"]}");
        reply["body"]!.GetValue<string>().ShouldBe("<p>Hello <b>Alice</b></p>");
        reply["text"]!.GetValue<string>().ShouldBe("Hello Alice");
        reply["cc"]!.AsArray().Select(c => c!.GetValue<string>()).ShouldBe(["boss@contoso.com"]);
        reply["author"]!["type"]!.GetValue<string>().ShouldBe("agent");
        reply["author"]!["id"]!.GetValue<string>().ShouldBe(adaId);
        reply["attachments"]!.AsArray().ShouldBeEmpty();

        var items = (await (await ada.GetAsync(url)).Json())["items"]!.AsArray();
        items.Select(i => i!["visibility"]!.GetValue<string>()).ShouldBe(["public", "internal"]);
        (await (await ada.GetAsync($"{url}/{reply["id"]}")).Json())["text"]!.GetValue<string>().ShouldBe("Hello Alice");
    }

    [Fact]
    public async Task A_public_reply_is_in_the_history_and_its_event_carries_ticket_message_visibility_and_cc()
    {
        var (_, ada) = await app.AgentAsync("ada.event@msg.test");
        var ticket = await ada.OpenTicketAsync();
        var id = ticket["id"]!.GetValue<string>();

        var reply = await (await ada.PostAsJsonAsync($"/api/tickets/{id}/messages", new { visibility = "public", body = "On it", cc = new[] { "cc@contoso.com" } })).Json();

        var history = (await (await ada.GetAsync($"/api/tickets/{id}/history")).Json())["items"]!.AsArray();
        history.Select(h => h!["action"]!.GetValue<string>()).ShouldContain("agentReplied");
        var data = (await LastEventAsync(id, "ticket.messageAdded"))["data"]!;
        data["messageId"]!.GetValue<string>().ShouldBe(reply["id"]!.GetValue<string>());
        data["visibility"]!.GetValue<string>().ShouldBe("public");
        data["cc"]!.GetValue<string>().ShouldBe("cc@contoso.com");
    }

    [Fact]
    public async Task Mentions_of_agents_and_contacts_are_added_to_cc_and_unknown_ones_are_reported()
    {
        var (_, ada) = await app.AgentAsync("grace.hopper@msg.test");
        var created = await app.Admin.PostAsJsonAsync("/api/contacts", new { email = "linus@customer.test", name = "Linus Torvalds" });
        created.EnsureSuccessStatusCode();
        var ticket = await ada.OpenTicketAsync();

        var response = await ada.PostAsJsonAsync($"/api/tickets/{ticket["id"]}/messages", new { visibility = "public", body = "<p>@grace.hopper and @Linus.Torvalds, see also @nobody.here and mail @linus@customer.test</p>" });

        response.StatusCode.ShouldBe(HttpStatusCode.Created);
        var message = await response.Json();
        message["cc"]!.AsArray().Select(c => c!.GetValue<string>()).ShouldBe(["grace.hopper@msg.test", "linus@customer.test"], ignoreOrder: true);
        message["unknownMentions"]!.AsArray().Select(c => c!.GetValue<string>()).ShouldBe(["@nobody.here"]);
    }

    [Fact]
    public async Task An_internal_note_reaches_agents_only()
    {
        var (_, ada) = await app.AgentAsync("ada.note@msg.test");
        await app.AgentAsync("tom.note@msg.test");
        var created = await app.Admin.PostAsJsonAsync("/api/contacts", new { email = "carla@customer.test", name = "Carla" });
        created.EnsureSuccessStatusCode();
        var ticket = await ada.OpenTicketAsync();
        var url = $"/api/tickets/{ticket["id"]}/messages";

        var mentioned = await (await ada.PostAsJsonAsync(url, new { visibility = "internal", body = "@tom.note and @carla please look" })).Json();
        var copiedToCustomer = await ada.PostAsJsonAsync(url, new { visibility = "internal", body = "secret", cc = new[] { "tom.note@msg.test", "carla@customer.test" } });

        mentioned["cc"]!.AsArray().Select(c => c!.GetValue<string>()).ShouldBe(["tom.note@msg.test"]);
        mentioned["unknownMentions"]!.AsArray().Select(c => c!.GetValue<string>()).ShouldBe(["@carla"]);
        await copiedToCustomer.ShouldBeProblem(400, "cc[1]");
    }

    [Fact]
    public async Task A_bad_message_is_400_naming_every_field()
    {
        var agent = app.ClientFor(Roles.Agent);
        var ticket = await agent.OpenTicketAsync();
        var url = $"/api/tickets/{ticket["id"]}/messages";

        var response = await agent.PostAsJsonAsync(url, new { visibility = "shouted", body = "", cc = new[] { "not-an-email" } });
        await response.ShouldBeProblem(400, "visibility");
        var errors = (await response.Json())["errors"]!.AsObject().Select(e => e.Key).ToArray();
        errors.ShouldBe(["visibility", "body", "cc[0]"], ignoreOrder: true);

        await (await agent.PostAsJsonAsync(url, new { visibility = "public", body = "<script>only()</script>" })).ShouldBeProblem(400, "body");
        await (await agent.PostAsJsonAsync(url, new { visibility = "public", body = "x", extra = 1 })).ShouldBeProblem(400, "extra");
        await (await agent.PostAsJsonAsync(url, new { body = "x" })).ShouldBeProblem(400, "visibility");
        await (await agent.GetAsync($"{url}?limit=0")).ShouldBeProblem(400, "limit");
    }

    [Fact]
    public async Task Messages_of_a_missing_ticket_or_a_missing_message_are_404()
    {
        var agent = app.ClientFor(Roles.Agent);
        var ticket = await agent.OpenTicketAsync();

        await (await agent.GetAsync("/api/tickets/t_missing/messages")).ShouldBeProblem(404);
        await (await agent.PostAsJsonAsync("/api/tickets/t_missing/messages", new { visibility = "public", body = "hi" })).ShouldBeProblem(404);
        await (await agent.GetAsync($"/api/tickets/{ticket["id"]}/messages/msg_missing")).ShouldBeProblem(404);
    }

    [Fact]
    public async Task Staff_message_routes_need_a_staff_token()
    {
        var agent = app.ClientFor(Roles.Agent);
        var ticket = await agent.OpenTicketAsync();
        var url = $"/api/tickets/{ticket["id"]}/messages";
        var anonymous = app.CreateClient();
        var customer = app.ClientFor(Roles.Customer, "alice@contoso.com", ticket["requester"]!["contactId"]!.GetValue<string>());

        (await anonymous.GetAsync(url)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await anonymous.PostAsJsonAsync(url, new { visibility = "public", body = "hi" })).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await customer.GetAsync(url)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await customer.PostAsJsonAsync(url, new { visibility = "internal", body = "hi" })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task A_closed_ticket_takes_no_more_messages_from_staff()
    {
        var agent = app.ClientFor(Roles.Agent);
        var ticket = await agent.OpenTicketAsync();
        (await agent.PostAsJsonAsync($"/api/tickets/{ticket["id"]}/close", new { })).EnsureSuccessStatusCode();

        var response = await agent.PostAsJsonAsync($"/api/tickets/{ticket["id"]}/messages", new { visibility = "internal", body = "late" });

        await response.ShouldBeProblem(409);
        (await response.Json())["type"]!.GetValue<string>().ShouldBe("urn:helpdesk:problem:ticket-closed");
    }

    [Fact]
    public async Task Retrying_a_post_with_the_same_idempotency_key_adds_one_message()
    {
        var agent = app.ClientFor(Roles.Agent);
        var ticket = await agent.OpenTicketAsync();
        var url = $"/api/tickets/{ticket["id"]}/messages";

        for (var i = 0; i < 2; i++)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent.Create(new { visibility = "public", body = "once" }) };
            request.Headers.Add("Idempotency-Key", "reply-1");
            (await agent.SendAsync(request)).StatusCode.ShouldBe(HttpStatusCode.Created);
        }

        (await (await agent.GetAsync(url)).Json())["items"]!.AsArray().Count.ShouldBe(1);
    }

    [Fact]
    public async Task An_escalation_note_is_also_an_internal_message_of_the_thread()
    {
        var (_, ada) = await app.AgentAsync("ada.esc@msg.test");
        var (samId, _) = await app.AgentAsync("sam.esc@msg.test", Roles.Supervisor);
        var ticket = await ada.OpenTicketAsync();

        (await ada.PostAsJsonAsync($"/api/tickets/{ticket["id"]}/escalate", new { toAgentId = samId, note = "Customer threatens to leave" })).EnsureSuccessStatusCode();

        var message = (await (await ada.GetAsync($"/api/tickets/{ticket["id"]}/messages")).Json())["items"]!.AsArray().Single()!;
        message["visibility"]!.GetValue<string>().ShouldBe("internal");
        message["text"]!.GetValue<string>().ShouldBe("Customer threatens to leave");
        message["source"]!.GetValue<string>().ShouldBe("escalation");
    }

    [Fact]
    public async Task Escalating_or_assigning_to_an_inactive_or_unknown_agent_or_team_is_400()
    {
        var (_, ada) = await app.AgentAsync("ada.inactive@msg.test");
        var (goneId, _) = await app.AgentAsync("gone@msg.test");
        var teamId = await app.TeamAsync("Closed team");
        var agentEtag = (await app.Admin.GetAsync($"/api/agents/{goneId}")).Headers.ETag!.Tag;
        var teamEtag = (await app.Admin.GetAsync($"/api/teams/{teamId}")).Headers.ETag!.Tag;
        await Delete(app.Admin, $"/api/agents/{goneId}", agentEtag);
        await Delete(app.Admin, $"/api/teams/{teamId}", teamEtag);
        var ticket = await ada.OpenTicketAsync();

        await (await ada.PostAsJsonAsync($"/api/tickets/{ticket["id"]}/escalate", new { toAgentId = goneId, toTeamId = teamId, note = "x" })).ShouldBeProblem(400, "toTeamId");
        await (await ada.PostAsJsonAsync($"/api/tickets/{ticket["id"]}/escalate", new { toAgentId = "agt_nobody", note = "x" })).ShouldBeProblem(400, "toAgentId");
        await (await ada.PostAsJsonAsync($"/api/tickets/{ticket["id"]}/escalate", new { toAgentId = goneId, note = "" })).ShouldBeProblem(400, "note");
        await (await ada.PostAsJsonAsync($"/api/tickets/{ticket["id"]}/assign", new { assigneeId = goneId })).ShouldBeProblem(400, "assigneeId");
        (await (await ada.GetAsync($"/api/tickets/{ticket["id"]}/messages")).Json())["items"]!.AsArray().ShouldBeEmpty();
    }

    private static async Task Delete(HttpClient client, string url, string etag)
    {
        var request = new HttpRequestMessage(HttpMethod.Delete, url);
        request.Headers.TryAddWithoutValidation("If-Match", etag);
        (await client.SendAsync(request)).EnsureSuccessStatusCode();
    }

    private async Task<JsonNode> LastEventAsync(string ticketId, string type) =>
        (await app.StoredEventsAsync(ticketId)).Last(e => e["type"]!.GetValue<string>() == type);
}
