using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Tests.Infrastructure;

namespace Helpdesk.Api.Tests.Tickets;

/// <summary>
/// The dates of a ticket: the start (now by default, editable), the due date (the ticket's own
/// deadline, which replaces the SLA resolution target only where the policy allows it), the end
/// (set on resolution, cleared on reopening); every change in the history.
/// </summary>
public sealed class TicketDatesTests(HelpdeskApp app) : IClassFixture<HelpdeskApp>
{
    private readonly HttpClient _agent = app.ClientFor(Roles.Agent);

    private static async Task<List<JsonNode>> ChangesAsync(HttpClient client, string id, string field) =>
        (await (await client.GetAsync($"/api/tickets/{id}/history")).Json())["items"]!.AsArray()
            .SelectMany(h => h!["changes"]!.AsArray()).Where(c => c!["field"]!.GetValue<string>() == field).Select(c => c!).ToList();

    [Fact]
    public async Task The_start_date_defaults_to_the_opening_and_is_edited_with_history()
    {
        var ticket = await _agent.OpenTicketAsync(new { subject = "Move the office", requester = new { email = "start@dates.test" } });
        var id = ticket["id"]!.GetValue<string>();
        ticket["startAt"]!.GetValue<DateTimeOffset>().ShouldBe(app.Clock.GetUtcNow());

        var patched = await _agent.PatchJsonAsync($"/api/tickets/{id}", new { startAt = "2026-03-05T08:00:00+01:00" }, "\"1\"");

        patched.StatusCode.ShouldBe(HttpStatusCode.OK, await patched.Content.ReadAsStringAsync());
        (await patched.Json())["startAt"]!.GetValue<DateTimeOffset>().ShouldBe(new DateTimeOffset(2026, 3, 5, 7, 0, 0, TimeSpan.Zero));
        var change = (await ChangesAsync(_agent, id, "startAt")).ShouldHaveSingleItem();
        change["from"]!.GetValue<string>().ShouldStartWith("2026-03-02T09:00:00");
        change["to"]!.GetValue<string>().ShouldStartWith("2026-03-05T07:00:00");
    }

    [Fact]
    public async Task A_start_date_cannot_be_cleared_nor_come_after_the_due_date()
    {
        var ticket = await _agent.OpenTicketAsync(new { subject = "Audit", requester = new { email = "order@dates.test" }, dueAt = "2026-03-10T17:00:00Z" });
        var url = $"/api/tickets/{ticket["id"]}";

        await (await _agent.PatchJsonAsync(url, new { startAt = (string?)null }, "\"1\"")).ShouldBeProblem(400, "startAt");
        await (await _agent.PatchJsonAsync(url, new { startAt = "next week" }, "\"1\"")).ShouldBeProblem(400, "startAt");
        await (await _agent.PatchJsonAsync(url, new { startAt = "2026-03-11T08:00:00Z" }, "\"1\"")).ShouldBeProblem(400, "startAt");
        await (await _agent.PatchJsonAsync(url, new { dueAt = "2026-03-01T08:00:00Z" }, "\"1\"")).ShouldBeProblem(400, "dueAt");

        var unchanged = await (await _agent.GetAsync(url)).Json();
        unchanged["startAt"]!.GetValue<DateTimeOffset>().ShouldBe(app.Clock.GetUtcNow());
        unchanged["dueAt"]!.GetValue<DateTimeOffset>().ShouldBe(new DateTimeOffset(2026, 3, 10, 17, 0, 0, TimeSpan.Zero));
    }

    [Fact]
    public async Task The_end_date_is_set_on_resolution_cleared_on_reopening_and_both_are_in_the_history()
    {
        var ticket = await _agent.OpenTicketAsync(new { subject = "Printer", requester = new { email = "end@dates.test" } });
        var id = ticket["id"]!.GetValue<string>();
        ticket["endAt"].ShouldBeNull();

        var resolved = await (await _agent.PostAsJsonAsync($"/api/tickets/{id}/resolve", new { summary = "Fixed" })).Json();
        resolved["endAt"]!.GetValue<DateTimeOffset>().ShouldBe(app.Clock.GetUtcNow());
        var reopened = await (await _agent.PostAsync($"/api/tickets/{id}/reopen", null)).Json();

        reopened["endAt"].ShouldBeNull();
        var changes = await ChangesAsync(_agent, id, "endAt");
        changes.Count.ShouldBe(2);
        changes[0]!["from"].ShouldBeNull();
        changes[0]!["to"]!.GetValue<string>().ShouldStartWith("2026-03-02T09:00:00");
        changes[1]!["to"].ShouldBeNull();
    }

    [Fact]
    public async Task A_closed_ticket_keeps_its_dates()
    {
        var ticket = await _agent.OpenTicketAsync(new { subject = "Closed dates", requester = new { email = "closed@dates.test" } });
        var url = $"/api/tickets/{ticket["id"]}";
        (await _agent.PostAsync($"{url}/close", null)).EnsureSuccessStatusCode();

        await (await _agent.PatchJsonAsync(url, new { startAt = "2026-03-01T08:00:00Z" }, "\"2\"")).ShouldBeProblem(409);
    }

    [Fact]
    public async Task A_due_date_replaces_the_resolution_target_only_where_the_policy_allows_it()
    {
        await using var own = new HelpdeskApp();
        var agent = own.ClientFor(Roles.Agent);
        var due = new DateTimeOffset(2026, 3, 2, 11, 0, 0, TimeSpan.Zero);
        var ticket = await agent.OpenTicketAsync(new { subject = "Deadline", requester = new { email = "due@dates.test" }, priority = "normal", dueAt = due });
        var url = $"/api/tickets/{ticket["id"]}";

        ticket["sla"]!["resolution"]!["dueAt"]!.GetValue<DateTimeOffset>().ShouldBe(own.Clock.GetUtcNow().AddHours(72), "the policy does not allow it yet");

        var current = await own.Admin.GetAsync("/api/sla-policies/sla_default");
        var policy = (await current.Json()).AsObject();
        policy.Remove("id");
        policy["dueDateOverridesResolution"] = true;
        var put = new HttpRequestMessage(HttpMethod.Put, "/api/sla-policies/sla_default") { Content = JsonContent.Create(policy) };
        put.Headers.TryAddWithoutValidation("If-Match", current.Headers.ETag!.Tag);
        (await own.Admin.SendAsync(put)).StatusCode.ShouldBe(HttpStatusCode.OK);
        own.Clock.Advance(TimeSpan.FromMinutes(100));

        var now = await (await agent.GetAsync(url)).Json();
        now["sla"]!["resolution"]!["dueAt"]!.GetValue<DateTimeOffset>().ShouldBe(due);
        now["sla"]!["resolution"]!["state"]!.GetValue<string>().ShouldBe("warning");
        now["sla"]!["resolution"]!["remainingSeconds"]!.GetValue<long>().ShouldBe(20 * 60);

        own.Clock.Advance(TimeSpan.FromMinutes(30));
        var late = await (await agent.GetAsync(url)).Json();
        late["sla"]!["resolution"]!["state"]!.GetValue<string>().ShouldBe("breached");
        late["sla"]!["color"]!.GetValue<string>().ShouldBe("red");
        (await (await agent.GetAsync("/api/tickets?view=late")).Json())["items"]!.AsArray()
            .Select(t => t!["id"]!.GetValue<string>()).ShouldContain(ticket["id"]!.GetValue<string>());

        var cleared = await agent.PatchJsonAsync(url, new { dueAt = (string?)null }, "\"1\"");
        (await cleared.Json())["sla"]!["resolution"]!["dueAt"]!.GetValue<DateTimeOffset>().ShouldBe(due.AddHours(-2).AddHours(72), "back to the policy's target");
    }
}
