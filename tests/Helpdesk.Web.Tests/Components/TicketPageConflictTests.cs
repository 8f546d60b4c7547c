using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Bunit;
using Helpdesk.Web.Api;
using Helpdesk.Web.Api.Client;
using Helpdesk.Web.Pages.Tickets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.FluentUI.AspNetCore.Components;
using Microsoft.Kiota.Abstractions.Authentication;
using Microsoft.Kiota.Http.HttpClientLibrary;
using Microsoft.Kiota.Http.HttpClientLibrary.Middleware;

namespace Helpdesk.Web.Tests.Components;

/// <summary>
/// The ticket page's answer to a stale write (412), against an API played in memory so the race
/// is exact: a version the server recorded on its own (an SLA breach, no field changed) is taken
/// and the agent's change sent again; a version made by a person shows the conflict.
/// </summary>
public sealed class TicketPageConflictTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Opened = new(2026, 12, 7, 9, 0, 0, TimeSpan.Zero);
    private readonly BunitContext _context = new();
    private readonly FakeTicketApi _api = new();

    public TicketPageConflictTests()
    {
        _context.JSInterop.Mode = JSRuntimeMode.Loose;
        _context.Services.AddLocalization();
        _context.Services.AddFluentUIComponents();
        var http = new HttpClient(new HeadersInspectionHandler { InnerHandler = _api }) { BaseAddress = new Uri("http://api.test/") };
        _context.Services.AddSingleton(new ApiHttp(http));
        _context.Services.AddSingleton(new HelpdeskApiClient(new HttpClientRequestAdapter(new AnonymousAuthenticationProvider(), httpClient: http) { BaseUrl = "http://api.test" }));
        _context.Services.AddSingleton<ApiCalls>();
        _context.Services.AddSingleton<StaffDirectory>();
        _context.Services.AddScoped<BrowserFiles>();
    }

    [Fact]
    public void A_take_refused_because_the_sla_scan_recorded_a_breach_meanwhile_is_sent_again_with_the_new_version()
    {
        var page = _context.Render<TicketPage>(p => p.Add(c => c.Id, "t_1"));
        page.WaitForElement("h1 .ticket-number");

        _api.Change(new JsonObject { ["type"] = "system", ["id"] = "sla" }, "slaBreached", new JsonArray());
        Take(page);

        page.WaitForAssertion(() => page.Find("[data-testid=status]").TextContent.ShouldBe("Assigned"));
        page.FindAll("[data-testid=conflict]").ShouldBeEmpty();
        _api.TakeIfMatches.ShouldBe(["\"1\"", "\"2\""]);
    }

    [Fact]
    public void A_take_refused_for_a_breach_dated_before_the_version_shown_is_sent_again_with_the_new_version()
    {
        var page = _context.Render<TicketPage>(p => p.Add(c => c.Id, "t_1"));
        page.WaitForElement("h1 .ticket-number");

        // The scan started before the version shown was written and recorded the breach after it.
        _api.Record(Opened.AddSeconds(-30), new JsonObject { ["type"] = "system", ["id"] = "sla" }, "slaBreached");
        Take(page);

        page.WaitForAssertion(() => page.Find("[data-testid=status]").TextContent.ShouldBe("Assigned"));
        page.FindAll("[data-testid=conflict]").ShouldBeEmpty();
        _api.TakeIfMatches.ShouldBe(["\"1\"", "\"2\""]);
    }

    [Fact]
    public void A_take_refused_because_a_person_changed_the_ticket_shows_who_and_is_not_sent_again()
    {
        var page = _context.Render<TicketPage>(p => p.Add(c => c.Id, "t_1"));
        page.WaitForElement("h1 .ticket-number");

        _api.Change(new JsonObject { ["type"] = "agent", ["id"] = "agt_ada" }, "updated", new JsonArray(new JsonObject { ["field"] = "priority", ["from"] = "normal", ["to"] = "high" }));
        Take(page);

        page.WaitForAssertion(() => page.Find("[data-testid=conflict]").TextContent.ShouldContain("Ada Lovelace"));
        page.Find("[data-testid=status]").TextContent.ShouldBe("Open");
        _api.TakeIfMatches.ShouldBe(["\"1\""]);
    }

    [Fact]
    public void A_take_refused_because_an_sla_escalation_reassigned_the_ticket_shows_the_conflict()
    {
        var page = _context.Render<TicketPage>(p => p.Add(c => c.Id, "t_1"));
        page.WaitForElement("h1 .ticket-number");

        _api.Change(new JsonObject { ["type"] = "system", ["id"] = "sla" }, "assigned", new JsonArray(new JsonObject { ["field"] = "assigneeId", ["from"] = null, ["to"] = "agt_ada" }));
        Take(page);

        page.WaitForAssertion(() => page.FindAll("[data-testid=conflict]").ShouldNotBeEmpty());
        _api.TakeIfMatches.ShouldBe(["\"1\""]);
    }

    private static void Take(IRenderedComponent<TicketPage> page) =>
        page.FindAll("fluent-button").Single(b => b.TextContent.Trim() == "Take").Click();

    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>Asynchronously, as the browser does: the thread's file saver releases its JavaScript module that way only.</summary>
    public async Task DisposeAsync()
    {
        await _context.DisposeAsync();
        _api.Dispose();
    }

    /// <summary>One open ticket, its history and the take command, with versions and If-Match as the API has them.</summary>
    private sealed class FakeTicketApi : HttpMessageHandler
    {
        private readonly JsonArray _history = new(Entry(Opened, new JsonObject { ["type"] = "customer", ["id"] = "con_alice" }, "created", new JsonArray()));
        private long _version = 1;
        private DateTimeOffset _updatedAt = Opened;
        private string _status = "open";
        private string? _assignee;

        public List<string?> TakeIfMatches { get; } = [];

        /// <summary>Someone (or the server) changes the ticket: a new version with its history line.</summary>
        public void Change(JsonObject actor, string action, JsonArray changes)
        {
            _version++;
            _updatedAt = _updatedAt.AddMinutes(1);
            _history.Add(Entry(_updatedAt, actor, action, changes));
        }

        /// <summary>The server records a line dated <paramref name="at"/> in a new version, changing no field.</summary>
        public void Record(DateTimeOffset at, JsonObject actor, string action)
        {
            _version++;
            _history.Add(Entry(at, actor, action, new JsonArray()));
        }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var path = request.RequestUri!.AbsolutePath;
            return Task.FromResult((request.Method.Method, path) switch
            {
                ("GET", "/api/agents") => Json(new JsonObject { ["items"] = new JsonArray(Agent("agt_bob", "Bob Martin"), Agent("agt_ada", "Ada Lovelace")), ["nextCursor"] = null }),
                ("GET", "/api/tickets/t_1") => Ticket(),
                ("GET", "/api/tickets/t_1/messages") => Json(new JsonObject { ["items"] = new JsonArray(), ["nextCursor"] = null }),
                ("GET", "/api/tickets/t_1/time-entries") => Json(new JsonObject { ["items"] = new JsonArray(), ["nextCursor"] = null, ["totals"] = new JsonObject { ["minutes"] = 0, ["billableMinutes"] = 0 } }),
                ("GET", "/api/tickets/t_1/history") => Json(new JsonObject { ["items"] = _history.DeepClone(), ["nextCursor"] = null }),
                ("POST", "/api/tickets/t_1/take") => Take(request),
                _ => new HttpResponseMessage(HttpStatusCode.NotFound),
            });
        }

        private HttpResponseMessage Take(HttpRequestMessage request)
        {
            var ifMatch = request.Headers.TryGetValues("If-Match", out var values) ? values.Single() : null;
            TakeIfMatches.Add(ifMatch);
            if (ifMatch != $"\"{_version}\"")
            {
                return new HttpResponseMessage(HttpStatusCode.PreconditionFailed)
                {
                    Content = new StringContent("""{"title":"The ticket changed since you read it.","status":412}""", Encoding.UTF8, "application/problem+json"),
                };
            }

            _status = "assigned";
            _assignee = "agt_bob";
            Change(new JsonObject { ["type"] = "agent", ["id"] = "agt_bob" }, "taken", new JsonArray(new JsonObject { ["field"] = "status", ["from"] = "open", ["to"] = "assigned" }));
            return Ticket();
        }

        private HttpResponseMessage Ticket()
        {
            var response = Json(new JsonObject
            {
                ["id"] = "t_1",
                ["number"] = "HD-2026-00001",
                ["subject"] = "The export is empty",
                ["status"] = _status,
                ["priority"] = "normal",
                ["assigneeId"] = _assignee,
                ["requester"] = new JsonObject { ["name"] = "Alice Durand", ["email"] = "alice@contoso.com" },
                ["createdAt"] = Opened.ToString("O"),
                ["updatedAt"] = _updatedAt.ToString("O"),
            });
            response.Headers.ETag = new System.Net.Http.Headers.EntityTagHeaderValue($"\"{_version}\"");
            return response;
        }

        private static JsonObject Entry(DateTimeOffset at, JsonObject actor, string action, JsonArray changes) =>
            new() { ["at"] = at.ToString("O"), ["actor"] = actor, ["action"] = action, ["changes"] = changes };

        private static JsonObject Agent(string id, string name) =>
            new() { ["id"] = id, ["email"] = $"{id}@helpdesk.example", ["name"] = name, ["active"] = true };

        private static HttpResponseMessage Json(JsonNode body) =>
            new(HttpStatusCode.OK) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };
    }
}
