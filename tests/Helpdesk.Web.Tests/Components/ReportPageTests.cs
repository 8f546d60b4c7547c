using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Web;
using AngleSharp.Dom;
using Bunit;
using Helpdesk.Web.Api;
using Helpdesk.Web.Api.Client;
using Helpdesk.Web.Pages.Dashboards;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.FluentUI.AspNetCore.Components;
using Microsoft.Kiota.Abstractions.Authentication;
using Microsoft.Kiota.Http.HttpClientLibrary;

namespace Helpdesk.Web.Tests.Components;

/// <summary>
/// The SLA dashboard and the time report against the report operations played in memory (their
/// JSON, their CSV, their 400 for a bad period or month), in English and French.
/// </summary>
public sealed class ReportPageTests : IAsyncLifetime
{
    private static readonly CultureInfo English = CultureInfo.GetCultureInfo("en-US");
    private static readonly CultureInfo French = CultureInfo.GetCultureInfo("fr-FR");
    private readonly BunitContext _context = new();
    private readonly FakeReportApi _api = new();
    private readonly BunitJSModuleInterop _download;
    private readonly CultureInfo _culture = CultureInfo.CurrentCulture;
    private readonly CultureInfo _uiCulture = CultureInfo.CurrentUICulture;

    public ReportPageTests()
    {
        _context.Services.AddLocalization();
        _context.Services.AddFluentUIComponents();
        var http = new HttpClient(_api) { BaseAddress = new Uri("http://api.test/") };
        _context.Services.AddSingleton(new ApiHttp(http));
        _context.Services.AddSingleton(new HelpdeskApiClient(new HttpClientRequestAdapter(new AnonymousAuthenticationProvider(), httpClient: http) { BaseUrl = "http://api.test" }));
        _context.Services.AddSingleton<ApiCalls>();
        _context.Services.AddScoped<BrowserFiles>();
        _context.JSInterop.Mode = JSRuntimeMode.Loose;
        _download = _context.JSInterop.SetupModule("./js/download.js");
        _download.SetupVoid("save", _ => true);
        UseCulture(English);
    }

    [Fact]
    public void The_sla_dashboard_shows_compliance_over_the_period_and_breaches_by_team_and_priority_and_downloads_the_csv()
    {
        var page = _context.Render<SlaDashboardPage>();
        page.WaitForElement("[data-testid=totals]");

        // Each group's percentage weighs by the targets it measured: (50×2 + 100×2) / 4 and (50×2 + 100×1) / 3.
        Figure(page, "tickets").ShouldBe("4");
        Figure(page, "firstResponseMet").ShouldBe(0.75.ToString("P1", English));
        Figure(page, "resolutionMet").ShouldBe((2 / 3.0).ToString("P1", English));
        Figure(page, "breaches").ShouldBe("1");
        Chart(page, "Breaches by team").ShouldBe("Breaches by team: Billing 0, No team 1");
        Chart(page, "Resolution on time by priority").ShouldBe($"Resolution on time by priority: High {0.5.ToString("P1", English)}, Normal {1.0.ToString("P1", English)}");
        var byTeam = page.FindAll("table.dashboard-table")[0];
        byTeam.QuerySelector("caption")!.TextContent.ShouldBe("SLA figures by team");
        byTeam.QuerySelectorAll("tbody th").Select(th => th.TextContent).ShouldBe(["Billing", "No team"]);
        byTeam.QuerySelector("tbody tr")!.TextContent.ShouldContain($"{1.0.ToString("P1", English)} of 2");
        _api.SlaQueries.Select(q => q["groupBy"]).ShouldBe(["team", "priority"], ignoreOrder: true);
        _api.SlaQueries.ShouldAllBe(q => Math.Round((DateTimeOffset.Parse(q["to"]!, CultureInfo.InvariantCulture) - DateTimeOffset.Parse(q["from"]!, CultureInfo.InvariantCulture)).TotalDays) == 30);

        Button(page, "Download CSV").Click();

        page.WaitForAssertion(() => _download.VerifyInvoke("save").Arguments[0].ShouldBe("sla-by-team.csv"));
        _download.VerifyInvoke("save").Arguments[1].ShouldBe("text/csv");
        _api.SlaQueries[^1]["format"].ShouldBe("csv");
        _api.SlaQueries[^1]["groupBy"].ShouldBe("team");
    }

    [Fact]
    public void A_period_the_api_refuses_shows_its_reason_and_in_french_the_figures_are_french()
    {
        UseCulture(French);
        var page = _context.Render<SlaDashboardPage>();
        page.WaitForElement("[data-testid=totals]");
        Figure(page, "firstResponseMet").ShouldBe(0.75.ToString("P1", French));
        Chart(page, "Dépassements par priorité").ShouldBe("Dépassements par priorité: Haute 1, Normale 0");
        page.Find("table.dashboard-table tbody th").TextContent.ShouldBe("Billing");

        page.Find("input[name=to]").Change("2026-01-01");
        page.Find("input[name=from]").Change("2026-02-01");
        page.Find("form").Submit();

        page.WaitForAssertion(() => page.Find("[data-testid=action-error]").TextContent.ShouldContain("'to' must be after 'from'."));
    }

    [Fact]
    public void The_time_report_shows_the_months_hours_by_agent_and_account_refuses_no_month_and_downloads_the_csv()
    {
        var page = _context.Render<TimeReportPage>();
        page.WaitForElement("[data-testid=totals]");
        page.Find("input[name=month]").Change("2026-11");
        page.Find("form").Submit();

        page.WaitForAssertion(() => _api.Months[^1].ShouldBe("2026-11"));
        page.WaitForAssertion(() => Figure(page, "hours").ShouldBe("10.0 h"));
        Figure(page, "billable").ShouldBe("7.5 h");
        Figure(page, "nonBillable").ShouldBe("2.5 h");
        Chart(page, "Hours by agent").ShouldBe("Hours by agent: Ada Lovelace 7.5 h, agt_bob 2.5 h");
        Chart(page, "Hours by account").ShouldBe("Hours by account: Contoso 8.0 h, No account 2.0 h");
        page.Find("[data-testid=by-account] tbody tr").TextContent.ShouldContain("12.0 h");

        Button(page, "Download CSV").Click();
        page.WaitForAssertion(() => _download.VerifyInvoke("save").Arguments[0].ShouldBe("time-2026-11.csv"));

        page.Find("input[name=month]").Change("");
        page.Find("form").Submit();
        page.WaitForAssertion(() => page.Find("[data-testid=action-error]").TextContent.ShouldContain("The month is required, as YYYY-MM."));
    }

    [Fact]
    public void In_french_the_time_report_writes_hours_the_french_way()
    {
        UseCulture(French);
        var page = _context.Render<TimeReportPage>();

        page.WaitForAssertion(() => Figure(page, "billable").ShouldBe("7,5 h"));
        page.Find("h1").TextContent.ShouldBe("Rapport de temps");
        Chart(page, "Heures par compte").ShouldBe("Heures par compte: Contoso 8,0 h, Sans compte 2,0 h");
    }

    private static string Figure<T>(IRenderedComponent<T> page, string name)
        where T : Microsoft.AspNetCore.Components.IComponent => page.Find($"[data-figure={name}]").TextContent;

    private static string Chart<T>(IRenderedComponent<T> page, string title)
        where T : Microsoft.AspNetCore.Components.IComponent =>
        page.FindAll("figure.bar-chart").Single(f => f.QuerySelector("figcaption")!.TextContent == title).QuerySelector("svg")!.GetAttribute("aria-label")!;

    private static IElement Button<T>(IRenderedComponent<T> page, string text)
        where T : Microsoft.AspNetCore.Components.IComponent =>
        page.FindAll("fluent-button").Single(b => b.TextContent.Trim() == text);

    private static void UseCulture(CultureInfo culture) => CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = culture;

    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>Asynchronously, as the browser does: the file saver releases its JavaScript module that way only.</summary>
    public async Task DisposeAsync()
    {
        CultureInfo.CurrentCulture = _culture;
        CultureInfo.CurrentUICulture = _uiCulture;
        await _context.DisposeAsync();
        _api.Dispose();
    }

    /// <summary>GET /api/reports/sla and /time (JSON or CSV) and /api/teams, refusing what the API refuses.</summary>
    private sealed class FakeReportApi : HttpMessageHandler
    {
        public List<System.Collections.Specialized.NameValueCollection> SlaQueries { get; } = [];

        public List<string?> Months { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var query = HttpUtility.ParseQueryString(request.RequestUri!.Query);
            return Task.FromResult(request.RequestUri.AbsolutePath switch
            {
                "/api/teams" => Json(new JsonObject { ["items"] = new JsonArray(new JsonObject { ["id"] = "team_1", ["name"] = "Billing", ["active"] = true }), ["nextCursor"] = null }),
                "/api/reports/sla" => Sla(query),
                "/api/reports/time" => Time(query),
                _ => new HttpResponseMessage(HttpStatusCode.NotFound),
            });
        }

        private HttpResponseMessage Sla(System.Collections.Specialized.NameValueCollection query)
        {
            SlaQueries.Add(query);
            var from = DateTimeOffset.Parse(query["from"]!, CultureInfo.InvariantCulture);
            var to = DateTimeOffset.Parse(query["to"]!, CultureInfo.InvariantCulture);
            if (to <= from)
            {
                return Problem("to", "'to' must be after 'from'.");
            }

            if (query["format"] == "csv")
            {
                return Csv("sla-by-team.csv");
            }

            var rows = query["groupBy"] == "team"
                ? new JsonArray(Row("team_1", 3, 2, 100, 2, 100, 0), Row("(no team)", 1, 1, 0, 1, 0, 1))
                : new JsonArray(Row("high", 2, 2, 50, 2, 50, 1), Row("normal", 2, 2, 100, 1, 100, 0));
            return Json(new JsonObject { ["from"] = query["from"], ["to"] = query["to"], ["groupBy"] = query["groupBy"], ["rows"] = rows });
        }

        private HttpResponseMessage Time(System.Collections.Specialized.NameValueCollection query)
        {
            var month = query["month"];
            Months.Add(month);
            if (!DateOnly.TryParseExact(month + "-01", "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
            {
                return Problem("month", "The month is required, as YYYY-MM.");
            }

            if (query["format"] == "csv")
            {
                return Csv($"time-{month}.csv");
            }

            return Json(new JsonObject
            {
                ["month"] = month,
                ["totals"] = Minutes(600, 450),
                ["byAgent"] = new JsonArray(
                    new JsonObject { ["agentId"] = "agt_ada", ["name"] = "Ada Lovelace", ["time"] = Minutes(450, 450) },
                    new JsonObject { ["agentId"] = "agt_bob", ["name"] = null, ["time"] = Minutes(150, 0) }),
                ["byAccount"] = new JsonArray(
                    new JsonObject
                    {
                        ["accountId"] = "acc_contoso", ["name"] = "Contoso", ["time"] = Minutes(480, 450),
                        ["hourBank"] = new JsonObject { ["hoursIncluded"] = 20, ["hoursUsed"] = 8, ["hoursLeft"] = 12, ["overrunHours"] = 0, ["overrun"] = false },
                    },
                    new JsonObject { ["accountId"] = null, ["name"] = null, ["time"] = Minutes(120, 0), ["hourBank"] = null }),
                ["byTicket"] = new JsonArray(),
                ["expenses"] = new JsonArray(),
                ["expensesByAccount"] = new JsonArray(),
                ["byContract"] = new JsonArray(),
            });
        }

        private static JsonObject Row(string group, int tickets, int firstMeasured, double firstMet, int resolutionMeasured, double resolutionMet, int breaches) => new()
        {
            ["group"] = group, ["tickets"] = tickets,
            ["firstResponseMeasured"] = firstMeasured, ["firstResponseMetPercent"] = firstMet,
            ["resolutionMeasured"] = resolutionMeasured, ["resolutionMetPercent"] = resolutionMet,
            ["firstResponseMedianSeconds"] = 5400, ["resolutionMedianSeconds"] = 36000, ["breaches"] = breaches,
        };

        private static JsonObject Minutes(long minutes, long billable) => new()
        {
            ["minutes"] = minutes, ["billableMinutes"] = billable, ["nonBillableMinutes"] = minutes - billable,
        };

        private static HttpResponseMessage Json(JsonObject body) =>
            new(HttpStatusCode.OK) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };

        private static HttpResponseMessage Csv(string fileName)
        {
            var content = new StringContent("group,tickets\r\n", Encoding.UTF8, "text/csv");
            content.Headers.ContentDisposition = new System.Net.Http.Headers.ContentDispositionHeaderValue("attachment") { FileName = fileName };
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = content };
        }

        private static HttpResponseMessage Problem(string field, string reason)
        {
            var body = new JsonObject
            {
                ["type"] = "https://tools.ietf.org/html/rfc9110#section-15.5.1", ["title"] = "One or more validation errors occurred.", ["status"] = 400,
                ["errors"] = new JsonObject { [field] = new JsonArray(reason) },
            };
            return new HttpResponseMessage(HttpStatusCode.BadRequest) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/problem+json") };
        }
    }
}
