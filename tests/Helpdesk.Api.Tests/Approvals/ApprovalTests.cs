using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Helpdesk.Api.Approvals;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Tests.Infrastructure;
using Helpdesk.Api.Tests.Notifications;
using Helpdesk.Api.Triggers;
using MimeKit;
using Microsoft.Extensions.DependencyInjection;

namespace Helpdesk.Api.Tests.Approvals;

/// <summary>Approvals over HTTP: asking, deciding as the approver or through the email links, chains, reminders and expiry.</summary>
public sealed partial class ApprovalTests
{
    private sealed record World(NotificationsApp App, string TicketId, string AdaId, HttpClient Ada, string BobId, HttpClient Bob, string CidId, HttpClient Cid);

    private static async Task<World> WorldAsync()
    {
        var app = new NotificationsApp();
        var (adaId, ada) = await app.AgentAsync("ada@approvals.test");
        var (bobId, bob) = await app.AgentAsync("bob@approvals.test", Roles.Supervisor);
        var (cidId, cid) = await app.AgentAsync("cid@approvals.test");
        var ticketId = (await ada.OpenTicketAsync())["id"]!.GetValue<string>();
        return new World(app, ticketId, adaId, ada, bobId, bob, cidId, cid);
    }

    private static async Task<JsonNode> RequestAsync(World w, object body)
    {
        var response = await w.Ada.PostAsJsonAsync($"/api/tickets/{w.TicketId}/approvals", body);
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return await response.Json();
    }

    private static async Task<JsonNode> TicketAsync(World w) => await (await w.Ada.GetAsync($"/api/tickets/{w.TicketId}")).Json();

    private static async Task<List<string>> HistoryActionsAsync(World w) =>
        [.. (await (await w.Ada.GetAsync($"/api/tickets/{w.TicketId}/history?limit=200")).Json())["items"]!.AsArray().Select(e => e!["action"]!.GetValue<string>())];

    /// <summary>The approve link's token of the latest approval email sent to this address.</summary>
    private static string TokenMailedTo(NotificationsApp app, string address)
    {
        var folder = Path.Combine(app.DataFolder, "mail", "pickup");
        var mail = System.IO.Directory.GetFiles(folder, "*.eml")
            .Select(f => (At: File.GetLastWriteTimeUtc(f), Message: MimeMessage.Load(f)))
            .Where(m => m.Message.To.Mailboxes.Any(b => string.Equals(b.Address, address, StringComparison.OrdinalIgnoreCase)))
            .Where(m => m.Message.Headers["X-Helpdesk-Trigger"] == "approval.requested")
            .OrderBy(m => m.At).Last().Message;
        var bodies = mail.TextBody + mail.HtmlBody;
        var token = ApproveLink().Match(bodies).Groups["token"].Value;
        token.ShouldNotBeEmpty(bodies);
        return token;
    }

    [Fact]
    public async Task An_agent_asks_a_supervisor_and_the_ticket_shows_the_pending_approval()
    {
        var w = await WorldAsync();
        using var app = w.App;

        var response = await w.Ada.PostAsJsonAsync($"/api/tickets/{w.TicketId}/approvals", new { approverId = w.BobId, reason = "Refund 500 EUR" });

        response.StatusCode.ShouldBe(HttpStatusCode.Created);
        var approval = await response.Json();
        response.Headers.Location!.ToString().ShouldBe($"/api/approvals/{approval["id"]}");
        approval["status"]!.GetValue<string>().ShouldBe("pending");
        approval["requestedBy"]!.GetValue<string>().ShouldBe(w.AdaId);
        var ticket = await TicketAsync(w);
        ticket["pendingApproval"]!.GetValue<bool>().ShouldBeTrue();
        ticket["pendingApprovalId"]!.GetValue<string>().ShouldBe(approval["id"]!.GetValue<string>());
        (await HistoryActionsAsync(w)).ShouldContain("approvalRequested");
        (await (await w.Ada.GetAsync($"/api/tickets/{w.TicketId}/approvals")).Json())["items"]!.AsArray().Count.ShouldBe(1);
        await (await w.Ada.PostAsJsonAsync($"/api/tickets/{w.TicketId}/approvals", new { approverId = w.BobId, reason = "Again" })).ShouldBeProblem(409);
    }

    [Fact]
    public async Task The_approver_approves_through_the_api_and_the_requester_is_told()
    {
        var w = await WorldAsync();
        using var app = w.App;
        var id = (await RequestAsync(w, new { approverId = w.BobId, reason = "Refund 500 EUR" }))["id"]!.GetValue<string>();

        var decided = await w.Bob.PostAsJsonAsync($"/api/approvals/{id}/approve", new { comment = "Fine this once" });
        await app.PumpAsync();

        decided.StatusCode.ShouldBe(HttpStatusCode.OK, await decided.Content.ReadAsStringAsync());
        var approval = await decided.Json();
        approval["status"]!.GetValue<string>().ShouldBe("approved");
        var decision = approval["steps"]![0]!["decisions"]![0]!;
        decision["approverId"]!.GetValue<string>().ShouldBe(w.BobId);
        decision["comment"]!.GetValue<string>().ShouldBe("Fine this once");
        decision["at"].ShouldNotBeNull();
        (await TicketAsync(w))["pendingApproval"]!.GetValue<bool>().ShouldBeFalse();
        app.MailsTo("bob@approvals.test").ShouldContain(m => m.Trigger == "approval.requested");
        app.MailsTo("ada@approvals.test").ShouldContain(m => m.Trigger == "approval.decided" && m.Subject.Contains("approved", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_decision_on_a_closed_approval_is_409_and_from_someone_not_asked_403()
    {
        var w = await WorldAsync();
        using var app = w.App;
        var id = (await RequestAsync(w, new { approverId = w.BobId, reason = "Refund" }))["id"]!.GetValue<string>();

        await (await w.Cid.PostAsJsonAsync($"/api/approvals/{id}/approve", new { })).ShouldBeProblem(403);
        await (await w.Ada.PostAsJsonAsync($"/api/approvals/{id}/approve", new { })).ShouldBeProblem(403);
        (await w.Bob.PostAsJsonAsync($"/api/approvals/{id}/reject", new { comment = "No" })).EnsureSuccessStatusCode();
        await (await w.Bob.PostAsJsonAsync($"/api/approvals/{id}/approve", new { })).ShouldBeProblem(409);
        await (await w.Bob.PostAsJsonAsync("/api/approvals/apv_missing/approve", new { })).ShouldBeProblem(404);
    }

    [Fact]
    public async Task A_chain_moves_step_by_step_all_of_then_any_of()
    {
        var w = await WorldAsync();
        using var app = w.App;
        var (danId, dan) = await app.AgentAsync("dan@approvals.test");
        var id = (await RequestAsync(w, new
        {
            reason = "New laptop",
            steps = new object[]
            {
                new { mode = "allOf", approverIds = new[] { w.BobId, w.CidId } },
                new { mode = "anyOf", approverIds = new[] { danId, w.BobId } },
            },
        }))["id"]!.GetValue<string>();

        (await w.Cid.PostAsJsonAsync($"/api/approvals/{id}/approve", new { })).EnsureSuccessStatusCode();
        await (await dan.PostAsJsonAsync($"/api/approvals/{id}/approve", new { })).ShouldBeProblem(403);
        await (await w.Cid.PostAsJsonAsync($"/api/approvals/{id}/approve", new { })).ShouldBeProblem(409);
        var second = await (await w.Bob.PostAsJsonAsync($"/api/approvals/{id}/approve", new { })).Json();
        var done = await (await dan.PostAsJsonAsync($"/api/approvals/{id}/reject", new { comment = "Not this year" })).Json();

        second["currentStep"]!.GetValue<int>().ShouldBe(1);
        second["status"]!.GetValue<string>().ShouldBe("pending");
        done["status"]!.GetValue<string>().ShouldBe("rejected");
        (await HistoryActionsAsync(w)).Count(a => a == "approvalDecided").ShouldBe(3);
        await app.PumpAsync();
        app.MailsTo("dan@approvals.test").Count(m => m.Trigger == "approval.requested").ShouldBe(1);
    }

    [Fact]
    public async Task The_email_link_shows_on_get_decides_on_post_and_works_once()
    {
        var w = await WorldAsync();
        using var app = w.App;
        var id = (await RequestAsync(w, new { approverId = w.BobId, reason = "Refund 500 EUR" }))["id"]!.GetValue<string>();
        await app.PumpAsync();
        var token = TokenMailedTo(app, "bob@approvals.test");
        var anonymous = app.CreateClient();

        var shown = await anonymous.GetAsync($"/api/approval-links/{token}?decision=approve");
        var page = await anonymous.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/api/approval-links/{token}?decision=approve") { Headers = { { "Accept", "text/html" } } });
        var stillPending = await (await w.Bob.GetAsync($"/api/approvals/{id}")).Json();
        var decided = await anonymous.PostAsync($"/api/approval-links/{token}/approve", new FormUrlEncodedContent([new("comment", "Go ahead")]));
        var again = await anonymous.PostAsync($"/api/approval-links/{token}/reject", null);

        shown.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await shown.Json())["reason"]!.GetValue<string>().ShouldBe("Refund 500 EUR");
        (await page.Content.ReadAsStringAsync()).ShouldContain($"/api/approval-links/{token}/approve");
        stillPending["status"]!.GetValue<string>().ShouldBe("pending", "a GET, as a mail scanner does, decides nothing");
        decided.StatusCode.ShouldBe(HttpStatusCode.OK, await decided.Content.ReadAsStringAsync());
        var approval = await decided.Json();
        approval["status"]!.GetValue<string>().ShouldBe("approved");
        approval["steps"]![0]!["decisions"]![0]!["channel"]!.GetValue<string>().ShouldBe("link");
        approval["steps"]![0]!["decisions"]![0]!["comment"]!.GetValue<string>().ShouldBe("Go ahead");
        await again.ShouldBeProblem(409);
        (await w.Bob.GetAsync($"/api/approvals/{id}")).Headers.ETag!.Tag.ShouldBe("\"2\"", "the reused link changed nothing");
    }

    [Fact]
    public async Task Forged_expired_and_other_approver_links_are_refused_without_changing_anything()
    {
        var w = await WorldAsync();
        using var app = w.App;
        var id = (await RequestAsync(w, new { approverId = w.BobId, reason = "Refund" }))["id"]!.GetValue<string>();
        await app.PumpAsync();
        var token = TokenMailedTo(app, "bob@approvals.test");
        var links = app.Services.GetRequiredService<ApprovalLinks>();
        var expires = DateTimeOffset.Parse((await (await w.Bob.GetAsync($"/api/approvals/{id}")).Json())["expiresAt"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        var otherApprover = links.Create(new ApprovalLink(id, 0, w.CidId, expires));
        var forged = token[..^2] + (token[^2] == 'A' ? "B" : "A") + token[^1];
        var otherApproval = token.Replace(token.Split('.')[0], Convert.ToBase64String(Encoding.UTF8.GetBytes($"v1\n{id}\n0\n{w.CidId}\n{expires.ToUnixTimeSeconds()}")).TrimEnd('=').Replace('+', '-').Replace('/', '_'), StringComparison.Ordinal);
        var anonymous = app.CreateClient();

        await (await anonymous.PostAsync($"/api/approval-links/{forged}/approve", null)).ShouldBeProblem(404);
        await (await anonymous.PostAsync($"/api/approval-links/{otherApproval}/approve", null)).ShouldBeProblem(404);
        await (await anonymous.GetAsync($"/api/approval-links/{forged}")).ShouldBeProblem(404);
        await (await anonymous.PostAsync($"/api/approval-links/{otherApprover}/approve", null)).ShouldBeProblem(403);
        app.Clock.Advance(TimeSpan.FromDays(8));
        await (await anonymous.PostAsync($"/api/approval-links/{token}/approve", null)).ShouldBeProblem(410);

        var approval = await w.Bob.GetAsync($"/api/approvals/{id}");
        approval.Headers.ETag!.Tag.ShouldBe("\"1\"");
        (await approval.Json())["steps"]![0]!["decisions"]!.AsArray().ShouldBeEmpty();
        (await HistoryActionsAsync(w)).ShouldNotContain("approvalDecided");
    }

    [Fact]
    public async Task Pending_approvers_are_reminded_once_and_an_unanswered_approval_expires_for_the_requester()
    {
        var w = await WorldAsync();
        using var app = w.App;
        var id = (await RequestAsync(w, new { approverId = w.BobId, reason = "Refund" }))["id"]!.GetValue<string>();
        await app.PumpAsync();

        app.Clock.Advance(TimeSpan.FromHours(25));
        await RunDeadlinesAsync(app);
        await RunDeadlinesAsync(app);
        await app.PumpAsync();
        var reminders = app.MailsTo("bob@approvals.test").Count(m => m.Subject.Contains("Reminder", StringComparison.Ordinal));
        app.Clock.Advance(TimeSpan.FromDays(7));
        await RunDeadlinesAsync(app);
        await RunDeadlinesAsync(app);
        await app.PumpAsync();

        reminders.ShouldBe(1);
        (await (await w.Bob.GetAsync($"/api/approvals/{id}")).Json())["status"]!.GetValue<string>().ShouldBe("expired");
        (await TicketAsync(w))["pendingApproval"]!.GetValue<bool>().ShouldBeFalse();
        (await HistoryActionsAsync(w)).Count(a => a == "approvalExpired").ShouldBe(1);
        app.MailsTo("ada@approvals.test").ShouldHaveSingleItem().Subject.ShouldContain("expired");
        await (await w.Bob.PostAsJsonAsync($"/api/approvals/{id}/approve", new { })).ShouldBeProblem(409);
    }

    [Fact]
    public async Task The_requester_cancels_and_nobody_else_but_a_supervisor_may()
    {
        var w = await WorldAsync();
        using var app = w.App;
        var id = (await RequestAsync(w, new { approverId = "supervisors", reason = "Refund" }))["id"]!.GetValue<string>();

        await (await w.Cid.PostAsync($"/api/approvals/{id}/cancel", null)).ShouldBeProblem(403);
        var cancelled = await w.Ada.PostAsync($"/api/approvals/{id}/cancel", null);

        cancelled.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await cancelled.Json())["status"]!.GetValue<string>().ShouldBe("cancelled");
        (await TicketAsync(w))["pendingApproval"]!.GetValue<bool>().ShouldBeFalse();
        await (await w.Bob.PostAsJsonAsync($"/api/approvals/{id}/approve", new { })).ShouldBeProblem(409);
    }

    [Fact]
    public async Task A_request_names_every_bad_field_and_an_unknown_approver()
    {
        var w = await WorldAsync();
        using var app = w.App;
        var url = $"/api/tickets/{w.TicketId}/approvals";

        await (await w.Ada.PostAsJsonAsync(url, new { })).ShouldBeProblem(400, "reason");
        await (await w.Ada.PostAsJsonAsync(url, new { })).ShouldBeProblem(400, "approverId");
        await (await w.Ada.PostAsJsonAsync(url, new { approverId = "agt_nobody", reason = "x" })).ShouldBeProblem(400, "approverId");
        await (await w.Ada.PostAsJsonAsync(url, new { approverId = w.AdaId, reason = "x" })).ShouldBeProblem(400, "approverId");
        await (await w.Ada.PostAsJsonAsync(url, new { reason = "x", steps = new[] { new { mode = "anyOf", approverIds = new[] { w.BobId } }, new { mode = "anyOf", approverIds = new[] { w.AdaId } } } })).ShouldBeProblem(400, "steps[1].approverIds");
        await (await w.Ada.PostAsJsonAsync(url, new { reason = "x", steps = new[] { new { mode = "allOf", approverIds = Array.Empty<string>() } } })).ShouldBeProblem(400);
        await (await w.Ada.PostAsJsonAsync(url, new { reason = "x", approverId = w.BobId, unknown = 1 })).ShouldBeProblem(400);
        await (await w.Ada.PostAsJsonAsync("/api/tickets/t_missing/approvals", new { approverId = w.BobId, reason = "x" })).ShouldBeProblem(404);
    }

    [Fact]
    public async Task Customers_see_no_approvals_and_anonymous_callers_only_reach_links()
    {
        var w = await WorldAsync();
        using var app = w.App;
        var id = (await RequestAsync(w, new { approverId = w.BobId, reason = "Refund" }))["id"]!.GetValue<string>();
        var customer = app.ClientFor(Roles.Customer, "alice@contoso.com", "con_alice");

        await (await customer.GetAsync($"/api/approvals/{id}")).ShouldBeProblem(403);
        await (await customer.GetAsync($"/api/tickets/{w.TicketId}/approvals")).ShouldBeProblem(403);
        await (await customer.PostAsJsonAsync($"/api/approvals/{id}/approve", new { })).ShouldBeProblem(403);
        (await app.CreateClient().GetAsync($"/api/approvals/{id}")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    private static async Task RunDeadlinesAsync(NotificationsApp app)
    {
        await using var scope = app.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<ProcessApprovalDeadlines>().RunAsync(new TimerInfo(false, null, null), CancellationToken.None);
    }

    [GeneratedRegex(@"/api/approval-links/(?<token>[A-Za-z0-9_\-\.]+)\?decision=approve")]
    private static partial Regex ApproveLink();
}
