using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Tests.Infrastructure;

namespace Helpdesk.Api.Tests.Portal;

public sealed class PortalTests(HelpdeskApp app) : IClassFixture<HelpdeskApp>
{
    /// <summary>An agent opens a ticket for this email; returns the ticket and a portal client for its requester.</summary>
    private async Task<(JsonNode Ticket, HttpClient Customer, HttpClient Agent)> TicketForAsync(string email)
    {
        var agent = app.ClientFor(Roles.Agent, "agent@portal.test");
        var ticket = await agent.OpenTicketAsync(new { subject = "VPN drops", requester = new { email, name = "Cust" } });
        return (ticket, app.ClientFor(Roles.Customer, email, ticket["requester"]!["contactId"]!.GetValue<string>()), agent);
    }

    private static async Task<string> StatusOf(HttpClient agent, JsonNode ticket) =>
        (await (await agent.GetAsync($"/api/tickets/{ticket["id"]}")).Json())["status"]!.GetValue<string>();

    [Fact]
    public async Task A_customer_opens_a_ticket_and_sees_it_with_their_message()
    {
        var (_, customer, agent) = await TicketForAsync("opener@portal.test");

        var response = await customer.PostAsJsonAsync("/api/portal/tickets", new { subject = "Cannot print", description = "<p>Since <b>Monday</b><script>x</script></p>", priority = "high" });

        response.StatusCode.ShouldBe(HttpStatusCode.Created);
        var ticket = await response.Json();
        response.Headers.Location!.ToString().ShouldBe($"/api/portal/tickets/{ticket["id"]}");
        ticket["description"]!.GetValue<string>().ShouldBe("Since Monday");
        ticket["priority"]!.GetValue<string>().ShouldBe("high");
        ticket["messages"]!.AsArray().Single()!["body"]!.GetValue<string>().ShouldBe("<p>Since <b>Monday</b></p>");
        ticket.AsObject().ContainsKey("assigneeId").ShouldBeFalse();

        var mine = (await (await customer.GetAsync("/api/portal/tickets")).Json())["items"]!.AsArray();
        mine.Select(t => t!["id"]!.GetValue<string>()).ShouldContain(ticket["id"]!.GetValue<string>());
        var staffView = (await (await agent.GetAsync($"/api/tickets/{ticket["id"]}/history")).Json())["items"]!.AsArray();
        staffView.Select(h => h!["action"]!.GetValue<string>()).ShouldBe(["created", "customerMessage"]);
        staffView[0]!["actor"]!["type"]!.GetValue<string>().ShouldBe("customer");
    }

    [Fact]
    public async Task An_internal_note_is_invisible_through_every_customer_route()
    {
        var (ticket, customer, agent) = await TicketForAsync("nosy@portal.test");
        var id = ticket["id"]!.GetValue<string>();
        (await agent.PostAsJsonAsync($"/api/tickets/{id}/messages", new { visibility = "public", body = "We are on it" })).EnsureSuccessStatusCode();
        (await agent.PostAsJsonAsync($"/api/tickets/{id}/messages", new { visibility = "internal", body = "SECRET-NOTE customer is difficult" })).EnsureSuccessStatusCode();
        (await agent.PostAsJsonAsync($"/api/tickets/{id}/escalate", new { toTeamId = await app.TeamAsync("Tier 2"), note = "SECRET-ESCALATION" })).EnsureSuccessStatusCode();

        var bodies = new[]
        {
            await (await customer.GetAsync("/api/portal/tickets")).Content.ReadAsStringAsync(),
            await (await customer.GetAsync($"/api/portal/tickets/{id}")).Content.ReadAsStringAsync(),
            await (await customer.GetAsync($"/api/portal/tickets/{id}/messages")).Content.ReadAsStringAsync(),
        };

        bodies.ShouldAllBe(b => !b.Contains("SECRET", StringComparison.Ordinal));
        (await (await customer.GetAsync($"/api/portal/tickets/{id}/messages")).Json())["items"]!.AsArray()
            .Select(m => m!["text"]!.GetValue<string>()).ShouldBe(["We are on it"]);
    }

    [Fact]
    public async Task A_customer_reply_while_waiting_on_them_makes_the_ticket_active_again()
    {
        var (ticket, customer, agent) = await TicketForAsync("waiting@portal.test");
        (await agent.PostAsync($"/api/tickets/{ticket["id"]}/wait", null)).EnsureSuccessStatusCode();

        var response = await customer.PostAsJsonAsync($"/api/portal/tickets/{ticket["id"]}/messages", new { body = "Here is the log" });

        response.StatusCode.ShouldBe(HttpStatusCode.Created);
        (await response.Json())["author"]!["type"]!.GetValue<string>().ShouldBe("customer");
        (await StatusOf(agent, ticket)).ShouldBe("open");
    }

    [Fact]
    public async Task A_customer_reply_reopens_a_resolved_ticket()
    {
        var (ticket, customer, agent) = await TicketForAsync("resolved@portal.test");
        (await agent.PostAsJsonAsync($"/api/tickets/{ticket["id"]}/resolve", new { summary = "Rebooted" })).EnsureSuccessStatusCode();

        (await customer.PostAsJsonAsync($"/api/portal/tickets/{ticket["id"]}/messages", new { body = "Still broken" })).EnsureSuccessStatusCode();

        (await StatusOf(agent, ticket)).ShouldBe("open");
    }

    [Fact]
    public async Task A_customer_reply_to_a_closed_ticket_opens_a_linked_follow_up()
    {
        var (ticket, customer, agent) = await TicketForAsync("closed@portal.test");
        (await agent.PostAsJsonAsync($"/api/tickets/{ticket["id"]}/close", new { })).EnsureSuccessStatusCode();

        var response = await customer.PostAsJsonAsync($"/api/portal/tickets/{ticket["id"]}/messages", new { body = "It is back" });

        response.StatusCode.ShouldBe(HttpStatusCode.Created);
        var message = await response.Json();
        var followUpId = message["ticketId"]!.GetValue<string>();
        followUpId.ShouldNotBe(ticket["id"]!.GetValue<string>());
        var followUp = await (await agent.GetAsync($"/api/tickets/{followUpId}")).Json();
        followUp["followUpOfId"]!.GetValue<string>().ShouldBe(ticket["id"]!.GetValue<string>());
        followUp["subject"]!.GetValue<string>().ShouldBe("VPN drops");
        followUp["requester"]!["email"]!.GetValue<string>().ShouldBe("closed@portal.test");
        (await StatusOf(agent, ticket)).ShouldBe("closed");
        (await (await customer.GetAsync($"/api/portal/tickets/{followUpId}/messages")).Json())["items"]!.AsArray().Single()!["text"]!.GetValue<string>().ShouldBe("It is back");
    }

    [Fact]
    public async Task When_follow_ups_are_switched_off_a_reply_to_a_closed_ticket_is_409()
    {
        using var strict = new HelpdeskApp().With("Conversation:FollowUpOnClosedTicket", "false");
        var agent = strict.ClientFor(Roles.Agent);
        var ticket = await agent.OpenTicketAsync(new { subject = "Old", requester = new { email = "strict@portal.test" } });
        (await agent.PostAsJsonAsync($"/api/tickets/{ticket["id"]}/close", new { })).EnsureSuccessStatusCode();
        var customer = strict.ClientFor(Roles.Customer, "strict@portal.test", ticket["requester"]!["contactId"]!.GetValue<string>());

        var response = await customer.PostAsJsonAsync($"/api/portal/tickets/{ticket["id"]}/messages", new { body = "Hello?" });

        await response.ShouldBeProblem(409);
    }

    [Fact]
    public async Task A_customer_probing_other_tickets_gets_404_every_time()
    {
        var (mine, me, _) = await TicketForAsync("me@portal.test");
        var (theirs, _, _) = await TicketForAsync("them@portal.test");
        var id = theirs["id"]!.GetValue<string>();

        foreach (var probe in new[] { id, "t_does_not_exist" })
        {
            await (await me.GetAsync($"/api/portal/tickets/{probe}")).ShouldBeProblem(404);
            await (await me.GetAsync($"/api/portal/tickets/{probe}/messages")).ShouldBeProblem(404);
            await (await me.PostAsJsonAsync($"/api/portal/tickets/{probe}/messages", new { body = "hi" })).ShouldBeProblem(404);
        }

        var listed = (await (await me.GetAsync("/api/portal/tickets")).Json())["items"]!.AsArray().Select(t => t!["id"]!.GetValue<string>()).ToArray();
        listed.ShouldBe([mine["id"]!.GetValue<string>()]);
    }

    [Fact]
    public async Task Account_wide_portals_show_colleagues_tickets_but_never_other_accounts()
    {
        using var wide = new HelpdeskApp().With("Portal:AccountWideTickets", "true");
        await wide.AccountAsync("Fabrikam", "fabrikam.test");
        var agent = wide.ClientFor(Roles.Agent);
        var colleague = await agent.OpenTicketAsync(new { subject = "Colleague's", requester = new { email = "bea@fabrikam.test" } });
        var outsider = await agent.OpenTicketAsync(new { subject = "Outsider's", requester = new { email = "zed@elsewhere.test" } });
        var mine = await agent.OpenTicketAsync(new { subject = "Mine", requester = new { email = "cal@fabrikam.test" } });
        var me = wide.ClientFor(Roles.Customer, "cal@fabrikam.test", mine["requester"]!["contactId"]!.GetValue<string>());

        var listed = (await (await me.GetAsync("/api/portal/tickets")).Json())["items"]!.AsArray().Select(t => t!["subject"]!.GetValue<string>()).ToArray();

        listed.ShouldBe(["Mine", "Colleague's"]);
        (await me.GetAsync($"/api/portal/tickets/{colleague["id"]}")).StatusCode.ShouldBe(HttpStatusCode.OK);
        await (await me.GetAsync($"/api/portal/tickets/{outsider["id"]}")).ShouldBeProblem(404);
    }

    [Fact]
    public async Task Portal_routes_are_for_customers_with_an_active_contact()
    {
        var (ticket, _, agent) = await TicketForAsync("roles@portal.test");
        var ghost = app.ClientFor(Roles.Customer, "ghost@portal.test", "con_ghost");

        (await app.CreateClient().GetAsync("/api/portal/tickets")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await agent.GetAsync("/api/portal/tickets")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await app.ClientFor(Roles.Customer, "nocontact@portal.test").GetAsync("/api/portal/tickets")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        await (await ghost.GetAsync("/api/portal/tickets")).ShouldBeProblem(403);
        await (await ghost.PostAsJsonAsync("/api/portal/tickets", new { subject = "x", description = "y" })).ShouldBeProblem(403);
        await (await ghost.GetAsync($"/api/portal/tickets/{ticket["id"]}")).ShouldBeProblem(404);
    }

    [Fact]
    public async Task Bad_portal_requests_are_400_naming_every_field()
    {
        var (ticket, customer, _) = await TicketForAsync("bad@portal.test");

        var open = await customer.PostAsJsonAsync("/api/portal/tickets", new { subject = "", description = "", priority = "asap", cc = new[] { "nope" } });
        await open.ShouldBeProblem(400);
        (await open.Json())["errors"]!.AsObject().Select(e => e.Key).ShouldBe(["subject", "description", "priority", "cc[0]"], ignoreOrder: true);
        await (await customer.PostAsJsonAsync($"/api/portal/tickets/{ticket["id"]}/messages", new { body = "" })).ShouldBeProblem(400, "body");
        await (await customer.PostAsJsonAsync($"/api/portal/tickets/{ticket["id"]}/messages", new { body = "<style>x</style>" })).ShouldBeProblem(400, "body");
        await (await customer.PostAsJsonAsync($"/api/portal/tickets/{ticket["id"]}/messages", new { body = "hi", visibility = "internal" })).ShouldBeProblem(400, "visibility");
        await (await customer.GetAsync("/api/portal/tickets?limit=500")).ShouldBeProblem(400, "limit");
    }
}
