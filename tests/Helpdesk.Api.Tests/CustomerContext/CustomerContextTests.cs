using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Helpdesk.Api.Auth;
using Helpdesk.Api.CustomerContext;
using Helpdesk.Api.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

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

        var previous = context["previousTickets"]!;
        var cursor = previous["nextCursor"]!.GetValue<string>();
        var next = await (await agent.GetAsync($"/api/tickets/{current["id"]}/context?limit=2&cursor={cursor}")).Json();
        previous["items"]!.AsArray().Concat(next["previousTickets"]!["items"]!.AsArray())
            .Select(t => t!["subject"]!.GetValue<string>()).ShouldBe(["Second", "First"]);
    }

    [Fact]
    public async Task A_configured_provider_adds_data_from_other_systems()
    {
        using var withProvider = app.WithWebHostBuilder(b => b.ConfigureServices(s => s.AddSingleton<ICustomerContextProvider, BillingProvider>()));
        var agent = withProvider.CreateClient();
        agent.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", HelpdeskApp.Token(Roles.Agent, "agent@ctx.test"));
        var ticket = await agent.OpenTicketAsync(new { subject = "Billing", requester = new { email = "pay@ctx.test" } });

        var context = await (await agent.GetAsync($"/api/tickets/{ticket["id"]}/context")).Json();

        context["extensions"]!["recentInvoices"]!.AsArray().Select(i => i!.GetValue<string>()).ShouldBe(["INV-1 for pay@ctx.test"]);
        context["account"].ShouldBeNull();
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

    private sealed class BillingProvider : ICustomerContextProvider
    {
        public Task<IReadOnlyDictionary<string, object?>> GetAsync(CustomerContextQuery query, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyDictionary<string, object?>>(new Dictionary<string, object?> { ["recentInvoices"] = new[] { $"INV-1 for {query.Email}" } });
    }
}
