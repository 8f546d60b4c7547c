using System.Net;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Tests.Infrastructure;

namespace Helpdesk.Api.Tests.Tickets;

/// <summary>
/// POST /api/tickets/next: the calling agent takes the most urgent ticket waiting in their teams'
/// unassigned queue, atomically. Every ticket here has a team, so each test's queue is its own.
/// </summary>
public sealed class NextTicketTests(HelpdeskApp app) : IClassFixture<HelpdeskApp>
{
    [Fact]
    public async Task The_agent_takes_the_most_urgent_ticket_of_their_teams_then_the_oldest()
    {
        var team = await app.TeamAsync("Next order");
        var other = await app.TeamAsync("Next elsewhere");
        var (agentId, agent) = await app.AgentAsync("next.order@helpdesk.test", Roles.Agent, team);
        var (_, colleague) = await app.AgentAsync("next.colleague@helpdesk.test", Roles.Agent, team);
        var oldNormal = await OpenAsync(agent, team, "normal");
        var newNormal = await OpenAsync(agent, team, "normal");
        var urgent = await OpenAsync(agent, team, "urgent");
        var assigned = await OpenAsync(agent, team, "urgent");
        (await colleague.PostAsync($"/api/tickets/{assigned}/take", null)).EnsureSuccessStatusCode();
        var waiting = await OpenAsync(agent, team, "urgent");
        (await agent.PostAsync($"/api/tickets/{waiting}/wait", null)).EnsureSuccessStatusCode();
        await OpenAsync(agent, other, "urgent");

        var first = await agent.PostAsync("/api/tickets/next", null);

        first.StatusCode.ShouldBe(HttpStatusCode.OK, await first.Content.ReadAsStringAsync());
        first.Headers.ETag.ShouldNotBeNull();
        var taken = await first.Json();
        taken["id"]!.GetValue<string>().ShouldBe(urgent);
        taken["assigneeId"]!.GetValue<string>().ShouldBe(agentId);
        var history = await (await agent.GetAsync($"/api/tickets/{urgent}/history")).Json();
        history.ToJsonString().ShouldContain("taken");
        (await (await agent.PostAsync("/api/tickets/next", null)).Json())["id"]!.GetValue<string>().ShouldBe(oldNormal);
        (await (await agent.PostAsync("/api/tickets/next", null)).Json())["id"]!.GetValue<string>().ShouldBe(newNormal);
        (await agent.PostAsync("/api/tickets/next", null)).StatusCode.ShouldBe(HttpStatusCode.NoContent, "the rest is assigned, waiting on its customer or another team's");
    }

    [Fact]
    public async Task Agents_asking_at_once_never_get_the_same_ticket()
    {
        var team = await app.TeamAsync("Next race");
        var agents = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => app.AgentAsync($"next.race{i}@helpdesk.test", Roles.Agent, team)));
        var queued = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            queued.Add(await OpenAsync(agents[0].Client, team, "normal"));
        }

        var answers = await Task.WhenAll(agents.Select(a => a.Client.PostAsync("/api/tickets/next", null)));

        var taken = new List<(string Ticket, string Agent)>();
        foreach (var answer in answers)
        {
            if (answer.StatusCode == HttpStatusCode.NoContent)
            {
                continue;
            }

            answer.StatusCode.ShouldBe(HttpStatusCode.OK, await answer.Content.ReadAsStringAsync());
            var ticket = await answer.Json();
            taken.Add((ticket["id"]!.GetValue<string>(), ticket["assigneeId"]!.GetValue<string>()));
        }

        taken.Select(t => t.Ticket).Order().ShouldBe(queued.Order(), "every queued ticket went to exactly one agent");
        taken.Select(t => t.Agent).Distinct().Count().ShouldBe(4);
        foreach (var (ticket, agent) in taken)
        {
            (await (await agents[0].Client.GetAsync($"/api/tickets/{ticket}")).Json())["assigneeId"]!.GetValue<string>().ShouldBe(agent, "the stored assignee is the one answered");
        }
    }

    [Fact]
    public async Task Only_an_agent_of_the_directory_takes_a_ticket_and_customers_are_refused()
    {
        await (await app.ClientFor(Roles.Agent, "nobody@helpdesk.test").PostAsync("/api/tickets/next", null)).ShouldBeProblem(409);
        await (await app.ClientFor(Roles.Customer, "alice@contoso.com", "contact-1").PostAsync("/api/tickets/next", null)).ShouldBeProblem(403);
        await (await app.CreateClient().PostAsync("/api/tickets/next", null)).ShouldBeProblem(401);
    }

    private static async Task<string> OpenAsync(HttpClient agent, string teamId, string priority) =>
        (await agent.OpenTicketAsync(new { subject = $"Queue {priority}", requester = new { email = "queue@next.test" }, teamId, priority }))["id"]!.GetValue<string>();
}
