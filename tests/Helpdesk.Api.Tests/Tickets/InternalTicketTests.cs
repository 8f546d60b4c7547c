using System.Net;
using System.Net.Http.Json;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Tests.Infrastructure;

namespace Helpdesk.Api.Tests.Tickets;

/// <summary>
/// Internal tickets (Dolibarr's internal missions): the team's own work, of type <c>internal</c>,
/// which may have no requester, is never in the portal and never writes to anyone outside.
/// </summary>
public sealed class InternalTicketTests(HelpdeskApp app) : IClassFixture<HelpdeskApp>
{
    private readonly HttpClient _agent = app.ClientFor(Roles.Agent);

    [Fact]
    public async Task An_agent_opens_an_internal_ticket_without_a_requester()
    {
        var response = await _agent.PostAsJsonAsync("/api/tickets", new { subject = "Renew the TLS certificates", type = "internal", priority = "high" });

        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var ticket = await response.Json();
        ticket["type"]!.GetValue<string>().ShouldBe("internal");
        ticket["requester"].ShouldBeNull();
        ticket["portalVisibility"]!.GetValue<string>().ShouldBe("hidden");
        var id = ticket["id"]!.GetValue<string>();
        var read = await (await _agent.GetAsync($"/api/tickets/{id}")).Json();
        read["requester"].ShouldBeNull();
        (await (await _agent.GetAsync("/api/tickets?view=open&limit=200")).Json())["items"]!.AsArray()
            .Select(t => t!["id"]!.GetValue<string>()).ShouldContain(id);
        var context = await _agent.GetAsync($"/api/tickets/{id}/context");
        context.StatusCode.ShouldBe(HttpStatusCode.OK, await context.Content.ReadAsStringAsync());
        (await context.Json())["requester"].ShouldBeNull();
    }

    [Fact]
    public async Task Only_an_internal_ticket_goes_without_a_requester()
    {
        await (await _agent.PostAsJsonAsync("/api/tickets", new { subject = "No one asked", type = "incident" })).ShouldBeProblem(400, "requester");
        await (await _agent.PostAsJsonAsync("/api/tickets", new { subject = "No one asked" })).ShouldBeProblem(400, "requester");

        var ticket = await _agent.OpenTicketAsync(new { subject = "Team chore", type = "internal" });
        var url = $"/api/tickets/{ticket["id"]}";
        await (await _agent.PatchJsonAsync(url, new { type = "incident" }, "\"1\"")).ShouldBeProblem(400, "type");
        (await (await _agent.GetAsync(url)).Json())["type"]!.GetValue<string>().ShouldBe("internal");
    }

    [Fact]
    public async Task An_internal_ticket_takes_notes_but_no_public_reply_and_never_enters_the_portal()
    {
        var ticket = await _agent.OpenTicketAsync(new { subject = "Rack the new switch", type = "internal", requester = new { email = "facilities@internal.test" } });
        var id = ticket["id"]!.GetValue<string>();
        var customer = app.ClientFor(Roles.Customer, "facilities@internal.test", ticket["requester"]!["contactId"]!.GetValue<string>());

        (await _agent.PostAsJsonAsync($"/api/tickets/{id}/messages", new { visibility = "internal", body = "Switch arrives Tuesday" })).StatusCode.ShouldBe(HttpStatusCode.Created);
        await (await _agent.PostAsJsonAsync($"/api/tickets/{id}/messages", new { visibility = "public", body = "Hello customer" })).ShouldBeProblem(409);
        await (await _agent.PostAsJsonAsync($"/api/tickets/{id}/portal-visibility", new { visibility = "account" })).ShouldBeProblem(409);

        ticket["portalVisibility"]!.GetValue<string>().ShouldBe("hidden");
        (await (await customer.GetAsync("/api/portal/tickets")).Json())["items"]!.AsArray().Select(t => t!["id"]!.GetValue<string>()).ShouldNotContain(id);
        await (await customer.GetAsync($"/api/portal/tickets/{id}")).ShouldBeProblem(404);
        (await (await _agent.GetAsync($"/api/tickets/{id}/messages")).Json())["items"]!.AsArray().Count.ShouldBe(1);
    }

    [Fact]
    public async Task A_requester_given_later_lets_an_internal_ticket_become_a_customer_one()
    {
        var ticket = await _agent.OpenTicketAsync(new { subject = "Turned out to be a customer case", type = "internal" });
        var contact = await (await app.Admin.PostAsJsonAsync("/api/contacts", new { email = "later@internal.test" })).Json();
        var url = $"/api/tickets/{ticket["id"]}";

        var patched = await _agent.PatchJsonAsync(url, new { contactId = contact["id"]!.GetValue<string>(), type = "incident" }, "\"1\"");

        patched.StatusCode.ShouldBe(HttpStatusCode.OK, await patched.Content.ReadAsStringAsync());
        var body = await patched.Json();
        body["requester"]!["email"]!.GetValue<string>().ShouldBe("later@internal.test");
        body["portalVisibility"]!.GetValue<string>().ShouldBe("default");
    }
}
