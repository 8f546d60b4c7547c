using System.Net;
using System.Text.Json.Nodes;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Tests.Infrastructure;

namespace Helpdesk.Api.Tests.Tickets;

/// <summary>
/// <c>sort=priority|dueAt|updatedAt|createdAt|number</c> (<c>-</c> for descending) on the ticket
/// lists: each order in both directions, paged one or two at a time across ties, and the refusals.
/// Every test works on its own team's (or contact's) tickets, so one app serves the class.
/// </summary>
public sealed class TicketSortTests(HelpdeskApp app) : IClassFixture<HelpdeskApp>
{
    private static readonly string[] Priorities = ["urgent", "high", "normal", "low"];

    [Fact]
    public async Task Every_order_lists_in_its_direction_and_pages_across_ties_without_loss_or_repeat()
    {
        var team = await app.TeamAsync("Sorting");
        var (agentId, agent) = await app.AgentAsync("sorter@sort.test", Roles.Agent, team);
        var now = app.Clock.GetUtcNow();

        // Due dates well before every SLA target of the default policy (an hour at the soonest),
        // so a ticket's due instant is the one given; c and d tie on it and on priority, b and c on
        // creation instant.
        var a = await OpenAsync(agent, team, "low", now.AddMinutes(40), agentId);
        app.Clock.Advance(TimeSpan.FromMinutes(1));
        var b = await OpenAsync(agent, team, "urgent", now.AddMinutes(30));
        var c = await OpenAsync(agent, team, "normal", now.AddMinutes(20), agentId);
        app.Clock.Advance(TimeSpan.FromMinutes(1));
        var d = await OpenAsync(agent, team, "normal", now.AddMinutes(20));
        app.Clock.Advance(TimeSpan.FromMinutes(1));
        var e = await OpenAsync(agent, team, "high", null, agentId);
        (await agent.PostAsync($"/api/tickets/{e}/resolve", null)).EnsureSuccessStatusCode();
        app.Clock.Advance(TimeSpan.FromMinutes(1));
        var f = await OpenAsync(agent, team, "urgent", null);
        (await agent.PostAsync($"/api/tickets/{f}/close", null)).EnsureSuccessStatusCode();
        app.Clock.Advance(TimeSpan.FromMinutes(1));
        await EditAsync(agent, a, "Edited last");

        string[] created = [a, b, c, d, e, f];
        var tickets = (await ListAsync(agent, $"view=all&teamId={team}", null)).ToDictionary(t => t["id"]!.GetValue<string>());
        tickets.Keys.Order().ShouldBe(created.Order());
        var rows = created.Select((id, seq) => new Row(id, seq, tickets[id])).ToArray();

        foreach (var sort in new[] { "priority", "dueAt", "updatedAt", "createdAt", "number" })
        {
            foreach (var name in new[] { sort, "-" + sort })
            {
                var expected = Expected(rows, name);
                (await PagedIdsAsync(agent, $"view=all&teamId={team}&sort={name}", 2)).ShouldBe(expected, $"sort={name}, two a page");
                (await PagedIdsAsync(agent, $"view=open&teamId={team}&sort={name}", 1)).ShouldBe(
                    expected.Where(id => id != e && id != f).ToArray(), $"the open view, sort={name}, one a page");
                (await PagedIdsAsync(agent, $"view=mine&sort={name}", 1)).ShouldBe(
                    expected.Where(id => id == a || id == c).ToArray(), $"the mine view, sort={name}");
            }
        }

        (await PagedIdsAsync(agent, $"view=all&teamId={team}&priority=normal&sort=-priority", 1)).ShouldBe([d, c], "a priority filter keeps its own range");
    }

    [Fact]
    public async Task A_ticket_changed_while_paging_is_neither_lost_nor_repeated()
    {
        var team = await app.TeamAsync("Sorting while changing");
        var (_, agent) = await app.AgentAsync("changer@sort.test", Roles.Agent, team);
        var ids = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            ids.Add(await OpenAsync(agent, team, "normal", null));
            app.Clock.Advance(TimeSpan.FromMinutes(1));
        }

        var first = await (await agent.GetAsync($"/api/tickets?view=all&teamId={team}&sort=updatedAt&limit=2")).Json();
        first["items"]!.AsArray().Select(t => t!["id"]!.GetValue<string>()).ShouldBe([ids[0], ids[1]]);
        await EditAsync(agent, ids[2], "Moved to the end");

        var second = await (await agent.GetAsync($"/api/tickets?view=all&teamId={team}&sort=updatedAt&limit=2&cursor={first["nextCursor"]}")).Json();
        second["items"]!.AsArray().Select(t => t!["id"]!.GetValue<string>()).ShouldBe([ids[3], ids[2]], "the changed ticket comes once, where its new value puts it");
        second["nextCursor"].ShouldBeNull();
    }

    [Fact]
    public async Task Unknown_orders_and_cursors_of_another_order_are_400_naming_the_parameter()
    {
        var team = await app.TeamAsync("Sorting refusals");
        var (_, agent) = await app.AgentAsync("refused@sort.test", Roles.Agent, team);
        for (var i = 0; i < 3; i++)
        {
            await OpenAsync(agent, team, "normal", null);
        }

        foreach (var sort in new[] { "subject", "--number", "number-", "+number" })
        {
            var refused = await agent.GetAsync($"/api/tickets?sort={Uri.EscapeDataString(sort)}");
            var body = await refused.Content.ReadAsStringAsync();
            refused.StatusCode.ShouldBe(HttpStatusCode.BadRequest, body);
            body.ShouldContain("priority, dueAt, updatedAt, createdAt, number");
            await refused.ShouldBeProblem(400, "sort");
        }

        var byNumber = await (await agent.GetAsync($"/api/tickets?teamId={team}&view=all&sort=number&limit=1")).Json();
        var unsorted = await (await agent.GetAsync($"/api/tickets?teamId={team}&view=all&limit=1")).Json();
        await (await agent.GetAsync($"/api/tickets?teamId={team}&view=all&sort=-number&cursor={byNumber["nextCursor"]}")).ShouldBeProblem(400, "cursor");
        await (await agent.GetAsync($"/api/tickets?teamId={team}&view=all&sort=createdAt&cursor={byNumber["nextCursor"]}")).ShouldBeProblem(400, "cursor");
        await (await agent.GetAsync($"/api/tickets?teamId={team}&view=all&cursor={byNumber["nextCursor"]}")).ShouldBeProblem(400, "cursor");
        await (await agent.GetAsync($"/api/tickets?teamId={team}&view=all&sort=number&cursor={unsorted["nextCursor"]}")).ShouldBeProblem(400, "cursor");
    }

    [Fact]
    public async Task The_portal_and_the_customer_context_lists_take_the_same_orders()
    {
        var agent = app.ClientFor(Roles.Agent, "ada@helpdesk.test");
        var email = $"sorted.{Guid.NewGuid():N}@portal-sort.test";
        var low = await agent.OpenTicketAsync(new { subject = "Low", requester = new { email }, priority = "low" });
        var urgent = await agent.OpenTicketAsync(new { subject = "Urgent", requester = new { email }, priority = "urgent" });
        var normal = await agent.OpenTicketAsync(new { subject = "Normal", requester = new { email }, priority = "normal" });
        var customer = app.ClientFor(Roles.Customer, email, low["requester"]!["contactId"]!.GetValue<string>());
        string Id(JsonNode t) => t["id"]!.GetValue<string>();

        var portal = await (await customer.GetAsync("/api/portal/tickets?sort=priority&limit=2")).Json();
        var rest = await (await customer.GetAsync($"/api/portal/tickets?sort=priority&limit=2&cursor={portal["nextCursor"]}")).Json();
        portal["items"]!.AsArray().Concat(rest["items"]!.AsArray()).Select(t => Id(t!)).ShouldBe([Id(urgent), Id(normal), Id(low)]);
        await (await customer.GetAsync("/api/portal/tickets?sort=secret")).ShouldBeProblem(400, "sort");

        var context = await (await agent.GetAsync($"/api/tickets/{Id(normal)}/context?sort=-priority")).Json();
        context.ToJsonString().IndexOf(Id(low), StringComparison.Ordinal).ShouldBeLessThan(context.ToJsonString().IndexOf(Id(urgent), StringComparison.Ordinal));
        await (await agent.GetAsync($"/api/tickets/{Id(normal)}/context?sort=age")).ShouldBeProblem(400, "sort");
    }

    /// <summary>The order the API documents, computed from the tickets as the API shows them.</summary>
    private static string[] Expected(IReadOnlyList<Row> rows, string name)
    {
        var descending = name.StartsWith('-');
        var key = name.TrimStart('-');
        if (key == "priority")
        {
            var byRank = rows.OrderBy(r => Array.IndexOf(Priorities, r.Field("priority")) * (descending ? -1 : 1)).ThenByDescending(r => r.Seq);
            return [.. byRank.Select(r => r.Id)];
        }

        if (key == "dueAt")
        {
            // Open tickets by their due instant (ties by creation), then those without one, newest first.
            var due = rows.Where(r => r.IsOpen).ToArray();
            var ordered = descending
                ? due.OrderByDescending(r => r.Field("dueAt"), StringComparer.Ordinal).ThenByDescending(r => r.Seq)
                : due.OrderBy(r => r.Field("dueAt"), StringComparer.Ordinal).ThenBy(r => r.Seq);
            return [.. ordered.Select(r => r.Id), .. rows.Where(r => !r.IsOpen).OrderByDescending(r => r.Seq).Select(r => r.Id)];
        }

        var sorted = descending
            ? rows.OrderByDescending(r => r.Field(key), StringComparer.Ordinal).ThenByDescending(r => r.Seq)
            : rows.OrderBy(r => r.Field(key), StringComparer.Ordinal).ThenBy(r => r.Seq);
        return [.. sorted.Select(r => r.Id)];
    }

    private static async Task<string> OpenAsync(HttpClient agent, string teamId, string priority, DateTimeOffset? dueAt, string? assigneeId = null) =>
        (await agent.OpenTicketAsync(new { subject = $"Sort {priority}", requester = new { email = "sorted@sort.test" }, teamId, priority, dueAt, assigneeId }))["id"]!.GetValue<string>();

    private static async Task EditAsync(HttpClient agent, string id, string subject)
    {
        var etag = (await agent.GetAsync($"/api/tickets/{id}")).Headers.ETag!.Tag;
        (await agent.PatchJsonAsync($"/api/tickets/{id}", new { subject }, etag)).EnsureSuccessStatusCode();
    }

    private static async Task<string[]> PagedIdsAsync(HttpClient client, string query, int limit)
    {
        var ids = new List<string>();
        string? cursor = null;
        do
        {
            var page = await ListPageAsync(client, $"{query}&limit={limit}", cursor);
            ids.AddRange(page.Items.Select(t => t["id"]!.GetValue<string>()));
            cursor = page.Next;
        }
        while (cursor is not null && ids.Count < 50);

        return [.. ids];
    }

    private static async Task<IReadOnlyList<JsonNode>> ListAsync(HttpClient client, string query, string? cursor) =>
        (await ListPageAsync(client, query, cursor)).Items;

    private static async Task<(IReadOnlyList<JsonNode> Items, string? Next)> ListPageAsync(HttpClient client, string query, string? cursor)
    {
        var response = await client.GetAsync($"/api/tickets?{query}{(cursor is null ? "" : $"&cursor={cursor}")}");
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, body);
        var page = JsonNode.Parse(body)!;
        return ([.. page["items"]!.AsArray().Select(t => t!)], page["nextCursor"]?.GetValue<string>());
    }

    /// <summary>A ticket as listed, with its creation order (the tie-breaker of every order).</summary>
    private sealed record Row(string Id, int Seq, JsonNode Ticket)
    {
        public bool IsOpen => Field("status") is not ("resolved" or "closed");

        /// <summary>Instants as fixed-width UTC text, so text order is time order.</summary>
        public string Field(string name) => Ticket[name] switch
        {
            null => string.Empty,
            var node when name.EndsWith("At", StringComparison.Ordinal) =>
                DateTimeOffset.Parse(node.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture).UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            var node => node.GetValue<string>(),
        };
    }
}
