using System.Net;
using System.Net.Http.Json;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Tests.Infrastructure;

namespace Helpdesk.Api.Tests.CustomerContext;

public sealed class CustomerContextTests(HelpdeskApp app) : IClassFixture<HelpdeskApp>
{
    [Fact]
    public async Task The_context_shows_the_account_its_counts_the_policy_in_force_and_the_requesters_previous_tickets()
    {
        var accountId = await app.AccountAsync("Northwind", "northwind-ctx.test");
        var agent = app.ClientFor(Roles.Agent, "agent@ctx.test");
        var first = await agent.OpenTicketAsync(new { subject = "First", requester = new { email = "nina@northwind-ctx.test", name = "Nina" } });
        (await agent.PostAsJsonAsync($"/api/tickets/{first["id"]}/close", new { })).EnsureSuccessStatusCode();
        await agent.OpenTicketAsync(new { subject = "Colleague", requester = new { email = "omar@northwind-ctx.test" } });
        var second = await agent.OpenTicketAsync(new { subject = "Second", requester = new { email = "nina@northwind-ctx.test" } });
        var current = await agent.OpenTicketAsync(new { subject = "Current", requester = new { email = "nina@northwind-ctx.test" } });

        var response = await agent.GetAsync($"/api/tickets/{current["id"]}/context?limit=1");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var context = await response.Json();
        context["account"]!["id"]!.GetValue<string>().ShouldBe(accountId);
        context["account"]!["name"]!.GetValue<string>().ShouldBe("Northwind");
        context["account"]!["openTickets"]!.GetValue<int>().ShouldBe(3);
        context["account"]!["totalTickets"]!.GetValue<int>().ShouldBe(4);
        context["account"]!["contacts"]!.AsArray().Select(c => c!["email"]!.GetValue<string>()).ShouldBe(["nina@northwind-ctx.test", "omar@northwind-ctx.test"]);
        context["slaPolicy"]!["id"]!.GetValue<string>().ShouldNotBeNullOrEmpty();
        context["requester"]!["email"]!.GetValue<string>().ShouldBe("nina@northwind-ctx.test");
        context["extensions"]!.AsObject().ShouldBeEmpty();
        context["extensionsStatus"]!.GetValue<string>().ShouldBe("notAsked");

        var previous = context["previousTickets"]!;
        var cursor = previous["nextCursor"]!.GetValue<string>();
        var next = await (await agent.GetAsync($"/api/tickets/{current["id"]}/context?limit=2&cursor={cursor}")).Json();
        previous["items"]!.AsArray().Concat(next["previousTickets"]!["items"]!.AsArray())
            .Select(t => t!["subject"]!.GetValue<string>()).ShouldBe(["Second", "First"]);
    }

    [Fact]
    public async Task A_page_of_previous_tickets_is_full_although_the_current_ticket_is_the_newest()
    {
        var agent = app.ClientFor(Roles.Agent, "agent@ctx.test");
        foreach (var subject in new[] { "Old", "Older than current" })
        {
            await agent.OpenTicketAsync(new { subject, requester = new { email = "paula@full-page.test" } });
        }

        var current = await agent.OpenTicketAsync(new { subject = "Now", requester = new { email = "paula@full-page.test" } });

        var previous = (await (await agent.GetAsync($"/api/tickets/{current["id"]}/context?limit=2")).Json())["previousTickets"]!;

        previous["items"]!.AsArray().Select(t => t!["subject"]!.GetValue<string>()).ShouldBe(["Older than current", "Old"]);
        previous["nextCursor"].ShouldBeNull();
    }

    [Fact]
    public async Task The_contacts_of_an_account_are_read_through_an_index_not_a_scan_of_every_contact()
    {
        (await app.Admin.GetAsync("/api/health")).StatusCode.ShouldBe(HttpStatusCode.OK);
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(app.DataFolder, "helpdesk.db")};Pooling=False");
        connection.Open();
        using var explain = connection.CreateCommand();
        explain.CommandText = "EXPLAIN QUERY PLAN SELECT doc FROM directory WHERE kind = 'contact' AND json_extract(doc, '$.accountId') = 'acc_1' ORDER BY seq LIMIT 20";
        using var reader = explain.ExecuteReader();
        var plan = new List<string>();
        while (reader.Read())
        {
            plan.Add(reader.GetString(3));
        }

        plan.ShouldContain(step => step.Contains("USING INDEX ix_directory_contact_account", StringComparison.Ordinal), string.Join(" | ", plan));
        plan.ShouldNotContain(step => step.Contains("TEMP B-TREE", StringComparison.Ordinal), string.Join(" | ", plan));
    }

    [Fact]
    public async Task The_context_is_for_staff_and_of_existing_tickets()
    {
        var agent = app.ClientFor(Roles.Agent, "agent@ctx.test");
        var ticket = await agent.OpenTicketAsync();

        await (await agent.GetAsync("/api/tickets/t_missing/context")).ShouldBeProblem(404);
        await (await agent.GetAsync($"/api/tickets/{ticket["id"]}/context?limit=0")).ShouldBeProblem(400, "limit");
        (await app.ClientFor(Roles.Customer, "alice@contoso.com", ticket["requester"]!["contactId"]!.GetValue<string>()).GetAsync($"/api/tickets/{ticket["id"]}/context"))
            .StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await app.CreateClient().GetAsync($"/api/tickets/{ticket["id"]}/context")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }
}
