using System.Net;
using System.Net.Http.Json;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Tests.Infrastructure;

namespace Helpdesk.Api.Tests.Time;

public sealed class TimeEntryTests(HelpdeskApp app) : IClassFixture<HelpdeskApp>
{
    [Fact]
    public async Task Logged_time_is_listed_with_totals_and_written_in_the_ticket_history()
    {
        var (adaId, ada) = await app.AgentAsync("ada.log@time.test");
        var url = await TicketUrlAsync(ada);

        var created = await ada.PostAsJsonAsync($"{url}/time-entries", new { minutes = 90, billable = true, note = "Replaced the roller", workDate = "2026-03-01" });
        await ada.PostAsJsonAsync($"{url}/time-entries", new { minutes = 15, billable = false });

        created.StatusCode.ShouldBe(HttpStatusCode.Created);
        created.Headers.ETag!.Tag.ShouldBe("\"1\"");
        var entry = await created.Json();
        created.Headers.Location!.ToString().ShouldBe($"{url}/time-entries/{entry["id"]}");
        entry["agentId"]!.GetValue<string>().ShouldBe(adaId);
        entry["workDate"]!.GetValue<string>().ShouldBe("2026-03-01");
        entry["source"]!.GetValue<string>().ShouldBe("manual");

        var list = await (await ada.GetAsync($"{url}/time-entries")).Json();
        list["items"]!.AsArray().Count.ShouldBe(2);
        list["items"]![1]!["workDate"]!.GetValue<string>().ShouldBe("2026-03-02", "the work date defaults to today");
        list["totals"]!["minutes"]!.GetValue<long>().ShouldBe(105);
        list["totals"]!["billableMinutes"]!.GetValue<long>().ShouldBe(90);
        list["totals"]!["nonBillableMinutes"]!.GetValue<long>().ShouldBe(15);
        list["totals"]!["hours"]!.GetValue<decimal>().ShouldBe(1.75m);

        var history = (await (await ada.GetAsync($"{url}/history")).Json())["items"]!.AsArray();
        var logged = history.Last()!;
        logged["action"]!.GetValue<string>().ShouldBe("timeLogged");
        logged["changes"]!.AsArray().ShouldContain(c => c!["field"]!.GetValue<string>() == "minutes" && c["to"]!.GetValue<string>() == "15");
    }

    [Fact]
    public async Task An_entry_needs_minutes_from_1_to_1440_and_a_billable_flag()
    {
        var (_, ada) = await app.AgentAsync("ada.invalid@time.test");
        var url = await TicketUrlAsync(ada);

        await (await ada.PostAsJsonAsync($"{url}/time-entries", new { minutes = 0, billable = true })).ShouldBeProblem(400, "minutes");
        await (await ada.PostAsJsonAsync($"{url}/time-entries", new { minutes = 1441, billable = true })).ShouldBeProblem(400, "minutes");
        var both = await ada.PostAsJsonAsync($"{url}/time-entries", new { note = "no minutes" });
        await both.ShouldBeProblem(400, "minutes");
        (await both.Json())["errors"]!.AsObject().Select(e => e.Key).ShouldContain("billable");
        await (await ada.PostAsJsonAsync($"{url}/time-entries", new { minutes = 10, billable = true, workDate = "yesterday" })).ShouldBeProblem(400, "workDate");
        await (await ada.PostAsJsonAsync($"{url}/time-entries", new { minutes = 10, billable = true, colour = "red" })).ShouldBeProblem(400);
        (await (await ada.PostAsJsonAsync($"{url}/time-entries", new { minutes = 1440, billable = true })).Json())["minutes"]!.GetValue<int>().ShouldBe(1440);
    }

    [Fact]
    public async Task Only_the_author_or_a_supervisor_edits_or_deletes_an_entry()
    {
        var (_, ada) = await app.AgentAsync("ada.author@time.test");
        var (_, bob) = await app.AgentAsync("bob.author@time.test");
        var (_, sue) = await app.AgentAsync("sue.author@time.test", Roles.Supervisor);
        var url = await TicketUrlAsync(ada);
        var entryUrl = (await ada.PostAsJsonAsync($"{url}/time-entries", new { minutes = 30, billable = true })).Headers.Location!.ToString();

        await (await Send(bob, HttpMethod.Put, entryUrl, "\"1\"", new { minutes = 45, billable = true })).ShouldBeProblem(403);
        await (await Send(bob, HttpMethod.Delete, entryUrl, "\"1\"")).ShouldBeProblem(403);

        var edited = await Send(sue, HttpMethod.Put, entryUrl, "\"1\"", new { minutes = 45, billable = false, note = "Checked" });
        edited.StatusCode.ShouldBe(HttpStatusCode.OK);
        edited.Headers.ETag!.Tag.ShouldBe("\"2\"");
        (await edited.Json())["minutes"]!.GetValue<int>().ShouldBe(45);

        var history = (await (await ada.GetAsync($"{url}/history")).Json())["items"]!.AsArray();
        var changed = history.Last()!;
        changed["action"]!.GetValue<string>().ShouldBe("timeChanged");
        changed["changes"]!.AsArray().Select(c => c!["field"]!.GetValue<string>()).ShouldBe(["minutes", "billable", "timeNote"]);

        (await Send(ada, HttpMethod.Delete, entryUrl, "\"2\"")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await ada.GetAsync(entryUrl)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await (await ada.GetAsync($"{url}/history")).Json())["items"]!.AsArray().Last()!["action"]!.GetValue<string>().ShouldBe("timeRemoved");
        (await (await ada.GetAsync($"{url}/time-entries")).Json())["totals"]!["minutes"]!.GetValue<long>().ShouldBe(0);
    }

    [Fact]
    public async Task Edits_and_deletes_need_the_current_if_match()
    {
        var (_, ada) = await app.AgentAsync("ada.etag@time.test");
        var url = await TicketUrlAsync(ada);
        var entryUrl = (await ada.PostAsJsonAsync($"{url}/time-entries", new { minutes = 30, billable = true })).Headers.Location!.ToString();

        await (await Send(ada, HttpMethod.Put, entryUrl, null, new { minutes = 40, billable = true })).ShouldBeProblem(428);
        await (await Send(ada, HttpMethod.Put, entryUrl, "\"9\"", new { minutes = 40, billable = true })).ShouldBeProblem(412);
        await (await Send(ada, HttpMethod.Delete, entryUrl, null)).ShouldBeProblem(428);
        await (await Send(ada, HttpMethod.Delete, entryUrl, "\"9\"")).ShouldBeProblem(412);
        await (await Send(ada, HttpMethod.Put, entryUrl, "\"1\"", new { minutes = -5, billable = true })).ShouldBeProblem(400, "minutes");
    }

    [Fact]
    public async Task Only_a_supervisor_records_time_for_another_agent()
    {
        var (adaId, ada) = await app.AgentAsync("ada.other@time.test");
        var (_, sue) = await app.AgentAsync("sue.other@time.test", Roles.Supervisor);
        var (bobId, bob) = await app.AgentAsync("bob.other@time.test");
        var url = await TicketUrlAsync(ada);

        await (await bob.PostAsJsonAsync($"{url}/time-entries", new { minutes = 5, billable = true, agentId = adaId })).ShouldBeProblem(403);
        await (await sue.PostAsJsonAsync($"{url}/time-entries", new { minutes = 5, billable = true, agentId = "agt_nobody" })).ShouldBeProblem(400, "agentId");
        var forBob = await sue.PostAsJsonAsync($"{url}/time-entries", new { minutes = 5, billable = true, agentId = bobId });
        (await forBob.Json())["agentId"]!.GetValue<string>().ShouldBe(bobId);
    }

    [Fact]
    public async Task A_closed_ticket_takes_no_time()
    {
        var (_, ada) = await app.AgentAsync("ada.closed@time.test");
        var url = await TicketUrlAsync(ada);
        var entryUrl = (await ada.PostAsJsonAsync($"{url}/time-entries", new { minutes = 30, billable = true })).Headers.Location!.ToString();
        (await ada.PostAsync($"{url}/close", null)).EnsureSuccessStatusCode();

        var refused = await ada.PostAsJsonAsync($"{url}/time-entries", new { minutes = 30, billable = true });
        await refused.ShouldBeProblem(409);
        (await refused.Json())["type"]!.GetValue<string>().ShouldBe("urn:helpdesk:problem:ticket-closed");
        await (await Send(ada, HttpMethod.Delete, entryUrl, "\"1\"")).ShouldBeProblem(409);
        await (await ada.PostAsync($"{url}/timer/start", null)).ShouldBeProblem(409);
    }

    [Fact]
    public async Task The_setting_allows_time_on_closed_tickets()
    {
        using var allowing = new HelpdeskApp().With("Time:AllowOnClosedTickets", "true");
        var (_, ada) = await allowing.AgentAsync("ada.allowed@time.test");
        var url = await TicketUrlAsync(ada);
        (await ada.PostAsync($"{url}/close", null)).EnsureSuccessStatusCode();

        (await ada.PostAsJsonAsync($"{url}/time-entries", new { minutes = 30, billable = true })).StatusCode.ShouldBe(HttpStatusCode.Created);
    }

    [Fact]
    public async Task A_retried_create_with_the_same_idempotency_key_records_the_entry_once()
    {
        var (_, ada) = await app.AgentAsync("ada.idem@time.test");
        var url = await TicketUrlAsync(ada);

        async Task<HttpResponseMessage> PostAsync()
        {
            var request = new HttpRequestMessage(HttpMethod.Post, $"{url}/time-entries") { Content = JsonContent.Create(new { minutes = 20, billable = true }) };
            request.Headers.Add("Idempotency-Key", "time-once");
            return await ada.SendAsync(request);
        }

        var first = await (await PostAsync()).Json();
        var second = await (await PostAsync()).Json();

        second["id"]!.GetValue<string>().ShouldBe(first["id"]!.GetValue<string>());
        (await (await ada.GetAsync($"{url}/time-entries")).Json())["items"]!.AsArray().Count.ShouldBe(1);
    }

    [Fact]
    public async Task Customers_and_anonymous_callers_cannot_reach_time_entries()
    {
        var (_, ada) = await app.AgentAsync("ada.roles@time.test");
        var url = await TicketUrlAsync(ada);

        (await app.ClientFor(Roles.Customer, "alice@contoso.com", "con_1").GetAsync($"{url}/time-entries")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await app.ClientFor(Roles.Customer, "alice@contoso.com", "con_1").PostAsJsonAsync($"{url}/time-entries", new { minutes = 5, billable = true })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await app.CreateClient().GetAsync($"{url}/time-entries")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await app.CreateClient().PostAsync($"{url}/timer/start", null)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Time_on_a_missing_ticket_or_entry_is_404()
    {
        var (_, ada) = await app.AgentAsync("ada.missing@time.test");
        var url = await TicketUrlAsync(ada);

        await (await ada.GetAsync("/api/tickets/tkt_missing/time-entries")).ShouldBeProblem(404);
        await (await ada.PostAsJsonAsync("/api/tickets/tkt_missing/time-entries", new { minutes = 5, billable = true })).ShouldBeProblem(404);
        await (await ada.PostAsync("/api/tickets/tkt_missing/timer/start", null)).ShouldBeProblem(404);
        await (await ada.GetAsync($"{url}/time-entries/tim_missing")).ShouldBeProblem(404);
        await (await Send(ada, HttpMethod.Put, $"{url}/time-entries/tim_missing", "\"1\"", new { minutes = 5, billable = true })).ShouldBeProblem(404);
    }

    internal static async Task<string> TicketUrlAsync(HttpClient client, string? accountId = null)
    {
        var ticket = await client.OpenTicketAsync(new { subject = "Printer jams", requester = new { email = "alice@contoso.com" }, accountId });
        return $"/api/tickets/{ticket["id"]}";
    }

    internal static Task<HttpResponseMessage> Send(HttpClient client, HttpMethod method, string url, string? ifMatch, object? body = null)
    {
        var request = new HttpRequestMessage(method, url);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        return client.SendAsync(request);
    }
}
