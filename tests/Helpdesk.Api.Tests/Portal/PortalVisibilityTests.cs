using System.Net;
using System.Net.Http.Json;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Tests.Infrastructure;

namespace Helpdesk.Api.Tests.Portal;

/// <summary>
/// Who sees a ticket in the portal, per ticket: its requester (the default), every contact of its
/// account when an agent shares it, nobody when an agent hides it; each change in the history.
/// </summary>
public sealed class PortalVisibilityTests(HelpdeskApp app) : IClassFixture<HelpdeskApp>
{
    private readonly HttpClient _agent = app.ClientFor(Roles.Agent, "agent@visibility.test");

    /// <summary>An account with two contacts, a ticket asked by the first; portal clients for both.</summary>
    private async Task<(string TicketId, HttpClient Requester, HttpClient Colleague)> SharedAccountAsync(string domain)
    {
        var account = await app.AccountAsync($"Account {domain}", domain);
        var ticket = await _agent.OpenTicketAsync(new { subject = $"Printer at {domain}", requester = new { email = $"asker@{domain}", name = "Asker" }, accountId = account });
        var colleague = await app.Admin.PostAsJsonAsync("/api/contacts", new { email = $"colleague@{domain}", name = "Colleague", accountId = account });
        colleague.StatusCode.ShouldBe(HttpStatusCode.Created, await colleague.Content.ReadAsStringAsync());
        return (
            ticket["id"]!.GetValue<string>(),
            app.ClientFor(Roles.Customer, $"asker@{domain}", ticket["requester"]!["contactId"]!.GetValue<string>()),
            app.ClientFor(Roles.Customer, $"colleague@{domain}", (await colleague.Json())["id"]!.GetValue<string>()));
    }

    private static async Task<IReadOnlyList<string>> PortalListAsync(HttpClient customer) =>
        (await (await customer.GetAsync("/api/portal/tickets")).Json())["items"]!.AsArray().Select(t => t!["id"]!.GetValue<string>()).ToList();

    private Task<HttpResponseMessage> SetAsync(string id, string visibility) =>
        _agent.PostAsJsonAsync($"/api/tickets/{id}/portal-visibility", new { visibility });

    [Fact]
    public async Task By_default_only_the_requester_sees_the_ticket()
    {
        var (id, requester, colleague) = await SharedAccountAsync("default.visibility.test");

        (await PortalListAsync(requester)).ShouldContain(id);
        (await PortalListAsync(colleague)).ShouldNotContain(id);
        (await colleague.GetAsync($"/api/portal/tickets/{id}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await (await _agent.GetAsync($"/api/tickets/{id}")).Json())["portalVisibility"]!.GetValue<string>().ShouldBe("default");
    }

    [Fact]
    public async Task A_ticket_shared_with_the_account_is_seen_and_answered_by_its_other_contacts()
    {
        var (id, requester, colleague) = await SharedAccountAsync("shared.visibility.test");

        var shared = await SetAsync(id, "account");

        shared.StatusCode.ShouldBe(HttpStatusCode.OK, await shared.Content.ReadAsStringAsync());
        (await shared.Json())["portalVisibility"]!.GetValue<string>().ShouldBe("account");
        (await PortalListAsync(colleague)).ShouldContain(id);
        (await PortalListAsync(requester)).ShouldContain(id);
        (await colleague.GetAsync($"/api/portal/tickets/{id}")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await colleague.PostAsJsonAsync($"/api/portal/tickets/{id}/messages", new { body = "Same problem on my floor" })).StatusCode.ShouldBe(HttpStatusCode.Created);
        var history = (await (await _agent.GetAsync($"/api/tickets/{id}/history")).Json())["items"]!.AsArray();
        var entry = history.Single(h => h!["action"]!.GetValue<string>() == "portalVisibilityChanged")!;
        entry["changes"]![0]!["field"]!.GetValue<string>().ShouldBe("portalVisibility");
        entry["changes"]![0]!["from"]!.GetValue<string>().ShouldBe("default");
        entry["changes"]![0]!["to"]!.GetValue<string>().ShouldBe("account");
        entry["actor"]!["type"]!.GetValue<string>().ShouldBe("agent");
    }

    [Fact]
    public async Task A_hidden_ticket_is_missing_for_every_customer_even_its_requester()
    {
        var (id, requester, _) = await SharedAccountAsync("hidden.visibility.test");
        (await SetAsync(id, "account")).EnsureSuccessStatusCode();

        (await SetAsync(id, "hidden")).EnsureSuccessStatusCode();

        (await PortalListAsync(requester)).ShouldNotContain(id);
        await (await requester.GetAsync($"/api/portal/tickets/{id}")).ShouldBeProblem(404);
        await (await requester.GetAsync($"/api/portal/tickets/{id}/messages")).ShouldBeProblem(404);
        await (await requester.PostAsJsonAsync($"/api/portal/tickets/{id}/messages", new { body = "Hello?" })).ShouldBeProblem(404);

        (await SetAsync(id, "requester")).EnsureSuccessStatusCode();
        (await PortalListAsync(requester)).ShouldContain(id);
    }

    [Fact]
    public async Task A_closed_ticket_can_still_be_shared_and_setting_the_same_visibility_records_nothing()
    {
        var (id, _, colleague) = await SharedAccountAsync("closed.visibility.test");
        (await _agent.PostAsync($"/api/tickets/{id}/close", null)).EnsureSuccessStatusCode();

        (await SetAsync(id, "account")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await SetAsync(id, "account")).StatusCode.ShouldBe(HttpStatusCode.OK);

        (await PortalListAsync(colleague)).ShouldContain(id);
        var history = (await (await _agent.GetAsync($"/api/tickets/{id}/history")).Json())["items"]!.AsArray();
        history.Count(h => h!["action"]!.GetValue<string>() == "portalVisibilityChanged").ShouldBe(1);
    }

    [Fact]
    public async Task Visibility_is_set_by_staff_only_to_a_known_value_with_a_fresh_if_match()
    {
        var (id, requester, _) = await SharedAccountAsync("rules.visibility.test");

        await (await SetAsync(id, "everyone")).ShouldBeProblem(400, "visibility");
        await (await _agent.PostAsJsonAsync($"/api/tickets/{id}/portal-visibility", new { })).ShouldBeProblem(400, "visibility");
        await (await SetAsync("t_missing", "account")).ShouldBeProblem(404);
        (await requester.PostAsJsonAsync($"/api/tickets/{id}/portal-visibility", new { visibility = "account" })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        var stale = new HttpRequestMessage(HttpMethod.Post, $"/api/tickets/{id}/portal-visibility") { Content = JsonContent.Create(new { visibility = "account" }) };
        stale.Headers.TryAddWithoutValidation("If-Match", "\"9\"");
        await (await _agent.SendAsync(stale)).ShouldBeProblem(412);
        (await (await _agent.GetAsync($"/api/tickets/{id}")).Json())["portalVisibility"]!.GetValue<string>().ShouldBe("default");
    }

    [Fact]
    public async Task An_account_wide_portal_shows_default_tickets_to_the_account_but_not_those_kept_to_the_requester()
    {
        await using var wide = new HelpdeskApp().With("Portal:AccountWideTickets", "true");
        var agent = wide.ClientFor(Roles.Agent);
        var account = await wide.AccountAsync("Wide", "wide.visibility.test");
        var open = await agent.OpenTicketAsync(new { subject = "Shared by default", requester = new { email = "a@wide.visibility.test" }, accountId = account });
        var kept = await agent.OpenTicketAsync(new { subject = "Personal", requester = new { email = "a@wide.visibility.test" }, accountId = account });
        (await agent.PostAsJsonAsync($"/api/tickets/{kept["id"]}/portal-visibility", new { visibility = "requester" })).EnsureSuccessStatusCode();
        var colleague = await (await wide.Admin.PostAsJsonAsync("/api/contacts", new { email = "b@wide.visibility.test", accountId = account })).Json();
        var client = wide.ClientFor(Roles.Customer, "b@wide.visibility.test", colleague["id"]!.GetValue<string>());

        var seen = await PortalListAsync(client);

        seen.ShouldContain(open["id"]!.GetValue<string>());
        seen.ShouldNotContain(kept["id"]!.GetValue<string>());
    }
}
