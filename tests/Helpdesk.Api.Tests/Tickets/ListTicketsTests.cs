using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Tests.Infrastructure;

namespace Helpdesk.Api.Tests.Tickets;

/// <summary>Each test runs on its own helpdesk, so counts are exact.</summary>
public sealed class ListTicketsTests : IDisposable
{
    private readonly HelpdeskApp _app = new();

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task Every_view_lists_what_its_name_says()
    {
        var teamA = await _app.TeamAsync("A");
        var teamB = await _app.TeamAsync("B");
        var (adaId, ada) = await _app.AgentAsync("ada@views.test", Roles.Agent, teamA);
        var (bobId, _) = await _app.AgentAsync("bob@views.test", Roles.Agent, teamB);

        var mineOpen = await Open(ada, "mine open", assigneeId: adaId, teamId: teamA);
        var bobs = await Open(ada, "bob's", assigneeId: bobId, teamId: teamB);
        var unassignedA = await Open(ada, "unassigned in A", teamId: teamA);
        var late = await Open(ada, "late", dueAt: "2026-03-02T10:00:00Z");
        var notYetDue = await Open(ada, "not yet due", dueAt: "2026-03-09T10:00:00Z");
        var mineResolved = await Open(ada, "mine resolved", assigneeId: adaId);
        (await ada.PostAsync($"/api/tickets/{mineResolved}/resolve", null)).EnsureSuccessStatusCode();
        var closedLate = await Open(ada, "closed late", dueAt: "2026-03-02T10:00:00Z");
        (await ada.PostAsync($"/api/tickets/{closedLate}/close", null)).EnsureSuccessStatusCode();
        _app.Clock.Advance(TimeSpan.FromHours(2));

        (await Ids(ada, "view=open")).ShouldBe([notYetDue, late, unassignedA, bobs, mineOpen]);
        (await Ids(ada, "")).ShouldBe([notYetDue, late, unassignedA, bobs, mineOpen]);
        (await Ids(ada, "view=mine")).ShouldBe([mineOpen]);
        (await Ids(ada, "view=team")).ShouldBe([unassignedA, mineOpen]);
        (await Ids(ada, "view=unassigned")).ShouldBe([notYetDue, late, unassignedA]);
        (await Ids(ada, "view=late")).ShouldBe([late]);
        (await Ids(ada, "view=all")).ShouldBe([closedLate, mineResolved, notYetDue, late, unassignedA, bobs, mineOpen]);
    }

    [Fact]
    public async Task Filters_combine_with_views()
    {
        var (adaId, ada) = await _app.AgentAsync("ada@filters.test");
        var accountId = await _app.AccountAsync("Initech", "initech.test");
        var urgent = await Open(ada, "Server room flooded", priority: "urgent", email: "peter@initech.test");
        var low = await Open(ada, "Stapler missing", priority: "low", assigneeId: adaId, email: "milton@initech.test");
        var other = await Open(ada, "Unrelated request", priority: "urgent");
        (await ada.PostAsync($"/api/tickets/{other}/start", null)).EnsureSuccessStatusCode();

        (await Ids(ada, "priority=urgent")).ShouldBe([other, urgent]);
        (await Ids(ada, $"accountId={accountId}")).ShouldBe([low, urgent]);
        (await Ids(ada, $"assigneeId={adaId}")).ShouldBe([low]);
        (await Ids(ada, "status=inProgress")).ShouldBe([other]);
        (await Ids(ada, "q=flooded")).ShouldBe([urgent]);
        (await Ids(ada, "q=STAPLER")).ShouldBe([low]);
        (await Ids(ada, "q=HD-2026-00002")).ShouldBe([low]);
        (await Ids(ada, "q=zz")).ShouldBeEmpty();
    }

    [Theory]
    [InlineData("view=everything", "view")]
    [InlineData("status=done", "status")]
    [InlineData("priority=p1", "priority")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=201", "limit")]
    [InlineData("cursor=not-a-cursor", "cursor")]
    public async Task Bad_list_parameters_are_400_naming_the_parameter(string query, string field)
    {
        var agent = _app.ClientFor(Roles.Agent);

        await (await agent.GetAsync($"/api/tickets?{query}")).ShouldBeProblem(400, field);
    }

    [Fact]
    public async Task Paging_loses_and_repeats_nothing_while_tickets_are_being_created()
    {
        var agent = _app.ClientFor(Roles.Agent);
        var before = new List<string>();
        for (var i = 0; i < 25; i++)
        {
            before.Add(await Open(agent, $"Existing {i}"));
        }

        var seen = new List<string>();
        var createdDuring = new ConcurrentBag<string>();
        string? cursor = null;
        do
        {
            createdDuring.Add(await Open(agent, "Created while paging"));
            var page = await (await agent.GetAsync($"/api/tickets?limit=7{(cursor is null ? "" : $"&cursor={cursor}")}")).Json();
            seen.AddRange(page["items"]!.AsArray().Select(t => t!["id"]!.GetValue<string>()));
            cursor = page["nextCursor"]?.GetValue<string>();
        }
        while (cursor is not null);

        seen.Count.ShouldBe(seen.Distinct().Count(), "no ticket is repeated");
        before.ShouldBeSubsetOf(seen, "no ticket that existed before paging is lost");
    }

    [Fact]
    public async Task The_late_view_lists_the_most_overdue_first_and_pages_through_every_late_ticket()
    {
        var agent = _app.ClientFor(Roles.Agent);
        var dueAtTen = await Open(agent, "due at ten", dueAt: "2026-03-02T10:00:00Z");
        var dueAtHalfPastNine = await Open(agent, "due at half past nine", dueAt: "2026-03-02T09:30:00Z");
        await Open(agent, "not yet due", dueAt: "2026-03-02T12:00:00Z");
        var alsoDueAtTen = await Open(agent, "also due at ten", dueAt: "2026-03-02T10:00:00Z");
        var dueAtQuarterToTen = await Open(agent, "due at a quarter to ten", dueAt: "2026-03-02T09:45:00Z");
        _app.Clock.Advance(TimeSpan.FromHours(2));

        (await Ids(agent, "view=late")).ShouldBe([dueAtHalfPastNine, dueAtQuarterToTen, dueAtTen, alsoDueAtTen]);

        var paged = new List<string>();
        string? cursor = null;
        do
        {
            var page = await (await agent.GetAsync($"/api/tickets?view=late&limit=1{(cursor is null ? "" : $"&cursor={cursor}")}")).Json();
            paged.AddRange(page["items"]!.AsArray().Select(t => t!["id"]!.GetValue<string>()));
            cursor = page["nextCursor"]?.GetValue<string>();
            if (paged.Count == 1)
            {
                (await agent.PostAsync($"/api/tickets/{dueAtQuarterToTen}/resolve", null)).EnsureSuccessStatusCode();
            }
        }
        while (cursor is not null && paged.Count < 10);

        paged.ShouldBe([dueAtHalfPastNine, dueAtTen, alsoDueAtTen], "a ticket resolved while paging leaves the view; nothing is repeated or lost");
    }

    [Fact]
    public async Task A_cursor_of_another_view_is_refused_by_the_late_view()
    {
        var agent = _app.ClientFor(Roles.Agent);
        for (var i = 0; i < 3; i++)
        {
            await Open(agent, $"T{i}", dueAt: "2026-03-02T10:00:00Z");
        }

        _app.Clock.Advance(TimeSpan.FromHours(2));
        var open = await (await agent.GetAsync("/api/tickets?view=open&limit=1")).Json();
        var late = await (await agent.GetAsync("/api/tickets?view=late&limit=1")).Json();

        await (await agent.GetAsync($"/api/tickets?view=late&cursor={open["nextCursor"]}")).ShouldBeProblem(400, "cursor");
        await (await agent.GetAsync($"/api/tickets?view=open&cursor={late["nextCursor"]}")).ShouldBeProblem(400, "cursor");
    }

    [Fact]
    public async Task The_last_page_has_no_cursor()
    {
        var agent = _app.ClientFor(Roles.Agent);
        for (var i = 0; i < 4; i++)
        {
            await Open(agent, $"T{i}");
        }

        var first = await (await agent.GetAsync("/api/tickets?limit=2")).Json();
        var second = await (await agent.GetAsync($"/api/tickets?limit=2&cursor={first["nextCursor"]}")).Json();

        first["items"]!.AsArray().Count.ShouldBe(2);
        second["items"]!.AsArray().Count.ShouldBe(2);
        second["nextCursor"].ShouldBeNull();
    }

    private static async Task<string> Open(HttpClient client, string subject, string? assigneeId = null, string? teamId = null, string? dueAt = null, string priority = "normal", string email = "someone@views.test")
    {
        var ticket = await client.OpenTicketAsync(new { subject, requester = new { email }, assigneeId, teamId, dueAt, priority });
        return ticket["id"]!.GetValue<string>();
    }

    private static async Task<string[]> Ids(HttpClient client, string query)
    {
        var response = await client.GetAsync($"/api/tickets?{query}");
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, body);
        return JsonNode.Parse(body)!["items"]!.AsArray().Select(t => t!["id"]!.GetValue<string>()).ToArray();
    }
}
