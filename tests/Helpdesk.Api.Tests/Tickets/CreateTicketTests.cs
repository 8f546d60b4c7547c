using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Helpdesk.Api.Tests.Tickets;

public sealed class CreateTicketTests(HelpdeskApp app) : IClassFixture<HelpdeskApp>
{
    [Fact]
    public async Task Creating_a_ticket_answers_201_with_location_etag_and_the_ticket()
    {
        var agent = app.ClientFor(Roles.Agent);

        var response = await agent.PostAsJsonAsync("/api/tickets", new
        {
            subject = "VPN drops",
            description = "Every ten minutes",
            requester = new { email = "paul@create.test", name = "Paul" },
            priority = "high",
            type = "incident",
            tags = new[] { "vpn" },
            dueAt = "2026-03-05T17:00:00Z",
        });

        response.StatusCode.ShouldBe(HttpStatusCode.Created);
        var ticket = await response.Json();
        response.Headers.Location!.ToString().ShouldBe($"/api/tickets/{ticket["id"]}");
        response.Headers.ETag!.Tag.ShouldBe("\"1\"");
        ticket["number"]!.GetValue<string>().ShouldMatch(@"^HD-2026-\d{5}$");
        ticket["status"]!.GetValue<string>().ShouldBe("open");
        ticket["priority"]!.GetValue<string>().ShouldBe("high");
        ticket["dueAt"]!.GetValue<string>().ShouldBe("2026-03-05T17:00:00Z");
        ticket["createdAt"]!.GetValue<string>().ShouldBe("2026-03-02T09:00:00Z");
        ticket["requester"]!["email"]!.GetValue<string>().ShouldBe("paul@create.test");

        var read = await agent.GetAsync(response.Headers.Location);
        read.StatusCode.ShouldBe(HttpStatusCode.OK);
        read.Headers.ETag!.Tag.ShouldBe("\"1\"");
        (await read.Json())["subject"]!.GetValue<string>().ShouldBe("VPN drops");
    }

    [Fact]
    public async Task The_requester_is_found_by_email_whatever_its_case_and_linked_to_the_account_of_its_domain()
    {
        var accountId = await app.AccountAsync("Globex", "globex.test");
        var agent = app.ClientFor(Roles.Agent);

        var first = await agent.OpenTicketAsync(new { subject = "One", requester = new { email = "Homer@Globex.test" } });
        var second = await agent.OpenTicketAsync(new { subject = "Two", requester = new { email = "homer@globex.TEST" } });

        first["requester"]!["contactId"]!.GetValue<string>().ShouldBe(second["requester"]!["contactId"]!.GetValue<string>());
        first["accountId"]!.GetValue<string>().ShouldBe(accountId);
        var contacts = await (await agent.GetAsync("/api/contacts?q=homer")).Json();
        contacts["items"]!.AsArray().Count.ShouldBe(1);
    }

    [Fact]
    public async Task A_ticket_can_name_an_existing_contact_instead_of_an_email()
    {
        var agent = app.ClientFor(Roles.Agent);
        var contact = await (await app.Admin.PostAsJsonAsync("/api/contacts", new { email = "marge@byid.test", name = "Marge" })).Json();

        var ticket = await agent.OpenTicketAsync(new { subject = "By id", contactId = contact["id"]!.GetValue<string>() });

        ticket["requester"]!["email"]!.GetValue<string>().ShouldBe("marge@byid.test");
    }

    [Fact]
    public async Task Every_invalid_field_is_reported_at_once()
    {
        var response = await app.ClientFor(Roles.Agent).PostAsJsonAsync("/api/tickets", new
        {
            subject = "",
            requester = new { email = "not-an-email" },
            priority = "extreme",
            type = "gossip",
            tags = Enumerable.Range(0, 21).Select(i => $"t{i}").ToArray(),
        });

        await response.ShouldBeProblem(400);
        var errors = (await response.Json())["errors"]!.AsObject().Select(e => e.Key).ToArray();
        errors.ShouldBe(["subject", "requester.email", "priority", "type", "tags"], ignoreOrder: true);
    }

    [Fact]
    public async Task A_requester_is_required()
    {
        var response = await app.ClientFor(Roles.Agent).PostAsJsonAsync("/api/tickets", new { subject = "Nobody" });

        await response.ShouldBeProblem(400, "requester");
    }

    [Fact]
    public async Task Unknown_properties_are_refused_naming_the_property()
    {
        var response = await app.ClientFor(Roles.Agent).PostAsJsonAsync("/api/tickets", new { subject = "x", requester = new { email = "a@b.test" }, colour = "red" });

        await response.ShouldBeProblem(400, "colour");
    }

    [Fact]
    public async Task A_value_of_the_wrong_type_is_refused_naming_the_field()
    {
        var response = await app.ClientFor(Roles.Agent).PostAsync("/api/tickets", new StringContent("""{"subject":"x","requester":{"email":"a@b.test"},"tags":"vip"}""", Encoding.UTF8, "application/json"));

        await response.ShouldBeProblem(400, "tags");
    }

    [Fact]
    public async Task A_due_date_without_a_time_zone_is_refused()
    {
        var response = await app.ClientFor(Roles.Agent).PostAsync("/api/tickets", new StringContent("""{"subject":"x","requester":{"email":"a@b.test"},"dueAt":"2026-03-05T17:00:00"}""", Encoding.UTF8, "application/json"));

        await response.ShouldBeProblem(400, "dueAt");
    }

    [Fact]
    public async Task Malformed_json_is_a_400_problem()
    {
        var response = await app.ClientFor(Roles.Agent).PostAsync("/api/tickets", new StringContent("""{"subject": """, Encoding.UTF8, "application/json"));

        await response.ShouldBeProblem(400);
    }

    [Fact]
    public async Task Unknown_agents_teams_accounts_and_contacts_are_refused()
    {
        var agent = app.ClientFor(Roles.Agent);

        var response = await agent.PostAsJsonAsync("/api/tickets", new { subject = "x", requester = new { email = "a@b.test" }, assigneeId = "agt_nobody", teamId = "team_nobody", accountId = "acc_nobody" });
        var byContact = await agent.PostAsJsonAsync("/api/tickets", new { subject = "x", contactId = "con_nobody" });

        await response.ShouldBeProblem(400);
        (await response.Json())["errors"]!.AsObject().Select(e => e.Key).ShouldBe(["accountId", "assigneeId", "teamId"], ignoreOrder: true);
        await byContact.ShouldBeProblem(400, "contactId");
    }

    [Fact]
    public async Task An_inactive_agent_cannot_be_assigned()
    {
        var (agentId, _) = await app.AgentAsync("gone@create.test");
        var read = await app.Admin.GetAsync($"/api/agents/{agentId}");
        var delete = new HttpRequestMessage(HttpMethod.Delete, $"/api/agents/{agentId}");
        delete.Headers.TryAddWithoutValidation("If-Match", read.Headers.ETag!.Tag);
        (await app.Admin.SendAsync(delete)).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        var response = await app.ClientFor(Roles.Agent).PostAsJsonAsync("/api/tickets", new { subject = "x", requester = new { email = "a@b.test" }, assigneeId = agentId });

        await response.ShouldBeProblem(400, "assigneeId");
    }

    [Fact]
    public async Task Without_a_token_the_answer_is_401()
    {
        var response = await app.CreateClient().PostAsJsonAsync("/api/tickets", new { subject = "x", requester = new { email = "a@b.test" } });

        await response.ShouldBeProblem(401);
    }

    [Fact]
    public async Task A_token_signed_with_another_key_is_401()
    {
        var client = app.CreateClient();
        var otherKey = Convert.ToBase64String(Encoding.UTF8.GetBytes("another-key-another-key-another-key-42"));
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", HelpdeskApp.Token(Roles.Admin, "mallory@evil.test", key: otherKey));

        var response = await client.GetAsync("/api/tickets");

        await response.ShouldBeProblem(401);
    }

    [Fact]
    public async Task Customers_get_403_on_agent_routes()
    {
        var customer = app.ClientFor(Roles.Customer, "alice@contoso.com", "con_alice");

        await (await customer.PostAsJsonAsync("/api/tickets", new { subject = "x", requester = new { email = "a@b.test" } })).ShouldBeProblem(403);
        await (await customer.GetAsync("/api/tickets")).ShouldBeProblem(403);
        await (await customer.GetAsync("/api/accounts")).ShouldBeProblem(403);
    }

    [Fact]
    public async Task A_body_over_the_limit_is_refused_with_413()
    {
        var huge = new string('x', 1_100_000);

        var response = await app.ClientFor(Roles.Agent).PostAsJsonAsync("/api/tickets", new { subject = "x", description = huge, requester = new { email = "a@b.test" } });

        await response.ShouldBeProblem(413);
    }

    [Fact]
    public async Task A_streamed_body_over_the_limit_is_refused_with_413()
    {
        var content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes("{\"subject\":\"" + new string('x', 1_100_000) + "\"}")));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        content.Headers.ContentLength = null;
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/tickets") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        var response = await app.ClientFor(Roles.Agent).SendAsync(request);

        await response.ShouldBeProblem(413);
    }

    [Fact]
    public async Task Retrying_with_the_same_idempotency_key_returns_the_first_response_and_creates_one_ticket()
    {
        var agent = app.ClientFor(Roles.Agent);
        var key = Guid.NewGuid().ToString();
        var body = new { subject = "Idempotent", requester = new { email = "idem@create.test" } };

        var first = await Send(agent, key, body);
        var second = await Send(agent, key, body);

        first.StatusCode.ShouldBe(HttpStatusCode.Created);
        second.StatusCode.ShouldBe(HttpStatusCode.Created);
        second.Headers.Location.ShouldBe(first.Headers.Location);
        second.Headers.ETag.ShouldBe(first.Headers.ETag);
        second.Headers.GetValues("Idempotent-Replayed").ShouldBe(["true"]);
        (await second.Content.ReadAsStringAsync()).ShouldBe(await first.Content.ReadAsStringAsync());
        var list = await (await agent.GetAsync("/api/tickets?view=all&q=Idempotent")).Json();
        list["items"]!.AsArray().Count.ShouldBe(1);
    }

    [Fact]
    public async Task Reusing_an_idempotency_key_with_another_body_is_422()
    {
        var agent = app.ClientFor(Roles.Agent);
        var key = Guid.NewGuid().ToString();

        (await Send(agent, key, new { subject = "First", requester = new { email = "k@create.test" } })).StatusCode.ShouldBe(HttpStatusCode.Created);
        var reused = await Send(agent, key, new { subject = "Second", requester = new { email = "k@create.test" } });

        await reused.ShouldBeProblem(422);
    }

    [Fact]
    public async Task A_failed_request_frees_its_idempotency_key()
    {
        var agent = app.ClientFor(Roles.Agent);
        var key = Guid.NewGuid().ToString();

        await (await Send(agent, key, new { subject = "" })).ShouldBeProblem(400);
        (await Send(agent, key, new { subject = "Fixed", requester = new { email = "k2@create.test" } })).StatusCode.ShouldBe(HttpStatusCode.Created);
    }

    [Fact]
    public async Task Concurrent_creations_get_unique_consecutive_numbers()
    {
        var agent = app.ClientFor(Roles.Agent);

        var tickets = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => agent.OpenTicketAsync(new { subject = $"Burst {i}", requester = new { email = "burst@create.test" } })));

        var numbers = tickets.Select(t => t["number"]!.GetValue<string>()).ToArray();
        numbers.Distinct().Count().ShouldBe(20);
    }

    [Fact]
    public async Task A_number_already_taken_by_an_import_is_skipped_not_reused()
    {
        using var fresh = new HelpdeskApp();
        var agent = fresh.ClientFor(Roles.Agent);
        var imported = Helpdesk.Domain.Tickets.Ticket.Create(
            new Helpdesk.Domain.Tickets.NewTicket("t_imported", "HD-2026-00001", "Imported", null, new Helpdesk.Domain.Tickets.Requester("con_x", "x@import.test", null),
                null, Helpdesk.Domain.Tickets.Priority.Normal, null, null, null, null, null, null, null, null, [], true),
            Helpdesk.Domain.Common.Actor.System("import"),
            Helpdesk.Domain.Tickets.TicketSettings.Default,
            fresh.Clock.GetUtcNow());
        await Helpdesk.Api.Tickets.TicketStoreWrites.SaveAsync(fresh.Services.GetRequiredService<Helpdesk.Api.Tickets.ITicketStore>(), imported, CancellationToken.None);

        var ticket = await agent.OpenTicketAsync();

        ticket["number"]!.GetValue<string>().ShouldBe("HD-2026-00002");
    }

    private static Task<HttpResponseMessage> Send(HttpClient client, string key, object body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/tickets") { Content = JsonContent.Create(body) };
        request.Headers.Add("Idempotency-Key", key);
        return client.SendAsync(request);
    }
}
