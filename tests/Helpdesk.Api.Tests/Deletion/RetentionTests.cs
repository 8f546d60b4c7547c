using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Retention;
using Helpdesk.Api.Tests.Infrastructure;
using Helpdesk.Api.Triggers;
using Microsoft.Extensions.DependencyInjection;

namespace Helpdesk.Api.Tests.Deletion;

/// <summary>
/// Retention policies through the API and the <c>PurgeExpiredTickets</c> timer. One helpdesk serves
/// the class, with a small batch so a run's bound shows; the policy is the helpdesk's, so each test
/// replaces it whole (with the ETag it reads) and scopes its rules to accounts of its own.
/// </summary>
public sealed class RetentionTests(RetentionTests.RetentionApp app) : IClassFixture<RetentionTests.RetentionApp>
{
    /// <summary>Two tickets a run, so a test sees the timer stop at its bound and the next run go on.</summary>
    public sealed class RetentionApp : HelpdeskApp
    {
        public RetentionApp() => With("Retention:BatchSize", "2");
    }

    private HttpClient Agent => app.ClientFor(Roles.Agent, "ret.agent@helpdesk.test");

    [Fact]
    public async Task The_preview_and_the_timer_purge_closed_tickets_past_the_most_specific_rule_and_keep_the_rest()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var acme = await app.AccountAsync($"Acme {tag}", $"acme-{tag}.test");
        var bolt = await app.AccountAsync($"Bolt {tag}", $"bolt-{tag}.test");
        var expiredRequest = await TicketAsync(acme, "request", "Acme request");
        var bytes = System.Text.Encoding.UTF8.GetBytes($"retained log {tag}");
        var upload = new MultipartFormDataContent { { new ByteArrayContent(bytes) { Headers = { ContentType = new MediaTypeHeaderValue("text/plain") } }, "file", "log.txt" } };
        (await Agent.PostAsync($"/api/tickets/{expiredRequest}/attachments", upload)).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await Agent.PostAsync($"/api/tickets/{expiredRequest}/close", null)).EnsureSuccessStatusCode();
        var keptIncident = await ClosedAsync(acme, "incident", "Acme incident, kept three years");
        var expiredQuestion = await ClosedAsync(acme, "question", "Acme question: the account rule, not the type rule");
        var stillOpen = await TicketAsync(acme, "request", "Acme request still open");
        var questionOfBolt = await ClosedAsync(bolt, "question", "Bolt question");
        var noRule = await ClosedAsync(bolt, "request", "Bolt request, no rule");
        var deleted = await ClosedAsync(acme, "request", "Acme request deleted");
        (await app.ClientFor(Roles.Supervisor, "ret.sup@helpdesk.test").DeleteAsync($"/api/tickets/{deleted}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        await SetPolicyAsync(
            new { name = $"acme-{tag}", accountId = acme, months = 12 },
            new { name = $"acme-incidents-{tag}", accountId = acme, type = "incident", months = 36 },
            new { name = $"questions-{tag}", type = "question", months = 6 });

        app.Clock.Advance(TimeSpan.FromDays(7 * 31));
        var recent = await ClosedAsync(acme, "request", "Acme request closed later");
        var early = await PreviewAsync(50);

        Ids(early).ShouldBe([questionOfBolt], "seven months on only the six-month type rule is due");
        Count(early, $"acme-{tag}").ShouldBe(0);
        Count(early, $"questions-{tag}").ShouldBe(1);

        app.Clock.Advance(TimeSpan.FromDays(6 * 31));
        var first = await PreviewAsync(2);
        var second = await PreviewAsync(2, first["nextCursor"]!.GetValue<string>());

        second["nextCursor"].ShouldBeNull();
        var listed = first["items"]!.AsArray().Concat(second["items"]!.AsArray()).ToList();
        listed.Select(i => i!["id"]!.GetValue<string>()).ShouldBe([expiredRequest, expiredQuestion, deleted, questionOfBolt], ignoreOrder: true);
        listed.Single(i => i!["id"]!.GetValue<string>() == expiredQuestion)!["rule"]!.GetValue<string>().ShouldBe($"acme-{tag}", "the account's rule beats the type's");
        listed.Single(i => i!["id"]!.GetValue<string>() == deleted)!["deleted"]!.GetValue<bool>().ShouldBeTrue();
        (Count(first, $"acme-{tag}"), Count(first, $"acme-incidents-{tag}"), Count(first, $"questions-{tag}")).ShouldBe((3, 0, 1));
        var files = StoredFileCount();

        var runs = new[] { await RunTimerAsync(), await RunTimerAsync(), await RunTimerAsync() };

        runs[0].ShouldContain(l => l.Contains("2 ticket(s) purged"), "a run stops at its batch");
        runs[2].ShouldBe(["No ticket past its retention"], "the second run finished the job; the third finds nothing");
        foreach (var gone in new[] { expiredRequest, expiredQuestion, deleted, questionOfBolt })
        {
            (await app.Admin.GetAsync($"/api/tickets/{gone}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
            (await app.Admin.PostAsync($"/api/tickets/{gone}/restore", null)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        }

        foreach (var kept in new[] { keptIncident, stillOpen, noRule, recent })
        {
            (await app.Admin.GetAsync($"/api/tickets/{kept}")).StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        StoredFileCount().ShouldBe(files - 1, "the purged ticket's file bytes go with it");
        var after = await PreviewAsync(50);
        after["items"]!.AsArray().ShouldBeEmpty();
        after["rules"]!.AsArray().ShouldAllBe(r => r!["tickets"]!.GetValue<long>() == 0);
    }

    [Fact]
    public async Task Retention_is_the_admins_and_refuses_bad_rules_a_missing_or_stale_etag_and_a_cursor_of_other_rules()
    {
        var supervisor = app.ClientFor(Roles.Supervisor, "ret.sup@helpdesk.test");
        (await supervisor.GetAsync("/api/admin/retention")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await supervisor.GetAsync("/api/admin/retention/preview")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await Agent.PutAsJsonAsync("/api/admin/retention", new { rules = Array.Empty<object>() })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await app.CreateClient().GetAsync("/api/admin/retention")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

        await (await app.Admin.PutAsJsonAsync("/api/admin/retention", new { rules = Array.Empty<object>() })).ShouldBeProblem(428);
        await (await PutAsync("\"999\"", new { rules = Array.Empty<object>() })).ShouldBeProblem(412);

        var etag = (await app.Admin.GetAsync("/api/admin/retention")).Headers.ETag!.Tag;
        await (await PutAsync(etag, new { rules = new object[] { new { name = "never", months = 0 } } })).ShouldBeProblem(400, "rules[0].months");
        await (await PutAsync(etag, new { rules = new object[] { new { name = "ghost", accountId = "acc_nobody", months = 12 } } })).ShouldBeProblem(400, "rules[0].accountId");
        await (await PutAsync(etag, new { rules = new object[] { new { name = "odd", type = "no-such-type", months = 12 } } })).ShouldBeProblem(400, "rules[0].type");
        await (await PutAsync(etag, new { rules = new object[] { new { name = "a", months = 12 }, new { name = "b", months = 24 } } })).ShouldBeProblem(400, "rules");
        await (await PutAsync(etag, new { rules = new object[] { new { months = 12 } } })).ShouldBeProblem(400, "rules[0].name");

        var tag = Guid.NewGuid().ToString("N")[..8];
        var account = await app.AccountAsync($"Cursor {tag}", $"cursor-{tag}.test");
        await SetPolicyAsync(new { name = $"short-{tag}", accountId = account, months = 1 });
        await ClosedAsync(account, "request", "One");
        await ClosedAsync(account, "request", "Two");
        app.Clock.Advance(TimeSpan.FromDays(62));
        var cursor = (await PreviewAsync(1))["nextCursor"]!.GetValue<string>();
        await (await app.Admin.GetAsync("/api/admin/retention/preview?limit=0")).ShouldBeProblem(400, "limit");
        await (await app.Admin.GetAsync("/api/admin/retention/preview?cursor=bm9wZQ")).ShouldBeProblem(400, "cursor");

        var saved = await SetPolicyAsync(new { name = $"short-{tag}", accountId = account, months = 2 });

        saved["rules"]![0]!["months"]!.GetValue<int>().ShouldBe(2);
        await (await app.Admin.GetAsync($"/api/admin/retention/preview?limit=1&cursor={cursor}")).ShouldBeProblem(400, "cursor");
        await SetPolicyAsync();
    }

    private async Task<string> TicketAsync(string accountId, string type, string subject)
    {
        var ticket = await Agent.OpenTicketAsync(new { subject, type, accountId, requester = new { email = $"someone.{Guid.NewGuid():N}@retention.test" } });
        return ticket["id"]!.GetValue<string>();
    }

    private async Task<string> ClosedAsync(string accountId, string type, string subject)
    {
        var id = await TicketAsync(accountId, type, subject);
        (await Agent.PostAsync($"/api/tickets/{id}/close", null)).EnsureSuccessStatusCode();
        return id;
    }

    private async Task<JsonNode> SetPolicyAsync(params object[] rules)
    {
        var etag = (await app.Admin.GetAsync("/api/admin/retention")).Headers.ETag!.Tag;
        var put = await PutAsync(etag, new { rules });
        put.StatusCode.ShouldBe(HttpStatusCode.OK, await put.Content.ReadAsStringAsync());
        put.Headers.ETag!.Tag.ShouldNotBe(etag);
        return await put.Json();
    }

    private Task<HttpResponseMessage> PutAsync(string etag, object body)
    {
        var put = new HttpRequestMessage(HttpMethod.Put, "/api/admin/retention") { Content = JsonContent.Create(body) };
        put.Headers.TryAddWithoutValidation("If-Match", etag);
        return app.Admin.SendAsync(put);
    }

    private async Task<JsonNode> PreviewAsync(int limit, string? cursor = null)
    {
        var response = await app.Admin.GetAsync($"/api/admin/retention/preview?limit={limit}{(cursor is null ? string.Empty : $"&cursor={cursor}")}");
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return await response.Json();
    }

    private async Task<IReadOnlyList<string>> RunTimerAsync()
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<PurgeExpiredTickets>().RunAsync(new TimerInfo(false, null, null), CancellationToken.None);
    }

    private static List<string> Ids(JsonNode preview) => [.. preview["items"]!.AsArray().Select(i => i!["id"]!.GetValue<string>())];

    private static long Count(JsonNode preview, string rule) =>
        preview["rules"]!.AsArray().Single(r => r!["name"]!.GetValue<string>() == rule)!["tickets"]!.GetValue<long>();

    private int StoredFileCount() =>
        System.IO.Directory.Exists(Path.Combine(app.DataFolder, "attachments"))
            ? System.IO.Directory.GetFiles(Path.Combine(app.DataFolder, "attachments"), "*", SearchOption.AllDirectories).Length
            : 0;
}
