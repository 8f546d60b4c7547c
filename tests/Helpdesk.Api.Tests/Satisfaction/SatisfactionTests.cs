using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Events;
using Helpdesk.Api.Satisfaction;
using Helpdesk.Api.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Helpdesk.Api.Tests.Satisfaction;

/// <summary>The app with surveys sent on resolution.</summary>
public sealed class SurveyingApp : HelpdeskApp
{
    public SurveyingApp() => With("Satisfaction:SendOnResolve", "true");
}

public sealed class SatisfactionTests(SurveyingApp app) : IClassFixture<SurveyingApp>
{
    [Fact]
    public async Task Resolving_sends_one_signed_survey_the_customer_answers_once_without_logging_in()
    {
        var (ticketId, token) = await ResolvedWithSurveyAsync("answer");
        var anonymous = app.CreateClient();

        var view = await (await anonymous.GetAsync($"/api/csat/{token}")).Json();
        var answer = await anonymous.PostAsJsonAsync($"/api/csat/{token}", new { score = 4, comment = "Quick and kind" });
        var again = await anonymous.PostAsJsonAsync($"/api/csat/{token}", new { score = 1 });

        view["answered"]!.GetValue<bool>().ShouldBeFalse();
        view["subject"]!.GetValue<string>().ShouldBe("Survey answer");
        answer.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await answer.Json())["score"]!.GetValue<int>().ShouldBe(4);
        await again.ShouldBeProblem(409);
        (await again.Json())["type"]!.GetValue<string>().ShouldBe("urn:helpdesk:problem:survey-answered");
        (await (await anonymous.GetAsync($"/api/csat/{token}")).Json())["answered"]!.GetValue<bool>().ShouldBeTrue();
        (await SurveyEventsAsync(ticketId)).Count.ShouldBe(1);
    }

    [Fact]
    public async Task Staff_read_where_a_tickets_survey_stands_and_customers_may_not()
    {
        var agent = app.ClientFor(Roles.Agent);
        var open = (await agent.OpenTicketAsync(new { subject = "Survey not yet", requester = new { email = "alice@contoso.com" } }))["id"]!.GetValue<string>();
        var (ticketId, token) = await ResolvedWithSurveyAsync("staff view");
        var path = $"/api/tickets/{ticketId}/satisfaction";

        var notSent = await (await agent.GetAsync($"/api/tickets/{open}/satisfaction")).Json();
        var sent = await (await agent.GetAsync(path)).Json();
        (await app.CreateClient().PostAsJsonAsync($"/api/csat/{token}", new { score = 2, comment = "  Slow to answer  " })).EnsureSuccessStatusCode();
        var answered = await (await app.ClientFor(Roles.Supervisor).GetAsync(path)).Json();
        var byAdmin = await app.ClientFor(Roles.Admin).GetAsync(path);
        var customer = app.ClientFor(Roles.Customer, "alice@contoso.com", (await (await agent.GetAsync($"/api/tickets/{ticketId}")).Json())["requester"]!["contactId"]!.GetValue<string>());

        notSent["state"]!.GetValue<string>().ShouldBe("notSent");
        notSent["sentAt"].ShouldBeNull();
        notSent["score"].ShouldBeNull();
        sent["state"]!.GetValue<string>().ShouldBe("sent");
        var sentAt = sent["sentAt"]!.GetValue<DateTimeOffset>();
        sent["expiresAt"]!.GetValue<DateTimeOffset>().ShouldBe(sentAt.AddDays(30));
        sent["score"].ShouldBeNull();
        answered["state"]!.GetValue<string>().ShouldBe("answered");
        answered["score"]!.GetValue<int>().ShouldBe(2);
        answered["comment"]!.GetValue<string>().ShouldBe("Slow to answer");
        answered["answeredAt"]!.GetValue<DateTimeOffset>().ShouldBe(app.Clock.GetUtcNow());
        answered["sentAt"]!.GetValue<DateTimeOffset>().ShouldBe(sentAt);
        byAdmin.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await customer.GetAsync(path)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await app.CreateClient().GetAsync(path)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        await (await agent.GetAsync("/api/tickets/tkt_unknown/satisfaction")).ShouldBeProblem(404);
    }

    [Fact]
    public async Task A_forged_or_altered_token_finds_no_survey()
    {
        var (_, token) = await ResolvedWithSurveyAsync("forged");
        var parts = token.Split('.');
        var (_, other) = await ResolvedWithSurveyAsync("other");
        var otherParts = other.Split('.');
        var anonymous = app.CreateClient();

        await (await anonymous.PostAsJsonAsync($"/api/csat/{parts[0]}.{parts[1]}.{otherParts[2]}", new { score = 5 })).ShouldBeProblem(404);
        await (await anonymous.PostAsJsonAsync($"/api/csat/{otherParts[0]}.{parts[1]}.{parts[2]}", new { score = 5 })).ShouldBeProblem(404);
        await (await anonymous.PostAsJsonAsync("/api/csat/not-a-token", new { score = 5 })).ShouldBeProblem(404);
        await (await anonymous.PostAsJsonAsync("/api/csat/a.b.%2B%2B%2B", new { score = 5 })).ShouldBeProblem(404);
        await (await anonymous.GetAsync($"/api/csat/{parts[0]}.{parts[1]}.AAAA")).ShouldBeProblem(404);
    }

    [Fact]
    public async Task The_score_is_from_1_to_5_and_the_link_expires()
    {
        await using var own = new SurveyingApp();
        var (ticketId, token) = await ResolvedWithSurveyAsync(own, "score");
        var anonymous = own.CreateClient();
        var agent = own.ClientFor(Roles.Agent);

        await (await anonymous.PostAsJsonAsync($"/api/csat/{token}", new { score = 6 })).ShouldBeProblem(400, "score");
        await (await anonymous.PostAsJsonAsync($"/api/csat/{token}", new { score = 0 })).ShouldBeProblem(400, "score");
        await (await anonymous.PostAsJsonAsync($"/api/csat/{token}", new { comment = "no score" })).ShouldBeProblem(400, "score");
        own.Clock.Advance(TimeSpan.FromDays(31));
        var expired = await anonymous.PostAsJsonAsync($"/api/csat/{token}", new { score = 3 });

        await expired.ShouldBeProblem(409);
        (await expired.Json())["type"]!.GetValue<string>().ShouldBe("urn:helpdesk:problem:survey-expired");
        var state = await (await agent.GetAsync($"/api/tickets/{ticketId}/satisfaction")).Json();
        state["state"]!.GetValue<string>().ShouldBe("expired");
        state["score"].ShouldBeNull();
    }

    [Fact]
    public async Task Resolving_again_after_a_reopen_sends_no_second_survey()
    {
        var (ticketId, _) = await ResolvedWithSurveyAsync("twice");
        var agent = app.ClientFor(Roles.Agent);
        await agent.PostAsync($"/api/tickets/{ticketId}/reopen", null);
        await agent.PostAsync($"/api/tickets/{ticketId}/resolve", null);
        await PumpAsync();

        (await SurveyEventsAsync(ticketId)).Count.ShouldBe(1);
    }

    [Fact]
    public async Task Without_the_setting_no_survey_is_sent()
    {
        using var quiet = new HelpdeskApp();
        var agent = quiet.ClientFor(Roles.Agent);
        var ticket = await agent.OpenTicketAsync();
        await agent.PostAsync($"/api/tickets/{ticket["id"]}/resolve", null);
        await using var scope = quiet.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<EventPump>().RunOnceAsync(CancellationToken.None);

        (await scope.ServiceProvider.GetRequiredService<ISurveyStore>().FindAsync(ticket["id"]!.GetValue<string>(), CancellationToken.None)).ShouldBeNull();
    }

    [Fact]
    public async Task Scores_feed_the_satisfaction_report()
    {
        using var isolated = new SurveyingApp();
        var anonymous = isolated.CreateClient();
        foreach (var score in new[] { 5, 4, 4 })
        {
            var (_, token) = await ResolvedWithSurveyAsync(isolated, $"report {score}");
            (await anonymous.PostAsJsonAsync($"/api/csat/{token}", new { score })).EnsureSuccessStatusCode();
        }

        var supervisor = isolated.ClientFor(Roles.Supervisor, "sue@csat.test");
        var (deleted, deletedToken) = await ResolvedWithSurveyAsync(isolated, "report of a deleted ticket");
        (await anonymous.PostAsJsonAsync($"/api/csat/{deletedToken}", new { score = 1 })).EnsureSuccessStatusCode();
        (await supervisor.DeleteAsync($"/api/tickets/{deleted}")).EnsureSuccessStatusCode();
        var report = await (await supervisor.GetAsync("/api/reports/satisfaction?from=2026-03-01T00:00:00Z&to=2026-04-01T00:00:00Z")).Json();

        report["count"]!.GetValue<int>().ShouldBe(3, "a deleted ticket's answer leaves the report");
        report["average"]!.GetValue<decimal>().ShouldBe(4.33m);
        report["distribution"]!["4"]!.GetValue<int>().ShouldBe(2);
        (await isolated.ClientFor(Roles.Agent).GetAsync("/api/reports/satisfaction?from=2026-03-01T00:00:00Z&to=2026-04-01T00:00:00Z")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        await (await supervisor.GetAsync("/api/reports/satisfaction?from=2026-04-01T00:00:00Z&to=2026-03-01T00:00:00Z")).ShouldBeProblem(400, "to");
        await (await supervisor.GetAsync("/api/reports/satisfaction")).ShouldBeProblem(400, "from");
    }

    private Task<(string TicketId, string Token)> ResolvedWithSurveyAsync(string subject) => ResolvedWithSurveyAsync(app, subject);

    private static async Task<(string TicketId, string Token)> ResolvedWithSurveyAsync(SurveyingApp target, string subject)
    {
        var agent = target.ClientFor(Roles.Agent);
        var ticket = await agent.OpenTicketAsync(new { subject = $"Survey {subject}", requester = new { email = "alice@contoso.com" } });
        var id = ticket["id"]!.GetValue<string>();
        (await agent.PostAsync($"/api/tickets/{id}/resolve", null)).EnsureSuccessStatusCode();
        await using (var scope = target.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<EventPump>().RunOnceAsync(CancellationToken.None);
        }

        var events = await SurveyEventsAsync(target, id);
        var data = JsonNode.Parse(events.Single())!["data"]!;
        data["email"]!.GetValue<string>().ShouldBe("alice@contoso.com");
        data["link"]!.GetValue<string>().ShouldEndWith(data["token"]!.GetValue<string>());
        return (id, data["token"]!.GetValue<string>());
    }

    private async Task PumpAsync()
    {
        await using var scope = app.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<EventPump>().RunOnceAsync(CancellationToken.None);
    }

    private Task<List<string>> SurveyEventsAsync(string ticketId) => SurveyEventsAsync(app, ticketId);

    private static async Task<List<string>> SurveyEventsAsync(SurveyingApp target, string ticketId) =>
        [.. (await target.StoredEventsAsync(ticketId)).Where(e => e["type"]!.GetValue<string>() == "satisfaction.surveyRequested").Select(e => e.ToJsonString())];
}
