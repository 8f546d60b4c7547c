using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Events;
using Helpdesk.Api.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Helpdesk.Api.Tests.Reports;

/// <summary>
/// A hand-computed week, in UTC (Paris is UTC+1 in March), reported for Paris days 2 and 3 March,
/// i.e. [01T23:00Z, 03T23:00Z):
/// T0 team B created 01T22:30 (before), resolved 02T10:00 (41 400 s), CSAT 4.
/// T1 team A created 01T23:30, replied 02T00:30 (3 600 s), resolved 02T02:30, CSAT 2, reopened 02T12:00, resolved 02T13:30 (50 400 s).
/// T2 team A created 02T09:00, replied 02T11:00 (7 200 s), resolved 02T13:00 (14 400 s), CSAT 5.
/// T3 team B created 02T09:00, untouched: backlog.
/// T6 team A created 02T09:00, resolved 05T09:00 (after the period): backlog, its CSAT 1 is outside.
/// T4 team B created 03T22:30, replied 03T22:45 (900 s): backlog.
/// T5 team B created 03T23:30: after the period.
/// </summary>
public sealed class DashboardFixture : IAsyncLifetime
{
    public HelpdeskApp App { get; } = HelpdeskApp.StartingAt(At("2026-03-01T22:00:00Z")).With("Satisfaction:SendOnResolve", "true");

    public HttpClient Supervisor { get; private set; } = null!;

    public string TeamA { get; private set; } = null!;

    public string TeamB { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        TeamA = await App.TeamAsync("Alpha");
        TeamB = await App.TeamAsync("Bravo");
        (_, Supervisor) = await App.AgentAsync("sue@helpdesk.test", Roles.Supervisor);

        var t0 = await OpenAsync("2026-03-01T22:30:00Z", TeamB, "T0");
        var t1 = await OpenAsync("2026-03-01T23:30:00Z", TeamA, "T1");
        await ReplyAsync("2026-03-02T00:30:00Z", t1);
        await CommandAsync("2026-03-02T02:30:00Z", t1, "resolve");
        await AnswerAsync("2026-03-02T03:00:00Z", t1, 2);
        var t2 = await OpenAsync("2026-03-02T09:00:00Z", TeamA, "T2");
        await OpenAsync("2026-03-02T09:00:00Z", TeamB, "T3");
        var t6 = await OpenAsync("2026-03-02T09:00:00Z", TeamA, "T6");

        // A ticket of the same day, answered, resolved, rated, then deleted: no figure counts it.
        var deleted = await OpenAsync("2026-03-02T09:00:00Z", TeamA, "Deleted");
        await ReplyAsync("2026-03-02T09:10:00Z", deleted);
        await CommandAsync("2026-03-02T09:20:00Z", deleted, "resolve");
        await AnswerAsync("2026-03-02T09:30:00Z", deleted, 1);
        var open = await OpenAsync("2026-03-02T09:40:00Z", TeamB, "Deleted while open");

        await CommandAsync("2026-03-02T10:00:00Z", t0, "resolve");
        await AnswerAsync("2026-03-02T10:30:00Z", t0, 4);
        await ReplyAsync("2026-03-02T11:00:00Z", t2);
        await CommandAsync("2026-03-02T12:00:00Z", t1, "reopen");
        await CommandAsync("2026-03-02T13:00:00Z", t2, "resolve");
        await CommandAsync("2026-03-02T13:30:00Z", t1, "resolve");
        await AnswerAsync("2026-03-02T14:00:00Z", t2, 5);
        var t4 = await OpenAsync("2026-03-03T22:30:00Z", TeamB, "T4");
        await ReplyAsync("2026-03-03T22:45:00Z", t4);
        await OpenAsync("2026-03-03T23:30:00Z", TeamB, "T5");
        await CommandAsync("2026-03-05T09:00:00Z", t6, "resolve");
        await AnswerAsync("2026-03-05T10:00:00Z", t6, 1);

        App.Clock.SetUtcNow(At("2026-03-05T12:00:00Z"));
        (await Supervisor.DeleteAsync($"/api/tickets/{deleted}")).EnsureSuccessStatusCode();
        (await Supervisor.DeleteAsync($"/api/tickets/{open}")).EnsureSuccessStatusCode();
    }

    public async Task DisposeAsync() => await App.DisposeAsync();

    private static DateTimeOffset At(string instant) => DateTimeOffset.Parse(instant, CultureInfo.InvariantCulture);

    private async Task<string> OpenAsync(string at, string teamId, string subject)
    {
        App.Clock.SetUtcNow(At(at));
        var ticket = await Supervisor.OpenTicketAsync(new { subject, teamId, requester = new { email = "alice@contoso.com", name = "Alice" } });
        return ticket["id"]!.GetValue<string>();
    }

    private async Task ReplyAsync(string at, string ticketId)
    {
        App.Clock.SetUtcNow(At(at));
        (await Supervisor.PostAsJsonAsync($"/api/tickets/{ticketId}/messages", new { visibility = "public", body = "On it." })).EnsureSuccessStatusCode();
    }

    private async Task CommandAsync(string at, string ticketId, string command)
    {
        App.Clock.SetUtcNow(At(at));
        (await Supervisor.PostAsync($"/api/tickets/{ticketId}/{command}", null)).EnsureSuccessStatusCode();
        await using var scope = App.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<EventPump>().RunOnceAsync(CancellationToken.None);
    }

    private async Task AnswerAsync(string at, string ticketId, int score)
    {
        App.Clock.SetUtcNow(At(at));

        // On Cosmos DB the survey's request event is in the ticket document until a sweep relays it to the outbox.
        await using (var scope = App.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<EventPump>().RunOnceAsync(CancellationToken.None);
        }

        await using var connection = new SqliteConnection($"Data Source={Path.Combine(App.DataFolder, "helpdesk.db")}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT doc FROM outbox WHERE ticket_id = $id AND type = 'satisfaction.surveyRequested'";
        command.Parameters.AddWithValue("$id", ticketId);
        var token = JsonNode.Parse((string)(await command.ExecuteScalarAsync())!)!["data"]!["token"]!.GetValue<string>();
        (await App.CreateClient().PostAsJsonAsync($"/api/csat/{token}", new { score })).EnsureSuccessStatusCode();
    }
}

public sealed class TicketDashboardTests(DashboardFixture fixture) : IClassFixture<DashboardFixture>
{
    private const string Paris = "/api/reports/tickets?from=2026-03-02&to=2026-03-04&timeZone=Europe/Paris";

    [Fact]
    public async Task The_totals_match_the_hand_computed_week()
    {
        var report = await (await fixture.Supervisor.GetAsync(Paris)).Json();

        report["from"]!.GetValue<string>().ShouldBe("2026-03-01T23:00:00Z");
        report["to"]!.GetValue<string>().ShouldBe("2026-03-03T23:00:00Z");
        var totals = report["totals"]!;
        totals["created"]!.GetValue<int>().ShouldBe(5);
        totals["resolved"]!.GetValue<int>().ShouldBe(3);
        totals["backlog"]!.GetValue<int>().ShouldBe(3);
        totals["firstResponseMedianSeconds"]!.GetValue<long>().ShouldBe(3600);
        totals["resolutionMedianSeconds"]!.GetValue<long>().ShouldBe(41400);
        totals["reopened"]!.GetValue<int>().ShouldBe(1);
        totals["reopenRatePercent"]!.GetValue<double>().ShouldBe(33.3);
        totals["csatAnswers"]!.GetValue<int>().ShouldBe(3);
        totals["csatAverage"]!.GetValue<decimal>().ShouldBe(3.67m);
        report["groups"]!.AsArray().ShouldBeEmpty();
    }

    [Fact]
    public async Task Team_performance_splits_the_figures_per_team_with_even_medians_averaged()
    {
        var report = await (await fixture.Supervisor.GetAsync(Paris + "&groupBy=team")).Json();

        var groups = report["groups"]!.AsArray();
        groups.Count.ShouldBe(2);
        var alpha = groups.Single(g => g!["group"]!.GetValue<string>() == fixture.TeamA)!;
        alpha["name"]!.GetValue<string>().ShouldBe("Alpha");
        var a = alpha["figures"]!;
        a["created"]!.GetValue<int>().ShouldBe(3);
        a["firstResponseMedianSeconds"]!.GetValue<long>().ShouldBe(5400);
        a["resolved"]!.GetValue<int>().ShouldBe(2);
        a["resolutionMedianSeconds"]!.GetValue<long>().ShouldBe(32400);
        a["reopenRatePercent"]!.GetValue<double>().ShouldBe(50);
        a["backlog"]!.GetValue<int>().ShouldBe(1);
        a["csatAverage"]!.GetValue<decimal>().ShouldBe(3.5m);
        var b = groups.Single(g => g!["group"]!.GetValue<string>() == fixture.TeamB)!["figures"]!;
        b["created"]!.GetValue<int>().ShouldBe(2);
        b["firstResponseMedianSeconds"]!.GetValue<long>().ShouldBe(900);
        b["resolved"]!.GetValue<int>().ShouldBe(1);
        b["resolutionMedianSeconds"]!.GetValue<long>().ShouldBe(41400);
        b["reopenRatePercent"]!.GetValue<double>().ShouldBe(0);
        b["backlog"]!.GetValue<int>().ShouldBe(2);
        b["csatAnswers"]!.GetValue<int>().ShouldBe(1);
        b["csatAverage"]!.GetValue<decimal>().ShouldBe(4m);
    }

    [Fact]
    public async Task Days_start_at_midnight_in_the_time_zone_asked_for()
    {
        var utc = await (await fixture.Supervisor.GetAsync("/api/reports/tickets?from=2026-03-02&to=2026-03-04&timeZone=UTC&groupBy=team")).Json();

        utc["from"]!.GetValue<string>().ShouldBe("2026-03-02T00:00:00Z");
        var alpha = utc["groups"]!.AsArray().Single(g => g!["group"]!.GetValue<string>() == fixture.TeamA)!["figures"]!;
        var bravo = utc["groups"]!.AsArray().Single(g => g!["group"]!.GetValue<string>() == fixture.TeamB)!["figures"]!;
        alpha["created"]!.GetValue<int>().ShouldBe(2);
        bravo["created"]!.GetValue<int>().ShouldBe(3);
    }

    [Fact]
    public async Task Groups_by_status_priority_agent_and_type_add_up_to_the_totals()
    {
        foreach (var by in new[] { "status", "priority", "agent", "type" })
        {
            var report = await (await fixture.Supervisor.GetAsync($"{Paris}&groupBy={by}")).Json();

            report["groupBy"]!.GetValue<string>().ShouldBe(by);
            report["groups"]!.AsArray().Sum(g => g!["figures"]!["created"]!.GetValue<int>()).ShouldBe(5, by);
            report["groups"]!.AsArray().Sum(g => g!["figures"]!["backlog"]!.GetValue<int>()).ShouldBe(3, by);
            report["groups"]!.AsArray().Sum(g => g!["figures"]!["csatAnswers"]!.GetValue<int>()).ShouldBe(3, by);
        }
    }

    [Fact]
    public async Task A_quiet_period_reports_zeros_and_no_medians()
    {
        var report = await (await fixture.Supervisor.GetAsync("/api/reports/tickets?from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z")).Json();

        var totals = report["totals"]!;
        totals["created"]!.GetValue<int>().ShouldBe(0);
        totals["backlog"]!.GetValue<int>().ShouldBe(0);
        totals["firstResponseMedianSeconds"].ShouldBeNull();
        totals["reopenRatePercent"].ShouldBeNull();
        totals["csatAverage"].ShouldBeNull();
    }

    [Fact]
    public async Task The_csv_opens_in_excel_and_parses_back_to_the_same_figures()
    {
        var response = await fixture.Supervisor.GetAsync(Paris + "&groupBy=team&format=csv");

        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/csv");
        var bytes = await response.Content.ReadAsByteArrayAsync();
        bytes.Take(3).ShouldBe(new byte[] { 0xEF, 0xBB, 0xBF });
        var lines = Encoding.UTF8.GetString(bytes, 3, bytes.Length - 3).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var header = lines[0].Split(',');
        header.ShouldBe(["section", "group", "name", "created", "resolved", "backlog", "firstResponseMedianSeconds", "resolutionMedianSeconds", "reopened", "reopenRatePercent", "csatAnswers", "csatAverage"]);
        var rows = lines.Skip(1).Select(l => header.Zip(l.Split(',')).ToDictionary(p => p.First, p => p.Second)).ToList();
        rows.Count.ShouldBe(3);
        var total = rows.Single(r => r["section"] == "total");
        total["created"].ShouldBe("5");
        total["resolutionMedianSeconds"].ShouldBe("41400");
        decimal.Parse(total["reopenRatePercent"], CultureInfo.InvariantCulture).ShouldBe(33.3m);
        decimal.Parse(total["csatAverage"], CultureInfo.InvariantCulture).ShouldBe(3.67m);
        var alpha = rows.Single(r => r["group"] == fixture.TeamA);
        alpha["section"].ShouldBe("team");
        alpha["name"].ShouldBe("Alpha");
        alpha["firstResponseMedianSeconds"].ShouldBe("5400");
    }

    [Theory]
    [InlineData("?to=2026-03-04", "from")]
    [InlineData("?from=2026-03-02", "to")]
    [InlineData("?from=2026-03-02&to=tomorrow", "to")]
    [InlineData("?from=2026-03-02T10:00:00&to=2026-03-04", "from")]
    [InlineData("?from=2026-03-04&to=2026-03-02", "to")]
    [InlineData("?from=2026-03-02&to=2026-03-02", "to")]
    [InlineData("?from=2025-01-01&to=2026-03-02", "to")]
    [InlineData("?from=2026-03-02&to=2026-03-04&groupBy=moon", "groupBy")]
    [InlineData("?from=2026-03-02&to=2026-03-04&format=xlsx", "format")]
    [InlineData("?from=2026-03-02&to=2026-03-04&timeZone=Mars/Olympus", "timeZone")]
    public async Task Bad_parameters_are_named(string query, string field)
    {
        await (await fixture.Supervisor.GetAsync("/api/reports/tickets" + query)).ShouldBeProblem(400, field);
    }

    [Fact]
    public async Task Only_supervisors_and_admins_read_it()
    {
        const string Url = "/api/reports/tickets?from=2026-03-02&to=2026-03-04";

        (await fixture.App.ClientFor(Roles.Agent).GetAsync(Url)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await fixture.App.ClientFor(Roles.Customer, "alice@contoso.com", "con_alice").GetAsync(Url)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await fixture.App.CreateClient().GetAsync(Url)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await fixture.App.Admin.GetAsync(Url)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}
