using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Tests.Infrastructure;

namespace Helpdesk.Api.Tests.Sla;

/// <summary>
/// The breach scan through its trigger route, the SLA block on tickets, the late view. The
/// default policy gives an urgent ticket 60 minutes to a first response and 4 hours to resolve.
/// Most tests share one helpdesk: each opens its own tickets as its own agent, times them from
/// the clock's now (which only moves forward) and checks only them, so a scan that also acts on
/// other tests' tickets changes nothing they check. Three start their own: the scan's log counts
/// every ticket due, and the other two change which policy applies to every ticket.
/// </summary>
public sealed class SlaScanTests(HelpdeskApp shared) : IClassFixture<HelpdeskApp>
{
    private readonly string _agent = $"ada.{Guid.NewGuid():N}@helpdesk.test";

    private static async Task<JsonNode> UrgentTicketAsync(HelpdeskApp app, HttpClient agent, object? extra = null) =>
        await agent.OpenTicketAsync(extra ?? new { subject = "Server down", priority = "urgent", requester = new { email = "alice@contoso.com" } });

    private static async Task<JsonNode> ScanAsync(HelpdeskApp app)
    {
        var response = await app.CreateClient().PostAsJsonAsync("/ScanSlaBreaches", new { Data = new { timer = "{\"IsPastDue\":false}" }, Metadata = new { } });
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return await response.Json();
    }

    private static async Task<List<JsonNode>> HistoryAsync(HttpClient client, string ticketId, string? action = null)
    {
        var page = await (await client.GetAsync($"/api/tickets/{ticketId}/history?limit=200")).Json();
        return [.. page["items"]!.AsArray().Select(e => e!).Where(e => action is null || e["action"]!.GetValue<string>() == action)];
    }

    private static async Task<JsonNode> TicketAsync(HttpClient client, string ticketId) =>
        await (await client.GetAsync($"/api/tickets/{ticketId}")).Json();

    [Fact]
    public async Task Every_ticket_shows_its_clocks_and_color()
    {
        var app = shared;
        var (_, agent) = await app.AgentAsync(_agent);

        var ticket = await UrgentTicketAsync(app, agent);

        var sla = ticket["sla"]!;
        sla["policyId"]!.GetValue<string>().ShouldBe("sla_default");
        sla["firstResponse"]!["state"]!.GetValue<string>().ShouldBe("running");
        sla["firstResponse"]!["remainingSeconds"]!.GetValue<long>().ShouldBe(3600);
        sla["firstResponse"]!["dueAt"]!.GetValue<DateTimeOffset>().ShouldBe(app.Clock.GetUtcNow().AddHours(1));
        sla["resolution"]!["dueAt"]!.GetValue<DateTimeOffset>().ShouldBe(app.Clock.GetUtcNow().AddHours(4));
        sla["color"]!.GetValue<string>().ShouldBe("green");

        app.Clock.Advance(TimeSpan.FromMinutes(50));
        var later = await TicketAsync(agent, ticket["id"]!.GetValue<string>());
        later["sla"]!["firstResponse"]!["state"]!.GetValue<string>().ShouldBe("warning");
        later["sla"]!["color"]!.GetValue<string>().ShouldBe("orange");
    }

    [Fact]
    public async Task The_scan_records_the_warning_then_the_breach_each_once()
    {
        var app = shared;
        var (_, agent) = await app.AgentAsync(_agent);
        var id = (await UrgentTicketAsync(app, agent))["id"]!.GetValue<string>();

        await ScanAsync(app);
        (await HistoryAsync(agent, id, "slaWarning")).ShouldBeEmpty();

        app.Clock.Advance(TimeSpan.FromMinutes(46));
        await ScanAsync(app);
        await ScanAsync(app);
        (await HistoryAsync(agent, id, "slaWarning")).Count.ShouldBe(1);

        app.Clock.Advance(TimeSpan.FromMinutes(15));
        await ScanAsync(app);
        await ScanAsync(app);
        var breaches = await HistoryAsync(agent, id, "slaBreached");
        breaches.Count.ShouldBe(1);
        breaches[0]["actor"]!["type"]!.GetValue<string>().ShouldBe("system");
        breaches[0]["note"]!.GetValue<string>().ShouldContain("firstResponse");

        var ticket = await TicketAsync(agent, id);
        ticket["sla"]!["firstResponse"]!["state"]!.GetValue<string>().ShouldBe("breached");
        ticket["sla"]!["firstResponse"]!["remainingSeconds"]!.GetValue<long>().ShouldBe(-60);
        ticket["sla"]!["color"]!.GetValue<string>().ShouldBe("red");
    }

    [Fact]
    public async Task A_public_reply_meets_the_first_response_and_an_internal_note_does_not()
    {
        var app = shared;
        var (_, agent) = await app.AgentAsync(_agent);
        var noted = (await UrgentTicketAsync(app, agent))["id"]!.GetValue<string>();
        var answered = (await UrgentTicketAsync(app, agent))["id"]!.GetValue<string>();
        app.Clock.Advance(TimeSpan.FromMinutes(20));

        (await agent.PostAsJsonAsync($"/api/tickets/{noted}/messages", new { visibility = "internal", body = "Looking into it" })).IsSuccessStatusCode.ShouldBeTrue();
        (await agent.PostAsJsonAsync($"/api/tickets/{answered}/messages", new { visibility = "public", body = "We are on it" })).IsSuccessStatusCode.ShouldBeTrue();
        app.Clock.Advance(TimeSpan.FromMinutes(50));
        await ScanAsync(app);

        (await TicketAsync(agent, answered))["sla"]!["firstResponse"]!["state"]!.GetValue<string>().ShouldBe("met");
        (await HistoryAsync(agent, answered, "slaBreached")).ShouldBeEmpty();
        (await TicketAsync(agent, noted))["sla"]!["firstResponse"]!["state"]!.GetValue<string>().ShouldBe("breached");
        (await HistoryAsync(agent, noted, "slaBreached")).Count.ShouldBe(1);
    }

    [Fact]
    public async Task Overlapping_scans_act_once()
    {
        var app = shared;
        var (_, agent) = await app.AgentAsync(_agent);
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await UrgentTicketAsync(app, agent))["id"]!.GetValue<string>());
        }

        app.Clock.Advance(TimeSpan.FromMinutes(61));
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => ScanAsync(app)));

        foreach (var id in ids)
        {
            (await HistoryAsync(agent, id, "slaBreached")).Count.ShouldBe(1);
            (await HistoryAsync(agent, id, "slaWarning")).ShouldBeEmpty("a warning is skipped once the target is breached");
        }
    }

    [Fact]
    public async Task A_scan_after_downtime_catches_up_every_escalation_level_in_order()
    {
        await using var app = new HelpdeskApp();
        var (_, agent) = await app.AgentAsync(_agent);
        var seniors = await app.TeamAsync("Seniors");
        var policy = await app.Admin.PostAsJsonAsync("/api/sla-policies", new
        {
            name = "Escalating",
            order = 1,
            targets = new { normal = new { firstResponse = 60 } },
            escalations = new object[]
            {
                new { target = "firstResponse", when = "warning", actions = new[] { new { type = "notify", notify = "assignee" } } },
                new { target = "firstResponse", when = "breach", actions = new[] { new { type = "reassign", teamId = seniors } } },
                new { target = "any", when = "afterBreach", minutesAfterBreach = 30, actions = new[] { new { type = "raisePriority" } } },
            },
        });
        policy.StatusCode.ShouldBe(HttpStatusCode.Created, await policy.Content.ReadAsStringAsync());
        var id = (await agent.OpenTicketAsync())["id"]!.GetValue<string>();

        app.Clock.Advance(TimeSpan.FromHours(3));
        var result = await ScanAsync(app);
        await ScanAsync(app);

        result["Logs"]!.AsArray().Single()!.GetValue<string>().ShouldContain("1 tickets due");
        var history = await HistoryAsync(agent, id);
        var actions = history.Select(h => h["action"]!.GetValue<string>()).ToList();
        actions.ShouldContain("slaBreached");
        actions.Count(a => a == "slaEscalated").ShouldBe(2, "the warning level is skipped: the target was already breached");
        var ticket = await TicketAsync(agent, id);
        ticket["teamId"]!.GetValue<string>().ShouldBe(seniors);
        ticket["priority"]!.GetValue<string>().ShouldBe("high");
    }

    [Fact]
    public async Task The_scan_reads_only_the_tickets_that_are_due()
    {
        await using var app = new HelpdeskApp();
        var (_, agent) = await app.AgentAsync(_agent);
        await UrgentTicketAsync(app, agent);
        app.Clock.Advance(TimeSpan.FromMinutes(30));
        for (var i = 0; i < 3; i++)
        {
            await agent.OpenTicketAsync(new { subject = "Low", priority = "low", requester = new { email = "bob@contoso.com" } });
        }

        app.Clock.Advance(TimeSpan.FromMinutes(20));
        var result = await ScanAsync(app);

        result["Logs"]!.AsArray().Single()!.GetValue<string>().ShouldContain("1 tickets due, 1 milestones recorded");
    }

    [Fact]
    public async Task Waiting_on_the_customer_stops_the_clock_and_the_scan_leaves_it_alone()
    {
        var app = shared;
        var (_, agent) = await app.AgentAsync(_agent);
        var id = (await UrgentTicketAsync(app, agent))["id"]!.GetValue<string>();
        app.Clock.Advance(TimeSpan.FromMinutes(10));
        (await agent.PostAsync($"/api/tickets/{id}/wait", null)).StatusCode.ShouldBe(HttpStatusCode.OK);

        app.Clock.Advance(TimeSpan.FromDays(2));
        await ScanAsync(app);

        (await HistoryAsync(agent, id, "slaBreached")).ShouldBeEmpty();
        var ticket = await TicketAsync(agent, id);
        ticket["sla"]!["firstResponse"]!["state"]!.GetValue<string>().ShouldBe("paused");
        ticket["sla"]!["firstResponse"]!["remainingSeconds"]!.GetValue<long>().ShouldBe(50 * 60);
        ticket["sla"]!["firstResponse"]!["dueAt"].ShouldBeNull();
    }

    [Fact]
    public async Task The_late_view_lists_breached_tickets_without_waiting_for_a_scan()
    {
        var app = shared;
        var (_, agent) = await app.AgentAsync(_agent);
        var late = (await UrgentTicketAsync(app, agent))["id"]!.GetValue<string>();
        var fine = (await agent.OpenTicketAsync(new { subject = "Low", priority = "low", requester = new { email = "bob@contoso.com" } }))["id"]!.GetValue<string>();

        app.Clock.Advance(TimeSpan.FromMinutes(61));
        var view = await (await agent.GetAsync("/api/tickets?view=late&limit=200")).Json();

        var ids = view["items"]!.AsArray().Select(t => t!["id"]!.GetValue<string>()).ToList();
        ids.ShouldContain(late);
        ids.ShouldNotContain(fine);
    }

    [Fact]
    public async Task A_policy_change_reschedules_open_tickets()
    {
        await using var app = new HelpdeskApp();
        var (_, agent) = await app.AgentAsync(_agent);
        var id = (await UrgentTicketAsync(app, agent))["id"]!.GetValue<string>();
        app.Clock.Advance(TimeSpan.FromMinutes(20));

        var current = await app.Admin.GetAsync("/api/sla-policies/sla_default");
        var policy = (await current.Json()).AsObject();
        policy.Remove("id");
        policy["targets"]!["urgent"]!["firstResponse"] = 15;
        var put = new HttpRequestMessage(HttpMethod.Put, "/api/sla-policies/sla_default") { Content = JsonContent.Create(policy) };
        put.Headers.TryAddWithoutValidation("If-Match", current.Headers.ETag!.Tag);
        (await app.Admin.SendAsync(put)).StatusCode.ShouldBe(HttpStatusCode.OK);

        await ScanAsync(app);

        (await HistoryAsync(agent, id, "slaBreached")).Count.ShouldBe(1);
    }

    [Fact]
    public async Task The_trigger_route_answers_only_local_callers()
    {
        var app = shared;
        var client = app.CreateClient();

        var response = await client.PostAsJsonAsync("/ScanSlaBreaches", new { Data = new { }, Metadata = new { } });

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await app.ClientFor(Roles.Agent).PostAsync("/api/ScanSlaBreaches", null)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }
}
