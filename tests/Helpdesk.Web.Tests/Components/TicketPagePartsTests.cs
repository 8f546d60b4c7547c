using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using AngleSharp.Dom;
using Bunit;
using Helpdesk.Web.Api;
using Helpdesk.Web.Api.Client;
using Helpdesk.Web.Components;
using Helpdesk.Web.Pages.Tickets;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.FluentUI.AspNetCore.Components;
using Microsoft.Kiota.Abstractions.Authentication;
using Microsoft.Kiota.Http.HttpClientLibrary;
using Microsoft.Kiota.Http.HttpClientLibrary.Middleware;

namespace Helpdesk.Web.Tests.Components;

/// <summary>
/// The ticket page's parts against the API's operations played in memory (their JSON, their
/// refusals as problem+json): the reply editor's canned responses, @mentions and files, the
/// thread's files and inline images, the SLA panel, private messages and the satisfaction panel.
/// </summary>
public sealed class TicketPagePartsTests : IAsyncLifetime
{
    private static readonly CultureInfo English = CultureInfo.GetCultureInfo("en-US");
    private static readonly CultureInfo French = CultureInfo.GetCultureInfo("fr-FR");
    private static readonly DateTimeOffset Opened = new(2026, 12, 7, 9, 0, 0, TimeSpan.Zero);
    private static readonly byte[] Png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
    private readonly BunitContext _context = new();
    private readonly FakeTicketApi _api = new();
    private readonly BunitJSModuleInterop _download;
    private readonly CultureInfo _culture = CultureInfo.CurrentCulture;
    private readonly CultureInfo _uiCulture = CultureInfo.CurrentUICulture;

    public TicketPagePartsTests()
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
        _download = _context.JSInterop.SetupModule("./js/download.js");
        _download.SetupVoid("save", _ => true);
        UseCulture(English);
    }

    [Fact]
    public void A_canned_response_is_inserted_as_the_api_filled_it_in_for_the_ticket_and_an_agent_picked_after_at_is_mentioned_by_address()
    {
        var page = Open();
        page.FindAll("#canned option").Select(o => o.TextContent).ShouldBe(["Insert a canned response…", "Export fixed", "Welcome"]);

        page.Find("#canned").Change("cr_export");

        page.WaitForAssertion(() => Body(page).ShouldBe("Hello Alice, the export of HD-2026-00001 works again."));
        _api.Requests.ShouldContain(r => r.Path == "/api/canned-responses/cr_export/render" && r.Body.Contains("\"ticketId\":\"t_1\"", StringComparison.Ordinal));

        page.Find("#message-body").Input(Body(page) + " @lov");
        page.Find("[data-testid=mentions]").TextContent.ShouldContain("Ada Lovelace");
        page.FindAll("[data-testid=mentions] button").Count.ShouldBe(1);
        page.Find("[data-testid=mentions] button").Click();

        Body(page).ShouldEndWith("works again. @agt_ada@helpdesk.example ");
        page.FindAll("[data-testid=mentions]").ShouldBeEmpty();
        page.Find("#message-body").Input(Body(page) + "can you check? @");
        page.FindAll("[data-testid=mentions] button").Count.ShouldBe(2);

        page.Find("form.editor").Submit();

        page.WaitForAssertion(() => page.Find(".message-public").TextContent.ShouldContain("@agt_ada@helpdesk.example can you check?"));
        Body(page).ShouldBeEmpty();
    }

    [Fact]
    public void A_reply_carries_its_files_a_file_the_api_refuses_is_named_with_its_reason_and_the_threads_files_download_and_show_inline()
    {
        _api.Messages.Add(Message("m_1", "customer", "<p>Here is the error <img src=\"cid:shot@mail\" alt=\"screenshot\"></p>",
            new JsonArray(File("a_shot", "shot.png", "image/png", inline: true, contentId: "shot@mail"))));
        var page = Open();
        page.WaitForAssertion(() => page.Find(".message-body img").GetAttribute("src").ShouldBe($"data:image/png;base64,{Convert.ToBase64String(Png)}"));

        page.FindComponent<InputFile>().UploadFiles(
            InputFileContent.CreateFromText("the log", "export.log", contentType: "text/plain"),
            InputFileContent.CreateFromBinary(new byte[64], "huge.bin", contentType: "application/octet-stream"));
        page.Find("[data-testid=chosen-files]").TextContent.ShouldContain("huge.bin");
        page.Find("#message-body").Input("The log of the failed export is attached.");
        page.Find("form.editor").Submit();

        page.WaitForAssertion(() => page.Find("[data-testid=editor-error]").TextContent.ShouldBe("huge.bin was not attached: A file is at most 16 bytes."));
        _api.Uploads.ShouldBe(["m_2:export.log", "m_2:huge.bin"]);
        var reply = page.Find(".message[data-message-id=m_2]");
        reply.TextContent.ShouldContain("The log of the failed export is attached.");
        reply.QuerySelectorAll(".message-files button").Select(b => b.TextContent).ShouldBe(["export.log"]);
        page.FindAll("[data-testid=chosen-files]").ShouldBeEmpty();

        page.Find(".message[data-message-id=m_2] .message-files button").Click();

        page.WaitForAssertion(() => _download.VerifyInvoke("save").Arguments[0].ShouldBe("export.log"));
        _download.VerifyInvoke("save").Arguments[1].ShouldBe("text/plain");
    }

    [Fact]
    public void The_sla_panel_says_which_target_is_met_paused_or_breached_and_how_late_in_french()
    {
        UseCulture(French);
        var page = Open();

        var panel = page.Find("[data-testid=sla-panel]");
        panel.QuerySelector("h2")!.TextContent.ShouldBe("SLA");
        Target(panel, "firstResponse").ShouldBe(["Première réponse", "Respecté", "—", ""]);
        Target(panel, "nextResponse").ShouldBe(["Réponse suivante", "En pause", "—", ""]);
        var resolution = Target(panel, "resolution");
        resolution[1].ShouldBe("Dépassé");
        resolution[2].ShouldBe(Opened.AddHours(4).ToLocalTime().ToString("g", French));
        resolution[3].ShouldBe("1 h 05 min de retard");
        panel.QuerySelector("tr[data-target=idle]").ShouldBeNull();
        panel.QuerySelector(".sla-badge")!.TextContent.ShouldContain("En retard");
    }

    [Fact]
    public void The_tabs_read_nothing_until_shown_then_list_and_add_activities_approvals_and_cost_lines_with_the_apis_reasons()
    {
        var page = Open();
        _api.Requests.ShouldNotContain(r => r.Path.EndsWith("/activities", StringComparison.Ordinal) || r.Path.EndsWith("/approvals", StringComparison.Ordinal)
            || r.Path.EndsWith("/cost-lines", StringComparison.Ordinal) || r.Path.EndsWith("/context", StringComparison.Ordinal));

        Tab(page, "Activities").Click();
        page.WaitForAssertion(() => page.Find("[data-testid=activities] tbody tr").TextContent.ShouldContain("Call Alice back"));
        page.Find("[data-testid=activities] tbody tr").TextContent.ShouldContain("Ada Lovelace");
        Tab(page, "Activities").GetAttribute("aria-selected").ShouldBe("true");
        page.Find("form.part-form").Submit();
        page.WaitForAssertion(() => page.Find("[data-testid=part-error]").TextContent.ShouldBe("The title is required."));
        var ticketReads = _api.Requests.Count(r => r.Method == "GET" && r.Path == "/api/tickets/t_1");
        page.Find("input[name=title]").Change("Send the fixed export");
        page.Find("select[name=kind]").Change("task");
        page.Find("form.part-form").Submit();
        page.WaitForAssertion(() => page.FindAll("[data-testid=activities] tbody tr").Count.ShouldBe(2));
        page.FindAll("[data-testid=part-error]").ShouldBeEmpty();
        page.WaitForAssertion(() => _api.Requests.Count(r => r.Method == "GET" && r.Path == "/api/tickets/t_1").ShouldBe(ticketReads + 1));

        Tab(page, "Approvals").Click();
        page.WaitForAssertion(() => page.Find("[data-testid=approvals] li").TextContent.ShouldContain("Pending"));
        page.Find("[data-testid=approvals] li").TextContent.ShouldContain("waiting for Ada Lovelace");
        page.Find("select[name=approver]").Change("agt_ada");
        page.Find("input[name=reason]").Change("A second refund");
        page.Find("form.part-form").Submit();
        page.WaitForAssertion(() => page.Find("[data-testid=part-error]").TextContent.ShouldBe("The ticket already waits for an approval."));
        _api.Requests.Last(r => r.Path == "/api/tickets/t_1/approvals").Body.ShouldContain("\"approverId\":\"agt_ada\"");

        Tab(page, "Cost lines").Click();
        page.WaitForAssertion(() => page.Find("[data-testid=cost-totals]").TextContent.ShouldBe("Total 150.00 EUR (billable 100.00 EUR)"));
        page.Find("select[name=kind]").Change("expense");
        page.Find("input[name=description]").Change("Travel to the site");
        page.Find("input[name=quantity]").Change("2");
        page.Find("input[name=unitPrice]").Change("12.5");
        page.Find("form.part-form").Submit();
        page.WaitForAssertion(() => page.FindAll("[data-testid=cost-lines] tbody tr").Count.ShouldBe(3));
        var posted = JsonNode.Parse(_api.Requests.Last(r => r.Method == "POST" && r.Path == "/api/tickets/t_1/cost-lines").Body)!;
        (posted["kind"]!.GetValue<string>(), posted["quantity"]!.GetValue<double>(), posted["unitPrice"]!.GetValue<double>(), posted["currency"]!.GetValue<string>())
            .ShouldBe(("expense", 2, 12.5, "EUR"));
    }

    [Fact]
    public void A_merge_names_the_target_and_waits_for_confirmation_and_the_customer_context_says_the_customers_systems_are_unavailable()
    {
        var page = Open();
        Tab(page, "Related tickets").Click();
        page.WaitForAssertion(() => page.Find("[data-relation=mergedFrom] a").TextContent.ShouldBe("HD-2026-00000 Old export issue"));

        page.Find("input[name=intoId]").Change("t_9");
        page.Find("form.part-form").Submit();
        page.WaitForAssertion(() => page.Find("[data-testid=part-error]").TextContent.ShouldBe("No ticket has this id."));
        page.Find("input[name=intoId]").Change("t_2");
        page.Find("form.part-form").Submit();
        page.WaitForAssertion(() => page.Find("[data-testid=merge-confirm]").TextContent.ShouldContain("Merge HD-2026-00001 into HD-2026-00002 Export empty again?"));
        _api.Requests.ShouldNotContain(r => r.Path == "/api/tickets/t_1/merge");

        page.FindAll("[data-testid=merge-confirm] fluent-button").Single(b => b.TextContent.Trim() == "Yes, merge").Click();

        page.WaitForAssertion(() => page.Find("[data-relation=mergedInto] a").GetAttribute("href").ShouldBe("tickets/t_2"));
        _api.MergeIfMatch.ShouldBe("\"3\"");
        _api.Requests.Single(r => r.Path == "/api/tickets/t_1/merge").Body.ShouldBe("{\"intoId\":\"t_2\"}");
        page.FindAll("input[name=intoId]").ShouldBeEmpty();

        page.Find("[data-testid=customer-context] h2 button").Click();
        page.WaitForAssertion(() => page.Find("[data-testid=account]").TextContent.ShouldContain("2 open of 5 tickets"));
        page.Find("[data-testid=account]").TextContent.ShouldContain("Contoso");
        page.Find("[data-testid=previous-tickets] a").GetAttribute("href").ShouldBe("tickets/t_0");
        page.Find("[data-testid=provider]").TextContent.Trim().ShouldBe("The customer's systems are unavailable right now.");
    }

    [Fact]
    public void A_private_message_goes_to_the_agents_and_addresses_listed_and_the_thread_shows_it_apart_with_its_recipients()
    {
        var page = Open();
        page.Find("input[name=visibility][value=private]").Change("private");
        page.Find("#message-body").ClassList.ShouldContain("editor-private");
        page.Find("#message-body").Input("Can you ship a replacement disk?");
        page.Find("form.editor fluent-button").HasAttribute("disabled").ShouldBeTrue("a private message needs a recipient");
        page.FindAll("#agent-addresses option").Select(o => o.GetAttribute("value")).ShouldBe(["agt_ada@helpdesk.example", "agt_bob@helpdesk.example"], "by name");

        page.Find("#private-recipient").Input("agt_ada@helpdesk.example");
        page.Find("[data-testid=add-recipient]").Click();
        page.Find("#private-recipient").Input("supplier at example.com");
        page.Find("[data-testid=add-recipient]").Click();
        page.Find("[data-testid=editor-error]").TextContent.ShouldBe("supplier at example.com is not an email address.");
        page.Find("#private-recipient").Input("AGT_ADA@helpdesk.example");
        page.Find("[data-testid=add-recipient]").Click();
        page.Find("#private-recipient").Input("orders@supplier.example");
        page.Find("form.editor").Submit();

        page.WaitForAssertion(() => page.Find(".message-private").TextContent.ShouldContain("Can you ship a replacement disk?"));
        var posted = JsonNode.Parse(_api.Requests.Single(r => r.Method == "POST" && r.Path == "/api/tickets/t_1/messages").Body)!;
        posted["visibility"]!.GetValue<string>().ShouldBe("private");
        posted["to"]!.AsArray().Select(a => a!.GetValue<string>()).ShouldBe(["agt_ada@helpdesk.example", "orders@supplier.example"]);
        var shown = page.Find(".message-private");
        shown.QuerySelector(".message-kind")!.TextContent.ShouldBe("Private message");
        shown.QuerySelector("[data-testid=message-to]")!.TextContent.ShouldBe("To: agt_ada@helpdesk.example, orders@supplier.example");
        page.FindAll("[data-testid=recipients]").ShouldBeEmpty();

        page.Find("input[name=visibility][value=public]").Change("public");
        page.Find("#message-body").Input("We are shipping a new disk.");
        page.Find("form.editor").Submit();
        page.WaitForAssertion(() => page.FindAll(".message").Count.ShouldBe(2));
        JsonNode.Parse(_api.Requests.Last(r => r.Method == "POST" && r.Path == "/api/tickets/t_1/messages").Body)!["to"].ShouldBeNull();
        page.Find(".message-public").QuerySelector("[data-testid=message-to]").ShouldBeNull();
    }

    [Fact]
    public void The_satisfaction_panel_shows_the_score_and_comment_the_waiting_or_expired_survey_and_a_refusal_in_french()
    {
        UseCulture(French);
        _api.Satisfaction = new JsonObject
        {
            ["state"] = "answered", ["sentAt"] = Opened.ToString("O"), ["expiresAt"] = Opened.AddDays(30).ToString("O"),
            ["score"] = 2, ["comment"] = "Trop lent", ["answeredAt"] = Opened.AddDays(1).ToString("O"),
        };
        var page = Open();
        page.WaitForAssertion(() => page.Find("[data-testid=csat-score]").TextContent.ShouldBe("2 / 5"));
        page.Find("[data-testid=csat-panel] h2").TextContent.ShouldBe("Satisfaction client");
        page.Find("[data-testid=csat-comment]").TextContent.ShouldBe("Trop lent");
        page.Find("[data-testid=csat-panel] .csat-when").TextContent.ShouldBe($"Répondu le {Opened.AddDays(1).ToLocalTime().ToString("g", French)}");

        _api.Satisfaction = new JsonObject { ["state"] = "sent", ["sentAt"] = Opened.ToString("O"), ["expiresAt"] = Opened.AddDays(30).ToString("O") };
        var sent = _context.Render<SatisfactionPanel>(p => p.Add(c => c.TicketId, "t_1"));
        sent.WaitForAssertion(() => sent.Find("[data-testid=csat-state]").TextContent.ShouldBe(
            $"Enquête envoyée le {Opened.ToLocalTime().ToString("g", French)}, ouverte jusqu'au {Opened.AddDays(30).ToLocalTime().ToString("g", French)} ; pas encore de réponse."));

        _api.Satisfaction = new JsonObject { ["state"] = "expired", ["sentAt"] = Opened.ToString("O"), ["expiresAt"] = Opened.AddDays(30).ToString("O") };
        var expired = _context.Render<SatisfactionPanel>(p => p.Add(c => c.TicketId, "t_1"));
        expired.WaitForAssertion(() => expired.Find("[data-testid=csat-state]").TextContent.ShouldStartWith("Enquête envoyée le "));
        expired.Find("[data-testid=csat-state]").TextContent.ShouldContain("expirée le");

        _api.Satisfaction = new JsonObject { ["state"] = "notSent" };
        var none = _context.Render<SatisfactionPanel>(p => p.Add(c => c.TicketId, "t_1"));
        none.WaitForAssertion(() => none.Find("[data-testid=csat-state]").TextContent.ShouldBe("Aucune enquête n'a été envoyée."));

        _api.Satisfaction = null;
        var refused = _context.Render<SatisfactionPanel>(p => p.Add(c => c.TicketId, "t_1"));
        refused.WaitForAssertion(() => refused.Find("[data-testid=part-error]").TextContent.ShouldStartWith("L'enquête de satisfaction n'a pas pu être lue"));
    }

    private IRenderedComponent<TicketPage> Open()
    {
        var page = _context.Render<TicketPage>(p => p.Add(c => c.Id, "t_1"));
        page.WaitForElement("h1 .ticket-number");
        page.WaitForAssertion(() => page.FindAll("#canned option").Count.ShouldBeGreaterThan(1));
        return page;
    }

    private static IElement Tab(IRenderedComponent<TicketPage> page, string name) =>
        page.FindAll("[role=tab]").Single(t => t.TextContent.Trim() == name);

    private static string Body(IRenderedComponent<TicketPage> page) => page.Find("#message-body").GetAttribute("value") ?? string.Empty;

    private static string[] Target(IElement panel, string name) =>
        [.. panel.QuerySelector($"tr[data-target={name}]")!.Children.Select(c => c.TextContent.Trim())];

    private static void UseCulture(CultureInfo culture) => CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = culture;

    private static JsonObject Message(string id, string authorType, string body, JsonArray files) => new()
    {
        ["id"] = id, ["ticketId"] = "t_1", ["at"] = Opened.ToString("O"), ["visibility"] = "public", ["body"] = body, ["text"] = body,
        ["author"] = new JsonObject { ["type"] = authorType, ["id"] = authorType == "agent" ? "agt_bob" : "con_alice", ["name"] = authorType == "agent" ? "Bob Martin" : "Alice Durand" },
        ["cc"] = new JsonArray(), ["attachments"] = files, ["source"] = "api",
    };

    private static JsonObject File(string id, string name, string type, bool inline = false, string? contentId = null) => new()
    {
        ["id"] = id, ["fileName"] = name, ["contentType"] = type, ["size"] = 8, ["inline"] = inline, ["contentId"] = contentId,
    };

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        CultureInfo.CurrentCulture = _culture;
        CultureInfo.CurrentUICulture = _uiCulture;
        await _context.DisposeAsync();
        _api.Dispose();
    }

    /// <summary>One ticket with an SLA, its conversation and files, the agents and the canned responses, as the API answers them.</summary>
    private sealed class FakeTicketApi : HttpMessageHandler
    {
        private const long MaxFileBytes = 16;
        private readonly Dictionary<string, (string Name, string Type, byte[] Bytes)> _files = new(StringComparer.Ordinal) { ["a_shot"] = ("shot.png", "image/png", Png) };

        public List<(string Method, string Path, string Body)> Requests { get; } = [];

        public List<JsonObject> Messages { get; } = [];

        public List<string> Uploads { get; } = [];

        public string? MergeIfMatch { get; private set; }

        /// <summary>The ticket's survey as the API answers it; null: the API refuses (403).</summary>
        public JsonObject? Satisfaction { get; set; } = new() { ["state"] = "notSent" };

        private readonly JsonArray _activities = new(new JsonObject
        {
            ["id"] = "act_1", ["ticketId"] = "t_1", ["createdBy"] = "agt_bob", ["done"] = false, ["datedAt"] = Opened.AddDays(1).ToString("O"),
            ["details"] = new JsonObject { ["kind"] = "call", ["title"] = "Call Alice back", ["ownerId"] = "agt_ada", ["onSite"] = false },
        });

        private readonly JsonArray _costLines = new(CostLine("cl_1", "product", "Export licence", 1, 100, true), CostLine("cl_2", "expense", "Courier", 1, 50, false));

        private string? _mergedInto;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var path = request.RequestUri!.AbsolutePath;
            var body = request.Content is null ? string.Empty : await request.Content.ReadAsStringAsync(cancellationToken);
            Requests.Add((request.Method.Method, path, body));
            var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
            return (request.Method.Method, path) switch
            {
                ("GET", "/api/agents") => Json(new JsonObject { ["items"] = new JsonArray(Agent("agt_bob", "Bob Martin"), Agent("agt_ada", "Ada Lovelace")), ["nextCursor"] = null }),
                ("GET", "/api/canned-responses") => Json(new JsonObject
                {
                    ["items"] = new JsonArray(Canned("cr_welcome", "Welcome", true), Canned("cr_old", "Old greeting", false), Canned("cr_export", "Export fixed", true)),
                    ["nextCursor"] = null,
                }),
                ("POST", "/api/canned-responses/cr_export/render") => Json(new JsonObject
                {
                    ["body"] = "<p>Hello Alice, the export of HD-2026-00001 works again.</p>", ["text"] = "Hello Alice, the export of HD-2026-00001 works again.",
                }),
                ("GET", "/api/tickets/t_1") => Ticket(),
                ("GET", "/api/tickets/t_1/messages") => Json(new JsonObject { ["items"] = new JsonArray([.. Messages.Select(m => m.DeepClone())]), ["nextCursor"] = null }),
                ("POST", "/api/tickets/t_1/messages") => Post(JsonNode.Parse(body)!),
                ("GET", "/api/tickets/t_1/time-entries") => Json(new JsonObject { ["items"] = new JsonArray(), ["nextCursor"] = null, ["totals"] = new JsonObject { ["minutes"] = 0, ["billableMinutes"] = 0 } }),
                ("GET", "/api/tickets/t_1/history") => Json(new JsonObject { ["items"] = new JsonArray(), ["nextCursor"] = null }),
                ("GET", "/api/tickets/t_1/activities") => Json(new JsonObject { ["items"] = _activities.DeepClone(), ["nextCursor"] = null }),
                ("POST", "/api/tickets/t_1/activities") => AddActivity(JsonNode.Parse(body)!),
                ("GET", "/api/tickets/t_1/approvals") => Json(new JsonObject { ["items"] = new JsonArray(Approval()), ["nextCursor"] = null }),
                ("POST", "/api/tickets/t_1/approvals") => Problem(HttpStatusCode.Conflict, "The ticket waits for an approval.", "The ticket already waits for an approval."),
                ("GET", "/api/tickets/t_1/cost-lines") => CostLines(),
                ("POST", "/api/tickets/t_1/cost-lines") => AddCostLine(JsonNode.Parse(body)!),
                ("GET", "/api/tickets/t_0") => Json(Summary("t_0", "HD-2026-00000", "Old export issue")),
                ("GET", "/api/tickets/t_2") => Json(Summary("t_2", "HD-2026-00002", "Export empty again")),
                ("GET", "/api/tickets/t_9") => Problem(HttpStatusCode.NotFound, "Not found", "No ticket has this id."),
                ("POST", "/api/tickets/t_1/merge") => Merge(request),
                ("GET", "/api/tickets/t_1/context") => Context(),
                ("GET", "/api/tickets/t_1/satisfaction") => Satisfaction is { } survey
                    ? Json(survey.DeepClone())
                    : Problem(HttpStatusCode.Forbidden, "Forbidden", "Staff only."),
                ("POST", _) when segments is ["api", "tickets", "t_1", "messages", var messageId, "attachments"] => await UploadAsync(messageId, request, cancellationToken),
                ("GET", _) when segments is ["api", "tickets", "t_1", "attachments", var fileId] && _files.TryGetValue(fileId, out var file) => Download(file),
                _ => new HttpResponseMessage(HttpStatusCode.NotFound),
            };
        }

        private HttpResponseMessage AddActivity(JsonNode request)
        {
            if (string.IsNullOrWhiteSpace(request["title"]?.GetValue<string>()))
            {
                return Problem(HttpStatusCode.BadRequest, "One or more validation errors occurred.", "The title is required.");
            }

            _activities.Add(new JsonObject
            {
                ["id"] = $"act_{_activities.Count + 1}", ["ticketId"] = "t_1", ["createdBy"] = "agt_bob", ["done"] = false,
                ["details"] = new JsonObject { ["kind"] = request["kind"]?.DeepClone(), ["title"] = request["title"]!.DeepClone(), ["ownerId"] = "agt_bob", ["onSite"] = false },
            });
            return Json(_activities[^1]!.DeepClone(), HttpStatusCode.Created);
        }

        private static JsonObject Approval() => new()
        {
            ["id"] = "apr_1", ["ticketId"] = "t_1", ["requestedBy"] = "agt_bob", ["reason"] = "Refund over 500 EUR", ["currentStep"] = 0, ["status"] = "pending", ["isPending"] = true,
            ["createdAt"] = Opened.ToString("O"), ["expiresAt"] = Opened.AddDays(3).ToString("O"),
            ["steps"] = new JsonArray(new JsonObject { ["mode"] = "anyOf", ["approverIds"] = new JsonArray("agt_ada"), ["decisions"] = new JsonArray(), ["status"] = "pending", ["waiting"] = new JsonArray("agt_ada") }),
            ["current"] = new JsonObject { ["mode"] = "anyOf", ["approverIds"] = new JsonArray("agt_ada"), ["decisions"] = new JsonArray(), ["status"] = "pending", ["waiting"] = new JsonArray("agt_ada") },
        };

        private HttpResponseMessage CostLines()
        {
            var lines = _costLines.Select(l => l!).ToList();
            return Json(new JsonObject
            {
                ["items"] = _costLines.DeepClone(), ["nextCursor"] = null,
                ["totals"] = new JsonArray(new JsonObject
                {
                    ["currency"] = "EUR", ["amount"] = lines.Sum(l => l["amount"]!.GetValue<double>()),
                    ["billableAmount"] = lines.Where(l => l["billable"]!.GetValue<bool>()).Sum(l => l["amount"]!.GetValue<double>()),
                }),
            });
        }

        private HttpResponseMessage AddCostLine(JsonNode request)
        {
            _costLines.Add(CostLine($"cl_{_costLines.Count + 1}", request["kind"]!.GetValue<string>(), request["description"]!.GetValue<string>(),
                request["quantity"]!.GetValue<double>(), request["unitPrice"]!.GetValue<double>(), request["billable"]!.GetValue<bool>()));
            return Json(_costLines[^1]!.DeepClone(), HttpStatusCode.Created);
        }

        private static JsonObject CostLine(string id, string kind, string description, double quantity, double unitPrice, bool billable) => new()
        {
            ["id"] = id, ["ticketId"] = "t_1", ["agentId"] = "agt_bob", ["kind"] = kind, ["description"] = description, ["quantity"] = quantity, ["unitPrice"] = unitPrice,
            ["currency"] = "EUR", ["billable"] = billable, ["date"] = "2026-12-07", ["amount"] = quantity * unitPrice,
        };

        private HttpResponseMessage Merge(HttpRequestMessage request)
        {
            MergeIfMatch = request.Headers.TryGetValues("If-Match", out var values) ? values.Single() : null;
            _mergedInto = "t_2";
            return Ticket();
        }

        private static HttpResponseMessage Context() => Json(new JsonObject
        {
            ["ticketId"] = "t_1",
            ["requester"] = new JsonObject { ["name"] = "Alice Durand", ["email"] = "alice@contoso.com" },
            ["account"] = new JsonObject { ["id"] = "acc_contoso", ["name"] = "Contoso", ["domains"] = new JsonArray("contoso.com"), ["contacts"] = new JsonArray(), ["openTickets"] = 2, ["totalTickets"] = 5 },
            ["slaPolicy"] = new JsonObject { ["id"] = "sla_standard", ["name"] = "Standard" },
            ["previousTickets"] = new JsonObject { ["items"] = new JsonArray(Summary("t_0", "HD-2026-00000", "Old export issue")), ["nextCursor"] = null },
            ["extensions"] = new JsonObject(),
            ["extensionsStatus"] = "unavailable",
        });

        private static JsonObject Summary(string id, string number, string subject) => new()
        {
            ["id"] = id, ["number"] = number, ["subject"] = subject, ["status"] = "closed", ["priority"] = "normal",
            ["createdAt"] = Opened.ToString("O"), ["updatedAt"] = Opened.ToString("O"),
        };

        private HttpResponseMessage Post(JsonNode request)
        {
            var message = Message($"m_{Messages.Count + 1}", "agent", request["body"]!.GetValue<string>(), new JsonArray());
            message["visibility"] = request["visibility"]!.DeepClone();
            if (request["to"] is JsonArray to)
            {
                message["to"] = to.DeepClone();
            }
            Messages.Add(message);
            return Json(message.DeepClone(), HttpStatusCode.Created);
        }

        /// <summary>One file in a part named file, refused over the size limit with the API's 413 problem.</summary>
        private async Task<HttpResponseMessage> UploadAsync(string messageId, HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var form = (MultipartFormDataContent)request.Content!;
            var part = form.Single();
            var name = part.Headers.ContentDisposition!.FileName!.Trim('"');
            part.Headers.ContentDisposition.Name!.Trim('"').ShouldBe("file");
            var bytes = await part.ReadAsByteArrayAsync(cancellationToken);
            Uploads.Add($"{messageId}:{name}");
            if (bytes.Length > MaxFileBytes)
            {
                return Problem(HttpStatusCode.RequestEntityTooLarge, "The file is too large.", $"A file is at most {MaxFileBytes} bytes.");
            }

            var id = $"a_{_files.Count}";
            var type = part.Headers.ContentType?.MediaType ?? "application/octet-stream";
            _files[id] = (name, type, bytes);
            var file = File(id, name, type);
            ((JsonArray)Messages.Single(m => m["id"]!.GetValue<string>() == messageId)["attachments"]!).Add(file.DeepClone());
            return Json(file, HttpStatusCode.Created);
        }

        private static HttpResponseMessage Download((string Name, string Type, byte[] Bytes) file)
        {
            var content = new ByteArrayContent(file.Bytes);
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(file.Type);
            content.Headers.ContentDisposition = new System.Net.Http.Headers.ContentDispositionHeaderValue("attachment") { FileName = file.Name };
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = content };
        }

        private HttpResponseMessage Ticket()
        {
            var response = Json(new JsonObject
            {
                ["id"] = "t_1",
                ["number"] = "HD-2026-00001",
                ["subject"] = "The export is empty",
                ["status"] = "inProgress",
                ["priority"] = "normal",
                ["assigneeId"] = "agt_bob",
                ["requester"] = new JsonObject { ["name"] = "Alice Durand", ["email"] = "alice@contoso.com" },
                ["createdAt"] = Opened.ToString("O"),
                ["updatedAt"] = Opened.ToString("O"),
                ["mergedFromIds"] = new JsonArray("t_0"),
                ["mergedIntoId"] = _mergedInto,
                ["sla"] = new JsonObject
                {
                    ["policyId"] = "sla_standard",
                    ["firstResponse"] = Target(null, "met", 0),
                    ["nextResponse"] = Target(null, "paused", 1800),
                    ["resolution"] = Target(Opened.AddHours(4), "breached", -3900),
                    ["idle"] = null,
                    ["reachStatus"] = new JsonArray(),
                    ["color"] = "red",
                    ["chatFirstResponse"] = false,
                },
            });
            response.Headers.ETag = new System.Net.Http.Headers.EntityTagHeaderValue("\"3\"");
            return response;
        }

        private static JsonObject Target(DateTimeOffset? dueAt, string state, long remaining) =>
            new() { ["dueAt"] = dueAt?.ToString("O"), ["state"] = state, ["remainingSeconds"] = remaining };

        private static JsonObject Canned(string id, string name, bool active) =>
            new() { ["id"] = id, ["name"] = name, ["body"] = $"<p>{name} {{{{ticket.number}}}}</p>", ["active"] = active };

        private static JsonObject Agent(string id, string name) =>
            new() { ["id"] = id, ["email"] = $"{id}@helpdesk.example", ["name"] = name, ["active"] = true };

        private static HttpResponseMessage Json(JsonNode body, HttpStatusCode status = HttpStatusCode.OK) =>
            new(status) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };

        private static HttpResponseMessage Problem(HttpStatusCode status, string title, string detail) =>
            new(status)
            {
                Content = new StringContent(new JsonObject { ["title"] = title, ["status"] = (int)status, ["detail"] = detail }.ToJsonString(), Encoding.UTF8, "application/problem+json"),
            };
    }
}
