using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Tests.Infrastructure;

namespace Helpdesk.Api.Tests.Merge;

public sealed class MergeTests : IDisposable
{
    private readonly HelpdeskApp _app = new();

    public void Dispose() => _app.Dispose();

    private static string Id(JsonNode node) => node["id"]!.GetValue<string>();

    private static async Task<JsonNode> OpenAsync(HttpClient agent, string subject, string email = "alice@contoso.com", string? accountId = null) =>
        await agent.OpenTicketAsync(new { subject, requester = new { email, name = "Alice" }, accountId });

    private async Task PostAsync(HttpClient agent, string ticketId, string body, string visibility = "public")
    {
        (await agent.PostAsJsonAsync($"/api/tickets/{ticketId}/messages", new { visibility, body })).StatusCode.ShouldBe(HttpStatusCode.Created);
        _app.Clock.Advance(TimeSpan.FromMinutes(1));
    }

    private static async Task<string[]> BodiesAsync(HttpClient agent, string ticketId) =>
        [.. (await (await agent.GetAsync($"/api/tickets/{ticketId}/messages")).Json())["items"]!.AsArray().Select(m => m!["body"]!.GetValue<string>())];

    private static async Task<int> CountAsync(HttpClient agent, string url) =>
        (await (await agent.GetAsync(url)).Json())["items"]!.AsArray().Count;

    private static async Task<string[]> ActionsAsync(HttpClient agent, string ticketId) =>
        [.. (await (await agent.GetAsync($"/api/tickets/{ticketId}/history")).Json())["items"]!.AsArray().Select(h => h!["action"]!.GetValue<string>())];

    private static Task<HttpResponseMessage> MergeAsync(HttpClient client, string sourceId, string? intoId) =>
        client.PostAsJsonAsync($"/api/tickets/{sourceId}/merge", new { intoId });

    private static MultipartFormDataContent Form(byte[] bytes, string fileName)
    {
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return new MultipartFormDataContent { { file, "file", fileName } };
    }

    [Fact]
    public async Task Merging_moves_thread_work_and_files_to_the_target_in_order_and_leaves_a_closed_tombstone()
    {
        var (_, ada) = await _app.AgentAsync("ada@merge.test");
        var a = Id(await OpenAsync(ada, "Printer jams"));
        var b = Id(await OpenAsync(ada, "Printer jams again"));
        await PostAsync(ada, a, "A first");
        await PostAsync(ada, b, "B first");
        await PostAsync(ada, a, "A second", "internal");
        (await ada.PostAsJsonAsync($"/api/tickets/{a}/time-entries", new { minutes = 30, billable = true })).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await ada.PostAsJsonAsync($"/api/tickets/{a}/cost-lines", new { kind = "expense", description = "Travel", quantity = 1, unitPrice = 10, currency = "EUR", billable = true })).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await ada.PostAsJsonAsync($"/api/tickets/{a}/activities", new { kind = "call", title = "Call Alice", dueAt = _app.Clock.GetUtcNow().AddDays(1) })).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await ada.PostAsync($"/api/tickets/{a}/attachments", Form("log file"u8.ToArray(), "log.txt"))).StatusCode.ShouldBe(HttpStatusCode.Created);

        var merged = await MergeAsync(ada, a, b);

        merged.StatusCode.ShouldBe(HttpStatusCode.OK);
        var tombstone = await merged.Json();
        tombstone["status"]!.GetValue<string>().ShouldBe("closed");
        tombstone["mergedIntoId"]!.GetValue<string>().ShouldBe(b);
        merged.Headers.ETag.ShouldNotBeNull();
        (await BodiesAsync(ada, b)).ShouldBe(["A first", "B first", "A second"]);
        (await BodiesAsync(ada, a)).ShouldBeEmpty();
        (await CountAsync(ada, $"/api/tickets/{b}/time-entries")).ShouldBe(1);
        (await CountAsync(ada, $"/api/tickets/{b}/cost-lines")).ShouldBe(1);
        (await CountAsync(ada, $"/api/tickets/{b}/activities")).ShouldBe(1);
        var files = (await (await ada.GetAsync($"/api/tickets/{b}/attachments")).Json())["items"]!.AsArray();
        files.Single()!["fileName"]!.GetValue<string>().ShouldBe("log.txt");
        (await ada.GetAsync($"/api/tickets/{b}/attachments/{files[0]!["id"]}")).StatusCode.ShouldBe(HttpStatusCode.OK);
        var target = await (await ada.GetAsync($"/api/tickets/{b}")).Json();
        target["mergedFromIds"]!.AsArray().Select(x => x!.GetValue<string>()).ShouldBe([a]);
        (await ActionsAsync(ada, a)).Last().ShouldBe("merged");
        (await ActionsAsync(ada, b)).Last().ShouldBe("mergedIn");
        var shown = await (await ada.GetAsync($"/api/tickets/{a}")).Json();
        shown["mergedIntoId"]!.GetValue<string>().ShouldBe(b);
    }

    [Fact]
    public async Task Messages_addressed_to_a_merged_ticket_land_on_its_target_from_agents_and_customers()
    {
        var (_, ada) = await _app.AgentAsync("ada.redirect@merge.test");
        var opened = await OpenAsync(ada, "VPN down", "bob@contoso.com");
        var a = Id(opened);
        var b = Id(await OpenAsync(ada, "VPN still down", "bob@contoso.com"));
        (await MergeAsync(ada, a, b)).StatusCode.ShouldBe(HttpStatusCode.OK);

        var reply = await ada.PostAsJsonAsync($"/api/tickets/{a}/messages", new { visibility = "public", body = "Looking into it" });
        var customer = _app.ClientFor(Roles.Customer, "bob@contoso.com", opened["requester"]!["contactId"]!.GetValue<string>());
        var fromPortal = await customer.PostAsJsonAsync($"/api/portal/tickets/{a}/messages", new { body = "Any news?" });

        reply.StatusCode.ShouldBe(HttpStatusCode.Created);
        reply.Headers.Location!.ToString().ShouldStartWith($"/api/tickets/{b}/messages/");
        fromPortal.StatusCode.ShouldBe(HttpStatusCode.Created);
        (await BodiesAsync(ada, b)).ShouldBe(["Looking into it", "Any news?"]);
        (await BodiesAsync(ada, a)).ShouldBeEmpty();
        var upload = await ada.PostAsync($"/api/tickets/{a}/attachments", Form("late file"u8.ToArray(), "late.txt"));
        upload.StatusCode.ShouldBe(HttpStatusCode.Created);
        upload.Headers.Location!.ToString().ShouldStartWith($"/api/tickets/{b}/attachments/");
    }

    [Fact]
    public async Task Undo_within_the_window_restores_the_source_and_moves_back_only_what_came_from_it()
    {
        var (_, ada) = await _app.AgentAsync("ada.undo@merge.test");
        var a = Id(await OpenAsync(ada, "Mail bounces"));
        var b = Id(await OpenAsync(ada, "Mail bounces too"));
        (await ada.PostAsync($"/api/tickets/{a}/start", null)).StatusCode.ShouldBe(HttpStatusCode.OK);
        await PostAsync(ada, a, "From A");
        await PostAsync(ada, b, "From B");
        (await MergeAsync(ada, a, b)).StatusCode.ShouldBe(HttpStatusCode.OK);
        await PostAsync(ada, b, "After the merge");
        _app.Clock.Advance(TimeSpan.FromMinutes(20));

        var undone = await ada.PostAsync($"/api/tickets/{a}/merge/undo", null);

        undone.StatusCode.ShouldBe(HttpStatusCode.OK);
        var restored = await undone.Json();
        restored["status"]!.GetValue<string>().ShouldBe("inProgress");
        restored["mergedIntoId"].ShouldBeNull();
        restored["endAt"].ShouldBeNull();
        (await BodiesAsync(ada, a)).ShouldBe(["From A"]);
        (await BodiesAsync(ada, b)).ShouldBe(["From B", "After the merge"]);
        (await (await ada.GetAsync($"/api/tickets/{b}")).Json())["mergedFromIds"]!.AsArray().ShouldBeEmpty();
        (await ActionsAsync(ada, a)).TakeLast(2).ShouldBe(["merged", "mergeUndone"]);
        (await ActionsAsync(ada, b)).Last().ShouldBe("mergeUndone");
        await PostAsync(ada, a, "A lives again");
        (await BodiesAsync(ada, a)).Last().ShouldBe("A lives again");
    }

    [Fact]
    public async Task Undo_after_the_configured_window_is_refused()
    {
        var (_, ada) = await _app.AgentAsync("ada.late@merge.test");
        var a = Id(await OpenAsync(ada, "Screen flickers"));
        var b = Id(await OpenAsync(ada, "Screen flickers more"));
        (await MergeAsync(ada, a, b)).StatusCode.ShouldBe(HttpStatusCode.OK);
        _app.Clock.Advance(TimeSpan.FromMinutes(31));

        var late = await ada.PostAsync($"/api/tickets/{a}/merge/undo", null);

        await late.ShouldBeProblem(409);
        (await late.Json())["type"]!.GetValue<string>().ShouldBe("urn:helpdesk:problem:merge-undo-expired");
    }

    [Theory]
    [InlineData("self", "merge-into-self")]
    [InlineData("tombstone", "merge-into-tombstone")]
    [InlineData("chain", "merge-chain")]
    [InlineData("closed", "ticket-closed")]
    public async Task Merges_that_would_break_the_one_hop_rule_are_refused_with_a_clear_code(string case_, string code)
    {
        var (_, ada) = await _app.AgentAsync($"ada.{case_}@merge.test");
        var a = Id(await OpenAsync(ada, "One"));
        var b = Id(await OpenAsync(ada, "Two"));
        var c = Id(await OpenAsync(ada, "Three"));
        HttpResponseMessage refused;
        switch (case_)
        {
            case "self":
                refused = await MergeAsync(ada, a, a);
                break;
            case "tombstone":
                (await MergeAsync(ada, a, b)).StatusCode.ShouldBe(HttpStatusCode.OK);
                refused = await MergeAsync(ada, c, a);
                break;
            case "chain":
                (await MergeAsync(ada, a, b)).StatusCode.ShouldBe(HttpStatusCode.OK);
                refused = await MergeAsync(ada, b, c);
                break;
            default:
                (await ada.PostAsJsonAsync($"/api/tickets/{b}/close", new { })).StatusCode.ShouldBe(HttpStatusCode.OK);
                refused = await MergeAsync(ada, a, b);
                break;
        }

        await refused.ShouldBeProblem(409);
        (await refused.Json())["type"]!.GetValue<string>().ShouldBe($"urn:helpdesk:problem:{code}");
        (await (await ada.GetAsync($"/api/tickets/{c}")).Json())["mergedIntoId"].ShouldBeNull();
    }

    [Fact]
    public async Task Bad_merge_requests_answer_400_401_403_404_409_and_412()
    {
        var (_, ada) = await _app.AgentAsync("ada.bad@merge.test");
        var a = Id(await OpenAsync(ada, "One"));
        var b = Id(await OpenAsync(ada, "Two"));

        await (await ada.PostAsJsonAsync($"/api/tickets/{a}/merge", new { })).ShouldBeProblem(400, "intoId");
        await (await MergeAsync(ada, a, "t_missing")).ShouldBeProblem(400, "intoId");
        await (await ada.PostAsJsonAsync($"/api/tickets/{a}/merge", new { intoId = b, extra = 1 })).ShouldBeProblem(400);
        await (await MergeAsync(ada, "t_missing", b)).ShouldBeProblem(404);
        (await MergeAsync(_app.CreateClient(), a, b)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await MergeAsync(_app.ClientFor(Roles.Customer, "alice@contoso.com", "con_x"), a, b)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        var stale = new HttpRequestMessage(HttpMethod.Post, $"/api/tickets/{a}/merge") { Content = JsonContent.Create(new { intoId = b }) };
        stale.Headers.TryAddWithoutValidation("If-Match", "\"99\"");
        await (await ada.SendAsync(stale)).ShouldBeProblem(412);
        var notMerged = await ada.PostAsync($"/api/tickets/{a}/merge/undo", null);
        await notMerged.ShouldBeProblem(409);
        (await notMerged.Json())["type"]!.GetValue<string>().ShouldBe("urn:helpdesk:problem:not-merged");
        (await (await ada.GetAsync($"/api/tickets/{a}")).Json())["status"]!.GetValue<string>().ShouldNotBe("closed");
    }

    [Fact]
    public async Task Tickets_of_different_accounts_are_merged_by_supervisors_only()
    {
        var contoso = await _app.AccountAsync("Contoso", "contoso-merge.test");
        var fabrikam = await _app.AccountAsync("Fabrikam", "fabrikam-merge.test");
        var (_, ada) = await _app.AgentAsync("ada.accounts@merge.test");
        var (_, sam) = await _app.AgentAsync("sam.accounts@merge.test", Roles.Supervisor);
        var a = Id(await OpenAsync(ada, "Shared outage", "it@contoso-merge.test", contoso));
        var b = Id(await OpenAsync(ada, "Shared outage", "it@fabrikam-merge.test", fabrikam));

        var byAgent = await MergeAsync(ada, a, b);
        var bySupervisor = await MergeAsync(sam, a, b);

        await byAgent.ShouldBeProblem(403);
        (await byAgent.Json())["type"]!.GetValue<string>().ShouldBe("urn:helpdesk:problem:merge-across-accounts");
        bySupervisor.StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}
