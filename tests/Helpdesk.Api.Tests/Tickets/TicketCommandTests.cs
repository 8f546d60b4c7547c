using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Tests.Infrastructure;

namespace Helpdesk.Api.Tests.Tickets;

public sealed class TicketCommandTests(HelpdeskApp app) : IClassFixture<HelpdeskApp>
{
    [Fact]
    public async Task A_ticket_goes_through_its_whole_life_and_every_step_is_in_the_history()
    {
        var (adaId, ada) = await app.AgentAsync("ada.life@cmd.test");
        var (samId, _) = await app.AgentAsync("sam.life@cmd.test", Roles.Supervisor);
        var customer = app.ClientFor(Roles.Agent, "someone@cmd.test");
        var ticket = await customer.OpenTicketAsync(new { subject = "Life", requester = new { email = "life@cmd.test" } });
        var url = $"/api/tickets/{ticket["id"]}";

        (await Status(ada.PostAsync($"{url}/take", null))).ShouldBe("assigned");
        (await Status(ada.PostAsync($"{url}/start", null))).ShouldBe("inProgress");
        (await Status(ada.PostAsync($"{url}/wait", null))).ShouldBe("waitingOnCustomer");
        (await Status(ada.PostAsJsonAsync($"{url}/escalate", new { toAgentId = samId, note = "Needs Sam" }))).ShouldBe("waitingOnCustomer");
        (await Status(ada.PostAsJsonAsync($"{url}/resolve", new { summary = "Fixed", notifyCustomer = true }))).ShouldBe("resolved");
        (await Status(ada.PostAsync($"{url}/reopen", null))).ShouldBe("assigned");
        (await Status(ada.PostAsJsonAsync($"{url}/close", new { notifyCustomer = false }))).ShouldBe("closed");

        var history = (await (await ada.GetAsync($"{url}/history")).Json())["items"]!.AsArray();
        history.Select(h => h!["action"]!.GetValue<string>()).ShouldBe(["created", "taken", "started", "waiting", "escalated", "noteAdded", "resolved", "reopened", "closed"]);
        var escalation = history[4]!;
        escalation["actor"]!["type"]!.GetValue<string>().ShouldBe("agent");
        escalation["actor"]!["id"]!.GetValue<string>().ShouldBe(adaId);
        escalation["note"]!.GetValue<string>().ShouldBe("Needs Sam");
        escalation["changes"]!.AsArray().ShouldContain(c => c!["field"]!.GetValue<string>() == "assigneeId" && c["to"]!.GetValue<string>() == samId);
    }

    [Fact]
    public async Task An_invalid_transition_is_409_with_a_stable_problem_type()
    {
        var agent = app.ClientFor(Roles.Agent);
        var ticket = await agent.OpenTicketAsync();

        var response = await agent.PostAsync($"/api/tickets/{ticket["id"]}/reopen", null);

        await response.ShouldBeProblem(409);
        (await response.Json())["type"]!.GetValue<string>().ShouldBe("urn:helpdesk:problem:invalid-transition");
    }

    [Theory]
    [InlineData("start")]
    [InlineData("take")]
    [InlineData("wait")]
    [InlineData("reopen")]
    [InlineData("resolve")]
    [InlineData("close")]
    [InlineData("read")]
    public async Task After_closing_every_command_is_409(string command)
    {
        var (_, agent) = await app.AgentAsync($"closer.{command}@cmd.test");
        var ticket = await agent.OpenTicketAsync();
        var url = $"/api/tickets/{ticket["id"]}";
        (await agent.PostAsync($"{url}/close", null)).StatusCode.ShouldBe(HttpStatusCode.OK);

        await (await agent.PostAsync($"{url}/{command}", null)).ShouldBeProblem(409);
    }

    [Fact]
    public async Task A_command_with_a_stale_if_match_is_412()
    {
        var agent = app.ClientFor(Roles.Agent);
        var ticket = await agent.OpenTicketAsync();
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/tickets/{ticket["id"]}/start");
        request.Headers.TryAddWithoutValidation("If-Match", "\"7\"");

        await (await agent.SendAsync(request)).ShouldBeProblem(412);
    }

    [Fact]
    public async Task Commands_on_a_missing_ticket_are_404()
    {
        var agent = app.ClientFor(Roles.Agent);

        await (await agent.PostAsync("/api/tickets/t_missing/start", null)).ShouldBeProblem(404);
        await (await agent.GetAsync("/api/tickets/t_missing/history")).ShouldBeProblem(404);
        await (await agent.PostAsJsonAsync("/api/tickets/t_missing/resolve", new { summary = "x" })).ShouldBeProblem(404);
    }

    [Fact]
    public async Task Only_a_directory_agent_can_take_a_ticket()
    {
        var stranger = app.ClientFor(Roles.Agent, "not-in-directory@cmd.test");
        var ticket = await stranger.OpenTicketAsync();

        var response = await stranger.PostAsync($"/api/tickets/{ticket["id"]}/take", null);

        await response.ShouldBeProblem(409);
        (await response.Json())["type"]!.GetValue<string>().ShouldBe("urn:helpdesk:problem:not-an-agent");
    }

    [Fact]
    public async Task Assigning_needs_an_active_agent_or_team()
    {
        var agent = app.ClientFor(Roles.Agent);
        var ticket = await agent.OpenTicketAsync();
        var url = $"/api/tickets/{ticket["id"]}";
        var teamId = await app.TeamAsync("Assignees");

        await (await agent.PostAsJsonAsync($"{url}/assign", new { })).ShouldBeProblem(400, "assigneeId");
        await (await agent.PostAsJsonAsync($"{url}/assign", new { assigneeId = "agt_nobody" })).ShouldBeProblem(400, "assigneeId");
        var assigned = await agent.PostAsJsonAsync($"{url}/assign", new { teamId });
        assigned.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await assigned.Json())["teamId"]!.GetValue<string>().ShouldBe(teamId);
    }

    [Fact]
    public async Task Escalating_needs_a_note_and_a_target()
    {
        var agent = app.ClientFor(Roles.Agent);
        var ticket = await agent.OpenTicketAsync();
        var url = $"/api/tickets/{ticket["id"]}/escalate";

        var response = await agent.PostAsJsonAsync(url, new { note = "" });

        await response.ShouldBeProblem(400);
        (await response.Json())["errors"]!.AsObject().Select(e => e.Key).ShouldBe(["toAgentId", "note"], ignoreOrder: true);
    }

    [Fact]
    public async Task Marking_a_new_ticket_read_opens_it()
    {
        using var quiet = new HelpdeskApp().With("Tickets:AutoMarkReadWhenCreatedByAgent", "false");
        var client = quiet.ClientFor(Roles.Agent);
        var ticket = await client.OpenTicketAsync();
        ticket["status"]!.GetValue<string>().ShouldBe("new");

        (await Status(client.PostAsync($"/api/tickets/{ticket["id"]}/read", null))).ShouldBe("open");
    }

    [Fact]
    public async Task History_pages_in_order_without_losing_entries()
    {
        var agent = app.ClientFor(Roles.Agent);
        var ticket = await agent.OpenTicketAsync();
        var url = $"/api/tickets/{ticket["id"]}";
        for (var i = 1; i <= 5; i++)
        {
            (await agent.PatchJsonAsync(url, new { progress = i * 10 }, $"\"{i}\"")).StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        var actions = new List<string>();
        string? cursor = null;
        do
        {
            var page = await (await agent.GetAsync($"{url}/history?limit=2{(cursor is null ? "" : $"&cursor={cursor}")}")).Json();
            actions.AddRange(page["items"]!.AsArray().Select(i => i!["changes"]!.AsArray().Count == 0 ? "?" : i["changes"]![0]!["to"]!.GetValue<string>()));
            cursor = page["nextCursor"]?.GetValue<string>();
        }
        while (cursor is not null);

        actions.ShouldBe(["open", "10", "20", "30", "40", "50"]);
    }

    private static async Task<string> Status(Task<HttpResponseMessage> call)
    {
        var response = await call;
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, body);
        return JsonNode.Parse(body)!["status"]!.GetValue<string>();
    }
}
