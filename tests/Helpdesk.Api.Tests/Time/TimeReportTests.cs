using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using CsvHelper;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Tests.Infrastructure;
using static Helpdesk.Api.Tests.Time.TimeEntryTests;

namespace Helpdesk.Api.Tests.Time;

public sealed class TimeReportTests(HelpdeskApp app) : IClassFixture<HelpdeskApp>
{
    [Fact]
    public async Task The_monthly_report_totals_by_agent_account_and_ticket_match_a_hand_computed_fixture()
    {
        var fixture = await FixtureAsync("2026-05");

        var report = await (await fixture.Supervisor.GetAsync("/api/reports/time?month=2026-05")).Json();

        report["totals"]!["minutes"]!.GetValue<long>().ShouldBe(90 + 45 + 30 + 20);
        report["totals"]!["billableMinutes"]!.GetValue<long>().ShouldBe(165);
        report["totals"]!["nonBillableMinutes"]!.GetValue<long>().ShouldBe(20);
        report["totals"]!["hours"]!.GetValue<decimal>().ShouldBe(3.08m, "185 minutes are 3.0833 hours");
        var ada = Row(report["byAgent"]!, "agentId", fixture.AdaId);
        ada["name"]!.GetValue<string>().ShouldBe("ada.report");
        ada["time"]!["minutes"]!.GetValue<long>().ShouldBe(135);
        Row(report["byAgent"]!, "agentId", fixture.BobId)["time"]!["nonBillableMinutes"]!.GetValue<long>().ShouldBe(20);
        var contoso = Row(report["byAccount"]!, "accountId", fixture.ContosoId);
        contoso["time"]!["billableMinutes"]!.GetValue<long>().ShouldBe(135);
        contoso["hourBank"]!["hoursIncluded"]!.GetValue<decimal>().ShouldBe(2m);
        contoso["hourBank"]!["hoursUsed"]!.GetValue<decimal>().ShouldBe(2.25m);
        contoso["hourBank"]!["hoursLeft"]!.GetValue<decimal>().ShouldBe(0m);
        contoso["hourBank"]!["overrunHours"]!.GetValue<decimal>().ShouldBe(0.25m);
        contoso["hourBank"]!["overrun"]!.GetValue<bool>().ShouldBeTrue();
        Row(report["byAccount"]!, "accountId", fixture.FabrikamId)["hourBank"].ShouldBeNull();
        report["byTicket"]!.AsArray().Count.ShouldBe(2);
        Row(report["byTicket"]!, "ticketId", fixture.ContosoTicket)["time"]!["minutes"]!.GetValue<long>().ShouldBe(135);
    }

    [Fact]
    public async Task The_csv_report_has_a_bom_invariant_numbers_and_parses_back_to_the_same_totals()
    {
        var fixture = await FixtureAsync("2026-06");

        var response = await fixture.Supervisor.GetAsync("/api/reports/time?month=2026-06&format=csv");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/csv");
        var bytes = await response.Content.ReadAsByteArrayAsync();
        bytes.Take(3).ShouldBe(new byte[] { 0xEF, 0xBB, 0xBF });
        var lines = Encoding.UTF8.GetString(bytes, 3, bytes.Length - 3).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var header = lines[0].Split(',');
        header.ShouldBe(["section", "id", "name", "minutes", "hours", "billableMinutes", "billableHours", "nonBillableMinutes", "nonBillableHours", "hoursIncluded", "hoursLeft", "overrunHours", "overrun", "currency", "amount", "billableAmount"]);
        var rows = lines.Skip(1).Select(l => header.Zip(l.Split(',')).ToDictionary(p => p.First, p => p.Second)).ToArray();
        var total = rows.Single(r => r["section"] == "total");
        total["minutes"].ShouldBe("185");
        total["hours"].ShouldBe("3.08");
        var contoso = rows.Single(r => r["section"] == "account" && r["id"] == fixture.ContosoId);
        contoso["billableHours"].ShouldBe("2.25");
        contoso["overrunHours"].ShouldBe("0.25");
        contoso["overrun"].ShouldBe("true");
        rows.Where(r => r["section"] == "agent").Sum(r => long.Parse(r["minutes"], System.Globalization.CultureInfo.InvariantCulture)).ShouldBe(185);
        rows.Count(r => r["section"] == "ticket").ShouldBe(2);
    }

    [Fact]
    public async Task Names_with_commas_quotes_and_line_breaks_come_back_whole_and_formulas_are_defused()
    {
        const string trickyName = "Dupont, \"Fils\" & Cie\r\nParis";
        const string formulaName = "=HYPERLINK(\"https://evil.test\",\"Invoice\")";
        var (_, ada) = await app.AgentAsync("ada.quoting@report.test");
        var tricky = await app.AccountAsync(trickyName, "tricky-quoting.test");
        var formula = await app.AccountAsync(formulaName, "formula-quoting.test");
        await Log(ada, await TicketUrlAsync(ada, tricky), 30, true, "2026-04-10");
        await Log(ada, await TicketUrlAsync(ada, formula), 15, false, "2026-04-11");

        var bytes = await (await app.ClientFor(Roles.Supervisor, "sue@report.test").GetAsync("/api/reports/time?month=2026-04&format=csv")).Content.ReadAsByteArrayAsync();

        var text = Encoding.UTF8.GetString(bytes, 3, bytes.Length - 3);
        text.ShouldContain(",\"Dupont, \"\"Fils\"\" & Cie\r\nParis\",", Case.Sensitive);
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        using (var reader = CsvReader.FromText(text))
        {
            while (reader.Read())
            {
                if (reader.GetString("section") == "account")
                {
                    names[reader.GetString("id")] = reader.GetString("name");
                }
            }
        }

        names[tricky].ShouldBe(trickyName);
        names[formula].ShouldBe("'" + formulaName);
    }

    [Fact]
    public async Task Work_is_dated_in_the_account_time_zone_so_a_late_evening_falls_in_the_next_month()
    {
        var (_, ada) = await app.AgentAsync("ada.zone@report.test");
        var paris = await app.AccountAsync("Paris SA", "paris-zone.test");
        (await app.Admin.PutAsJsonAsync($"/api/accounts/{paris}/hour-bank", new { hoursPerMonth = 10, timeZone = "Europe/Paris" })).EnsureSuccessStatusCode();
        var url = await TicketUrlAsync(ada, paris);
        var utc = await TicketUrlAsync(ada);
        app.Clock.SetUtcNow(new DateTimeOffset(2026, 7, 31, 22, 30, 0, TimeSpan.Zero));

        var inParis = await (await ada.PostAsJsonAsync($"{url}/time-entries", new { minutes = 10, billable = true })).Json();
        var inUtc = await (await ada.PostAsJsonAsync($"{utc}/time-entries", new { minutes = 10, billable = true })).Json();

        inParis["workDate"]!.GetValue<string>().ShouldBe("2026-08-01");
        inUtc["workDate"]!.GetValue<string>().ShouldBe("2026-07-31");
        var august = await (await app.ClientFor(Roles.Supervisor, "sue@report.test").GetAsync("/api/reports/time?month=2026-08")).Json();
        Row(august["byAccount"]!, "accountId", paris)["time"]!["minutes"]!.GetValue<long>().ShouldBe(10);
        var bank = await (await ada.GetAsync($"/api/accounts/{paris}/hour-bank?month=2026-08")).Json();
        bank["use"]!["hoursUsed"]!.GetValue<decimal>().ShouldBe(0.17m);
        bank["use"]!["hoursLeft"]!.GetValue<decimal>().ShouldBe(9.83m);
    }

    [Fact]
    public async Task Only_supervisors_and_admins_read_the_report_and_the_month_is_checked()
    {
        var supervisor = app.ClientFor(Roles.Supervisor, "sue.check@report.test");

        (await app.ClientFor(Roles.Agent).GetAsync("/api/reports/time?month=2026-05")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await app.ClientFor(Roles.Customer, "c@report.test", "con_1").GetAsync("/api/reports/time?month=2026-05")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await app.CreateClient().GetAsync("/api/reports/time?month=2026-05")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        await (await supervisor.GetAsync("/api/reports/time")).ShouldBeProblem(400, "month");
        await (await supervisor.GetAsync("/api/reports/time?month=2026-13")).ShouldBeProblem(400, "month");
        await (await supervisor.GetAsync("/api/reports/time?month=2026-5")).ShouldBeProblem(400, "month");
        await (await supervisor.GetAsync("/api/reports/time?month=2026-05&format=xlsx")).ShouldBeProblem(400, "format");
        var empty = await (await app.Admin.GetAsync("/api/reports/time?month=1999-01")).Json();
        empty["totals"]!["minutes"]!.GetValue<long>().ShouldBe(0);
    }

    [Fact]
    public async Task Hour_banks_are_set_by_admins_with_a_valid_zone_and_changed_with_if_match()
    {
        var account = await app.AccountAsync("Bank Ltd", "bank-rules.test");
        var url = $"/api/accounts/{account}/hour-bank";

        (await app.ClientFor(Roles.Agent).PutAsJsonAsync(url, new { hoursPerMonth = 5, timeZone = "UTC" })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        await (await app.ClientFor(Roles.Agent).GetAsync(url)).ShouldBeProblem(404);
        await (await app.Admin.PutAsJsonAsync(url, new { hoursPerMonth = -1, timeZone = "Mars/Olympus" })).ShouldBeProblem(400, "timeZone");
        await (await app.Admin.PutAsJsonAsync(url, new { hoursPerMonth = 1.005, timeZone = "UTC" })).ShouldBeProblem(400, "hoursPerMonth");
        await (await app.Admin.PutAsJsonAsync("/api/accounts/acc_missing/hour-bank", new { hoursPerMonth = 5, timeZone = "UTC" })).ShouldBeProblem(404);
        (await app.Admin.PutAsJsonAsync(url, new { hoursPerMonth = 5, timeZone = "UTC" })).StatusCode.ShouldBe(HttpStatusCode.Created);
        await (await app.Admin.PutAsJsonAsync(url, new { hoursPerMonth = 6, timeZone = "UTC" })).ShouldBeProblem(428);
        await (await Send(app.Admin, HttpMethod.Put, url, "\"7\"", new { hoursPerMonth = 6, timeZone = "UTC" })).ShouldBeProblem(412);
        (await Send(app.Admin, HttpMethod.Put, url, "\"1\"", new { hoursPerMonth = 6, timeZone = "UTC" })).StatusCode.ShouldBe(HttpStatusCode.OK);
        var summary = await (await app.ClientFor(Roles.Agent).GetAsync(url)).Json();
        summary["hoursPerMonth"]!.GetValue<decimal>().ShouldBe(6m);
        summary["use"]!["hoursLeft"]!.GetValue<decimal>().ShouldBe(6m);
        await (await app.ClientFor(Roles.Agent).GetAsync($"{url}?month=May")).ShouldBeProblem(400, "month");
    }

    private sealed record Fixture(HttpClient Supervisor, string AdaId, string BobId, string ContosoId, string FabrikamId, string ContosoTicket);

    /// <summary>
    /// Contoso (2 h bank): Ada 90 + 45 billable. Fabrikam (no bank): Bob 30 billable and
    /// 20 non-billable. A draft and an entry of the next month are left out.
    /// </summary>
    private async Task<Fixture> FixtureAsync(string month)
    {
        var (adaId, ada) = await app.AgentAsync($"ada.report@{month}.test");
        var (bobId, bob) = await app.AgentAsync($"bob.report@{month}.test");
        var contoso = await app.AccountAsync($"Contoso {month}", $"contoso-{month}.test");
        var fabrikam = await app.AccountAsync($"Fabrikam {month}", $"fabrikam-{month}.test");
        (await app.Admin.PutAsJsonAsync($"/api/accounts/{contoso}/hour-bank", new { hoursPerMonth = 2, timeZone = "Europe/Paris" })).EnsureSuccessStatusCode();
        var contosoTicket = await TicketUrlAsync(ada, contoso);
        var fabrikamTicket = await TicketUrlAsync(bob, fabrikam);

        await Log(ada, contosoTicket, 90, true, $"{month}-01");
        await Log(ada, contosoTicket, 45, true, $"{month}-30");
        await Log(bob, fabrikamTicket, 30, true, $"{month}-15");
        await Log(bob, fabrikamTicket, 20, false, $"{month}-15");
        await Log(bob, fabrikamTicket, 600, true, DateOnly.ParseExact($"{month}-01", "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture).AddMonths(1).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        await ada.PostAsync($"{contosoTicket}/presence", null);
        app.Clock.Advance(TimeSpan.FromSeconds(60));
        await ada.PostAsync($"{contosoTicket}/presence", null);

        return new Fixture(app.ClientFor(Roles.Supervisor, "sue@report.test"), adaId, bobId, contoso, fabrikam, contosoTicket.Split('/').Last());
    }

    private static async Task Log(HttpClient client, string ticketUrl, int minutes, bool billable, string workDate) =>
        (await client.PostAsJsonAsync($"{ticketUrl}/time-entries", new { minutes, billable, workDate })).EnsureSuccessStatusCode();

    private static JsonNode Row(JsonNode array, string key, string value) =>
        array.AsArray().Single(r => r![key]?.GetValue<string>() == value)!;
}
