using System.Net;
using System.Net.Http.Json;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Tests.Infrastructure;

namespace Helpdesk.Api.Tests.Tickets;

public sealed class UpdateTicketTests(HelpdeskApp app) : IClassFixture<HelpdeskApp>
{
    private readonly HttpClient _agent = app.ClientFor(Roles.Agent);

    [Fact]
    public async Task A_patch_with_the_current_etag_changes_the_fields_and_returns_a_new_etag()
    {
        var ticket = await _agent.OpenTicketAsync();
        var url = $"/api/tickets/{ticket["id"]}";

        var response = await _agent.PatchJsonAsync(url, new { priority = "urgent", progress = 50, tags = new[] { "vip" } }, "\"1\"");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Headers.ETag!.Tag.ShouldBe("\"2\"");
        var body = await response.Json();
        body["priority"]!.GetValue<string>().ShouldBe("urgent");
        body["progress"]!.GetValue<int>().ShouldBe(50);
        body["subject"]!.GetValue<string>().ShouldBe("Printer jams");
    }

    [Fact]
    public async Task Null_clears_a_field_and_absent_fields_stay()
    {
        var ticket = await _agent.OpenTicketAsync(new { subject = "Clear me", description = "text", dueAt = "2026-03-09T10:00:00Z", requester = new { email = "a@upd.test" } });

        var response = await _agent.PatchJsonAsync($"/api/tickets/{ticket["id"]}", new { description = (string?)null, dueAt = (string?)null }, "\"1\"");

        var body = await response.Json();
        body["description"].ShouldBeNull();
        body["dueAt"].ShouldBeNull();
        body["subject"]!.GetValue<string>().ShouldBe("Clear me");
    }

    [Fact]
    public async Task A_patch_without_if_match_is_428()
    {
        var ticket = await _agent.OpenTicketAsync();

        await (await _agent.PatchJsonAsync($"/api/tickets/{ticket["id"]}", new { priority = "low" }, null)).ShouldBeProblem(428);
    }

    [Fact]
    public async Task A_patch_with_a_stale_etag_is_412_and_changes_nothing()
    {
        var ticket = await _agent.OpenTicketAsync();
        var url = $"/api/tickets/{ticket["id"]}";
        (await _agent.PatchJsonAsync(url, new { priority = "low" }, "\"1\"")).StatusCode.ShouldBe(HttpStatusCode.OK);

        var stale = await _agent.PatchJsonAsync(url, new { priority = "urgent" }, "\"1\"");

        await stale.ShouldBeProblem(412);
        (await (await _agent.GetAsync(url)).Json())["priority"]!.GetValue<string>().ShouldBe("low");
    }

    [Fact]
    public async Task A_weak_etag_never_matches()
    {
        var ticket = await _agent.OpenTicketAsync();

        await (await _agent.PatchJsonAsync($"/api/tickets/{ticket["id"]}", new { priority = "low" }, "W/\"1\"")).ShouldBeProblem(412);
    }

    [Fact]
    public async Task Of_twenty_concurrent_writers_with_the_same_etag_exactly_one_wins()
    {
        var ticket = await _agent.OpenTicketAsync();
        var url = $"/api/tickets/{ticket["id"]}";

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => _agent.PatchJsonAsync(url, new { progress = i + 1 }, "\"1\"")));

        responses.Count(r => r.StatusCode == HttpStatusCode.OK).ShouldBe(1);
        responses.Count(r => r.StatusCode == HttpStatusCode.PreconditionFailed).ShouldBe(19);
        var history = await (await _agent.GetAsync($"{url}/history")).Json();
        history["items"]!.AsArray().Count.ShouldBe(2);
    }

    [Fact]
    public async Task Every_bad_member_is_reported()
    {
        var ticket = await _agent.OpenTicketAsync();

        var response = await _agent.PatchJsonAsync($"/api/tickets/{ticket["id"]}", new { subject = "", progress = 140, priority = "asap", status = "closed", dueAt = "tomorrow", contactId = "con_nobody" }, "\"1\"");

        await response.ShouldBeProblem(400);
        (await response.Json())["errors"]!.AsObject().Select(e => e.Key)
            .ShouldBe(["subject", "progress", "priority", "status", "dueAt", "contactId"], ignoreOrder: true);
    }

    [Fact]
    public async Task A_patch_that_is_not_an_object_is_400()
    {
        var ticket = await _agent.OpenTicketAsync();

        await (await _agent.PatchJsonAsync($"/api/tickets/{ticket["id"]}", new[] { 1, 2 }, "\"1\"")).ShouldBeProblem(400, "body");
    }

    [Fact]
    public async Task Patching_a_missing_ticket_is_404()
    {
        await (await _agent.PatchJsonAsync("/api/tickets/t_missing", new { priority = "low" }, "\"1\"")).ShouldBeProblem(404);
        await (await _agent.GetAsync("/api/tickets/t_missing")).ShouldBeProblem(404);
    }

    [Fact]
    public async Task A_closed_ticket_refuses_changes_with_409()
    {
        var ticket = await _agent.OpenTicketAsync();
        var url = $"/api/tickets/{ticket["id"]}";
        (await _agent.PostAsync($"{url}/close", null)).StatusCode.ShouldBe(HttpStatusCode.OK);

        var response = await _agent.PatchJsonAsync(url, new { type = "request" }, "\"2\"");

        await response.ShouldBeProblem(409);
        (await response.Json())["type"]!.GetValue<string>().ShouldBe("urn:helpdesk:problem:ticket-closed");
    }

    [Fact]
    public async Task Changing_the_contact_changes_the_requester()
    {
        var ticket = await _agent.OpenTicketAsync();
        var contact = await (await app.Admin.PostAsJsonAsync("/api/contacts", new { email = "new-requester@upd.test" })).Json();

        var response = await _agent.PatchJsonAsync($"/api/tickets/{ticket["id"]}", new { contactId = contact["id"]!.GetValue<string>() }, "\"1\"");

        (await response.Json())["requester"]!["email"]!.GetValue<string>().ShouldBe("new-requester@upd.test");
    }

    [Fact]
    public async Task A_read_with_the_current_etag_in_if_none_match_is_304()
    {
        var ticket = await _agent.OpenTicketAsync();
        var request = new HttpRequestMessage(HttpMethod.Get, $"/api/tickets/{ticket["id"]}");
        request.Headers.TryAddWithoutValidation("If-None-Match", "\"1\"");

        (await _agent.SendAsync(request)).StatusCode.ShouldBe(HttpStatusCode.NotModified);
    }
}
