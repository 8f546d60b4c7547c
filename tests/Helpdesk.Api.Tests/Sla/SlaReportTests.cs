using System.Globalization;
using System.Net;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Tests.Infrastructure;

namespace Helpdesk.Api.Tests.Sla;

/// <summary>
/// The SLA report. The tests share one app: each calls as a supervisor of its own, and the one
/// that reads figures first moves the clock to a day of its own and reports on that day only.
/// </summary>
public sealed class SlaReportTests(HelpdeskApp app) : IClassFixture<HelpdeskApp>
{
    private readonly string _supervisor = $"sup.{Guid.NewGuid():N}@helpdesk.test";

    [Fact]
    public async Task The_report_gives_compliance_and_times_per_priority()
    {
        app.Clock.Advance(TimeSpan.FromDays(1));
        var day = DateOnly.FromDateTime(app.Clock.GetUtcNow().UtcDateTime);
        var (_, agent) = await app.AgentAsync(_supervisor, Roles.Supervisor);
        var quick = (await agent.OpenTicketAsync(new { subject = "Quick", priority = "urgent", requester = new { email = "alice@contoso.com" } }))["id"]!.GetValue<string>();
        var slow = (await agent.OpenTicketAsync(new { subject = "Slow", priority = "urgent", requester = new { email = "alice@contoso.com" } }))["id"]!.GetValue<string>();
        await agent.OpenTicketAsync(new { subject = "Low", priority = "low", requester = new { email = "bob@contoso.com" } });
        app.Clock.Advance(TimeSpan.FromHours(1));
        (await agent.PostAsync($"/api/tickets/{quick}/resolve", null)).StatusCode.ShouldBe(HttpStatusCode.OK);
        app.Clock.Advance(TimeSpan.FromHours(4));
        (await agent.PostAsync($"/api/tickets/{slow}/resolve", null)).StatusCode.ShouldBe(HttpStatusCode.OK);

        var report = await (await agent.GetAsync(string.Create(CultureInfo.InvariantCulture, $"/api/reports/sla?from={day:yyyy-MM-dd}&to={day.AddDays(1):yyyy-MM-dd}&groupBy=priority"))).Json();

        var urgent = report["rows"]!.AsArray().Single(r => r!["group"]!.GetValue<string>() == "urgent")!;
        urgent["tickets"]!.GetValue<int>().ShouldBe(2);
        urgent["resolutionMeasured"]!.GetValue<int>().ShouldBe(2);
        urgent["resolutionMetPercent"]!.GetValue<double>().ShouldBe(50);
        urgent["resolutionMedianSeconds"]!.GetValue<long>().ShouldBe(3600);
        urgent["resolutionP90Seconds"]!.GetValue<long>().ShouldBe(5 * 3600);
        var low = report["rows"]!.AsArray().Single(r => r!["group"]!.GetValue<string>() == "low")!;
        low["resolutionMeasured"]!.GetValue<int>().ShouldBe(0);
        low["resolutionMetPercent"].ShouldBeNull();
    }

    [Fact]
    public async Task The_csv_opens_in_excel()
    {
        var (_, agent) = await app.AgentAsync(_supervisor, Roles.Supervisor);
        await agent.OpenTicketAsync();

        var response = await agent.GetAsync("/api/reports/sla?from=2026-03-01&to=2026-04-01&format=csv");

        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/csv");
        var bytes = await response.Content.ReadAsByteArrayAsync();
        bytes.Take(3).ShouldBe(new byte[] { 0xEF, 0xBB, 0xBF });
        System.Text.Encoding.UTF8.GetString(bytes, 3, bytes.Length - 3).ShouldStartWith("group,tickets,");
    }

    [Theory]
    [InlineData("?to=2026-04-01", "from")]
    [InlineData("?from=2026-03-01&to=yesterday", "to")]
    [InlineData("?from=2026-04-01&to=2026-03-01", "to")]
    [InlineData("?from=2026-03-01&to=2026-04-01&groupBy=moon", "groupBy")]
    [InlineData("?from=2026-03-01&to=2026-04-01&format=xlsx", "format")]
    public async Task Bad_parameters_are_named(string query, string field)
    {
        var (_, agent) = await app.AgentAsync(_supervisor, Roles.Supervisor);

        await (await agent.GetAsync("/api/reports/sla" + query)).ShouldBeProblem(400, field);
    }

    [Fact]
    public async Task Agents_and_customers_cannot_read_it()
    {

        (await app.ClientFor(Roles.Agent).GetAsync("/api/reports/sla?from=2026-03-01&to=2026-04-01")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await app.ClientFor(Roles.Customer, "alice@contoso.com", "con_alice").GetAsync("/api/reports/sla?from=2026-03-01&to=2026-04-01")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await app.CreateClient().GetAsync("/api/reports/sla?from=2026-03-01&to=2026-04-01")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }
}
