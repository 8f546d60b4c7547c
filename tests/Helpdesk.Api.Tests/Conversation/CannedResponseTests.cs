using System.Net;
using System.Net.Http.Json;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Tests.Infrastructure;

namespace Helpdesk.Api.Tests.Conversation;

public sealed class CannedResponseTests(HelpdeskApp app) : IClassFixture<HelpdeskApp>
{
    [Fact]
    public async Task A_supervisor_writes_a_template_and_an_agent_renders_it_for_a_ticket()
    {
        var (_, supervisor) = await app.AgentAsync("sue@canned.test", Roles.Supervisor);
        var (_, agent) = await app.AgentAsync("ada.canned@canned.test");
        await app.AccountAsync("Contoso <Ltd>", "contoso-canned.test");
        var ticket = await agent.OpenTicketAsync(new { subject = "Printer", requester = new { email = "alice@contoso-canned.test", name = "Alice <b>A</b>" } });

        var created = await supervisor.PostAsJsonAsync("/api/canned-responses", new
        {
            name = "Greeting",
            body = "<p onclick=\"x()\">Hello {{requester.name}},</p><p>About {{ ticket.number }} ({{account.name}}).</p><p>{{agent.name}}</p>",
        });
        created.StatusCode.ShouldBe(HttpStatusCode.Created);
        var id = (await created.Json())["id"]!.GetValue<string>();

        var rendered = await agent.PostAsJsonAsync($"/api/canned-responses/{id}/render", new { ticketId = ticket["id"] });

        rendered.StatusCode.ShouldBe(HttpStatusCode.OK);
        var body = await rendered.Json();
        body["body"]!.GetValue<string>().ShouldBe($"<p>Hello Alice &lt;b&gt;A&lt;/b&gt;,</p><p>About {ticket["number"]} (Contoso &lt;Ltd&gt;).</p><p>ada.canned</p>");
        body["text"]!.GetValue<string>().ShouldBe($"Hello Alice <b>A</b>,\n\nAbout {ticket["number"]} (Contoso <Ltd>).\n\nada.canned");
        (await (await agent.GetAsync("/api/canned-responses")).Json())["items"]!.AsArray().Select(c => c!["name"]!.GetValue<string>()).ShouldContain("Greeting");
    }

    [Fact]
    public async Task Unknown_placeholders_and_missing_fields_are_400()
    {
        var (_, supervisor) = await app.AgentAsync("sue.bad@canned.test", Roles.Supervisor);

        var response = await supervisor.PostAsJsonAsync("/api/canned-responses", new { name = "", body = "Hi {{customer.shoeSize}}" });

        await response.ShouldBeProblem(400, "body");
        (await response.Json())["errors"]!.AsObject().Select(e => e.Key).ShouldBe(["name", "body"], ignoreOrder: true);
    }

    [Fact]
    public async Task Agents_read_canned_responses_but_cannot_change_them_and_customers_see_none()
    {
        var (_, supervisor) = await app.AgentAsync("sue.roles@canned.test", Roles.Supervisor);
        var agent = app.ClientFor(Roles.Agent, "agent.roles@canned.test");
        var customer = app.ClientFor(Roles.Customer, "c@canned.test", "con_x");
        var created = await (await supervisor.PostAsJsonAsync("/api/canned-responses", new { name = "Bye", body = "Bye" })).Json();

        (await agent.PostAsJsonAsync("/api/canned-responses", new { name = "Mine", body = "x" })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await agent.GetAsync($"/api/canned-responses/{created["id"]}")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await customer.GetAsync("/api/canned-responses")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await customer.PostAsJsonAsync($"/api/canned-responses/{created["id"]}/render", new { ticketId = "t_x" })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Rendering_a_missing_template_is_404_and_for_a_missing_ticket_400()
    {
        var (_, supervisor) = await app.AgentAsync("sue.missing@canned.test", Roles.Supervisor);
        var created = await (await supervisor.PostAsJsonAsync("/api/canned-responses", new { name = "Hi", body = "Hi" })).Json();

        await (await supervisor.PostAsJsonAsync("/api/canned-responses/can_missing/render", new { ticketId = "t_x" })).ShouldBeProblem(404);
        await (await supervisor.PostAsJsonAsync($"/api/canned-responses/{created["id"]}/render", new { ticketId = "t_missing" })).ShouldBeProblem(400, "ticketId");
        await (await supervisor.PostAsJsonAsync($"/api/canned-responses/{created["id"]}/render", new { })).ShouldBeProblem(400, "ticketId");
    }

    [Fact]
    public async Task Updating_a_template_needs_the_version_read()
    {
        var (_, supervisor) = await app.AgentAsync("sue.put@canned.test", Roles.Supervisor);
        var created = await supervisor.PostAsJsonAsync("/api/canned-responses", new { name = "V1", body = "one" });
        var id = (await created.Json())["id"]!.GetValue<string>();

        (await supervisor.PutAsJsonAsync($"/api/canned-responses/{id}", new { name = "V2", body = "two" })).StatusCode.ShouldBe((HttpStatusCode)428);
        var put = new HttpRequestMessage(HttpMethod.Put, $"/api/canned-responses/{id}") { Content = JsonContent.Create(new { name = "V2", body = "two" }) };
        put.Headers.TryAddWithoutValidation("If-Match", created.Headers.ETag!.Tag);
        (await supervisor.SendAsync(put)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await (await supervisor.GetAsync($"/api/canned-responses/{id}")).Json())["body"]!.GetValue<string>().ShouldBe("two");
    }
}
