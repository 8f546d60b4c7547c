using System.Net;
using System.Net.Http.Json;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Tests.Infrastructure;

namespace Helpdesk.Api.Tests.Notifications;

/// <summary>An SLA escalation level's notify actions reach the agents, teams, supervisors and addresses it names.</summary>
public sealed class SlaEscalationRecipientsTests
{
    [Fact]
    public async Task An_escalation_level_notifies_a_named_agent_a_named_team_the_supervisors_and_an_address()
    {
        using var app = new NotificationsApp();
        var (_, agent) = await app.AgentAsync("ada@sla.test");
        var (duty, _) = await app.AgentAsync("duty@sla.test");
        var network = await app.TeamAsync("Network");
        await app.AgentAsync("net1@sla.test", Roles.Agent, network);
        await app.AgentAsync("net2@sla.test", Roles.Agent, network);
        await app.AgentAsync("boss@sla.test", Roles.Supervisor);
        await app.AgentAsync("bystander@sla.test");
        var policy = await app.Admin.PostAsJsonAsync("/api/sla-policies", new
        {
            name = "Escalating",
            order = 1,
            targets = new { normal = new { firstResponse = 60 } },
            escalations = new object[]
            {
                new
                {
                    target = "firstResponse",
                    when = "breach",
                    actions = new object[]
                    {
                        new { type = "notify", notify = "agent", agentId = duty },
                        new { type = "notify", notify = "team", teamId = network },
                        new { type = "notify", notify = "supervisors" },
                        new { type = "notify", notify = "address", address = "oncall@contoso.com" },
                    },
                },
            },
        });
        policy.StatusCode.ShouldBe(HttpStatusCode.Created, await policy.Content.ReadAsStringAsync());
        await agent.OpenTicketAsync();
        await app.PumpAsync();

        app.Clock.Advance(TimeSpan.FromHours(2));
        (await app.CreateClient().PostAsJsonAsync("/ScanSlaBreaches", new { Data = new { timer = "{\"IsPastDue\":false}" }, Metadata = new { } })).EnsureSuccessStatusCode();
        await app.PumpAsync();

        foreach (var told in new[] { "duty@sla.test", "net1@sla.test", "net2@sla.test", "boss@sla.test", "oncall@contoso.com" })
        {
            app.MailsTo(told).ShouldHaveSingleItem(told).Trigger.ShouldBe("sla.escalated");
        }

        app.MailsTo("bystander@sla.test").ShouldBeEmpty();
    }

    [Fact]
    public async Task The_ticket_team_is_notified_when_the_level_names_no_team()
    {
        using var app = new NotificationsApp();
        var support = await app.TeamAsync("Support");
        await app.AgentAsync("sup1@sla.test", Roles.Agent, support);
        var id = (await app.ClientFor("agent").OpenTicketAsync(new { subject = "Router", requester = new { email = "alice@contoso.com" }, teamId = support }))["id"]!.GetValue<string>();

        var response = await app.CreateClient().PostAsync("/DeliverNotification", NotificationRuleTests.Envelope("sla.escalated", id, new { target = "resolution", notify = "team" }));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        app.MailsTo("sup1@sla.test").ShouldHaveSingleItem().Trigger.ShouldBe("sla.escalated");
    }

    [Fact]
    public async Task A_notify_action_names_the_agent_or_the_address_it_needs()
    {
        using var app = new NotificationsApp();

        var response = await app.Admin.PostAsJsonAsync("/api/sla-policies", new
        {
            name = "Broken",
            order = 1,
            targets = new { normal = new { firstResponse = 60 } },
            escalations = new object[]
            {
                new { target = "firstResponse", when = "breach", actions = new object[] { new { type = "notify", notify = "agent" }, new { type = "notify", notify = "address", address = "not-an-address" }, new { type = "notify", notify = "everyone" } } },
            },
        });

        await response.ShouldBeProblem(400);
        var errors = (await response.Json())["errors"]!.AsObject().Select(e => e.Key).ToList();
        errors.ShouldContain("escalations[0].actions[0].agentId");
        errors.ShouldContain("escalations[0].actions[1].address");
        errors.ShouldContain("escalations[0].actions[2].notify");
    }
}
