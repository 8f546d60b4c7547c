using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Tests.Infrastructure;

namespace Helpdesk.Api.Tests.Tickets;

/// <summary>Issue 23 item 2: tickets linked to a project and a contract, lists filtered by them, time counted against a contract's hour bank.</summary>
public sealed class ProjectAndContractTests(HelpdeskApp app) : IClassFixture<HelpdeskApp>
{
    private readonly HttpClient _agent = app.ClientFor(Roles.Agent, "agent@links.test");

    [Fact]
    public async Task A_ticket_is_linked_to_a_project_and_a_contract_with_history_and_event_and_unlinked_again()
    {
        var ticket = await _agent.OpenTicketAsync(new { subject = "Rollout", requester = new { email = "li@links.test" } });
        var url = $"/api/tickets/{ticket["id"]}";

        var linked = await PatchAsync(url, new { project = new { id = "PJ-12", label = "Office move" }, contract = new { id = "CT-3" } });

        linked["project"]!["id"]!.GetValue<string>().ShouldBe("PJ-12");
        linked["project"]!["label"]!.GetValue<string>().ShouldBe("Office move");
        linked["contract"]!["label"]!.GetValue<string>().ShouldBe("CT-3", "the label defaults to the id");
        var changes = (await (await _agent.GetAsync($"{url}/history")).Json())["items"]!.AsArray().SelectMany(h => h!["changes"]!.AsArray()).ToList();
        changes.ShouldContain(c => c!["field"]!.GetValue<string>() == "project" && c["to"]!.GetValue<string>() == "Office move (PJ-12)");
        changes.ShouldContain(c => c!["field"]!.GetValue<string>() == "contract" && c["to"]!.GetValue<string>() == "CT-3 (CT-3)");
        (await app.StoredEventsAsync(ticket["id"]!.GetValue<string>()))
            .ShouldContain(e => e["type"]!.GetValue<string>() == "ticket.updated" && e["data"]!["fields"]!.GetValue<string>() == "project,contract");

        var unlinked = await PatchAsync(url, new { project = (object?)null });

        unlinked["project"].ShouldBeNull();
        unlinked["contract"]!["id"]!.GetValue<string>().ShouldBe("CT-3");
        (await (await _agent.GetAsync(url)).Json())["project"].ShouldBeNull();
    }

    [Fact]
    public async Task Lists_filter_by_project_and_by_contract()
    {
        var both = await _agent.OpenTicketAsync(new { subject = "Both", requester = new { email = "f1@links.test" } });
        var projectOnly = await _agent.OpenTicketAsync(new { subject = "Project only", requester = new { email = "f2@links.test" } });
        await _agent.OpenTicketAsync(new { subject = "Neither", requester = new { email = "f3@links.test" } });
        await PatchAsync($"/api/tickets/{both["id"]}", new { project = new { id = "PJ-F", label = "Filter" }, contract = new { id = "CT-F", label = "Filter contract" } });
        await PatchAsync($"/api/tickets/{projectOnly["id"]}", new { project = new { id = "PJ-F", label = "Filter" } });

        (await SubjectsAsync("/api/tickets?view=all&projectId=PJ-F")).ShouldBe(["Project only", "Both"], ignoreOrder: true);
        (await SubjectsAsync("/api/tickets?view=all&contractId=CT-F")).ShouldBe(["Both"]);
        (await SubjectsAsync("/api/tickets?view=all&projectId=PJ-F&contractId=CT-F")).ShouldBe(["Both"]);
        (await SubjectsAsync("/api/tickets?view=all&contractId=CT-NONE")).ShouldBeEmpty();
    }

    [Fact]
    public async Task A_link_must_name_an_id_of_sensible_length_and_only_id_and_label()
    {
        var ticket = await _agent.OpenTicketAsync(new { subject = "Bad links", requester = new { email = "bad@links.test" } });
        var url = $"/api/tickets/{ticket["id"]}";
        var etag = (await _agent.GetAsync(url)).Headers.ETag!.Tag;

        await (await _agent.PatchJsonAsync(url, new { project = "PJ-1" }, etag)).ShouldBeProblem(400, "project");
        await (await _agent.PatchJsonAsync(url, new { project = new { label = "No id" } }, etag)).ShouldBeProblem(400, "project.id");
        await (await _agent.PatchJsonAsync(url, new { contract = new { id = new string('x', 101) } }, etag)).ShouldBeProblem(400, "contract.id");
        await (await _agent.PatchJsonAsync(url, new { contract = new { id = "CT", label = "" } }, etag)).ShouldBeProblem(400, "contract.label");
        await (await _agent.PatchJsonAsync(url, new { contract = new { id = "CT", hours = 3 } }, etag)).ShouldBeProblem(400, "contract");
        (await (await _agent.GetAsync(url)).Json())["contract"].ShouldBeNull("nothing of a refused patch was kept");
    }

    [Fact]
    public async Task The_time_report_groups_by_contract_and_counts_its_hours_against_the_contracts_hour_bank()
    {
        var admin = app.Admin;
        var created = await admin.PutAsJsonAsync("/api/contracts/CT-BANK/hour-bank", new { label = "Support block 10h", hours = 10 });
        created.StatusCode.ShouldBe(HttpStatusCode.Created);
        var first = await _agent.OpenTicketAsync(new { subject = "Bank 1", requester = new { email = "b1@links.test" } });
        var second = await _agent.OpenTicketAsync(new { subject = "Bank 2", requester = new { email = "b2@links.test" } });
        var unbanked = await _agent.OpenTicketAsync(new { subject = "No bank", requester = new { email = "b3@links.test" } });
        foreach (var ticket in new[] { first, second })
        {
            await PatchAsync($"/api/tickets/{ticket["id"]}", new { contract = new { id = "CT-BANK", label = "Support block" } });
        }

        await PatchAsync($"/api/tickets/{unbanked["id"]}", new { contract = new { id = "CT-LOOSE", label = "Loose contract" } });
        await TimeAsync(first, 240, billable: true, "2026-02-27");
        await TimeAsync(first, 300, billable: true, "2026-03-02");
        await TimeAsync(second, 180, billable: true, "2026-03-02");
        await TimeAsync(second, 60, billable: false, "2026-03-02");
        await TimeAsync(unbanked, 30, billable: true, "2026-03-02");

        var report = await (await admin.GetAsync("/api/reports/time?month=2026-03")).Json();

        var banked = report["byContract"]!.AsArray().Single(c => c!["contractId"]!.GetValue<string>() == "CT-BANK")!;
        banked["label"]!.GetValue<string>().ShouldBe("Support block 10h");
        banked["time"]!["billableMinutes"]!.GetValue<long>().ShouldBe(480);
        banked["time"]!["nonBillableMinutes"]!.GetValue<long>().ShouldBe(60);
        banked["hourBank"]!["hoursIncluded"]!.GetValue<decimal>().ShouldBe(10m);
        banked["hourBank"]!["hoursUsed"]!.GetValue<decimal>().ShouldBe(12m, "February's 4 hours drew the bank down too");
        banked["hourBank"]!["overrunHours"]!.GetValue<decimal>().ShouldBe(2m);
        banked["hourBank"]!["overrun"]!.GetValue<bool>().ShouldBeTrue();
        var loose = report["byContract"]!.AsArray().Single(c => c!["contractId"]!.GetValue<string>() == "CT-LOOSE")!;
        loose["label"]!.GetValue<string>().ShouldBe("Loose contract");
        loose["hourBank"].ShouldBeNull();
        var february = await (await admin.GetAsync("/api/reports/time?month=2026-02")).Json();
        february["byContract"]!.AsArray().Single(c => c!["contractId"]!.GetValue<string>() == "CT-BANK")!["hourBank"]!["hoursLeft"]!.GetValue<decimal>().ShouldBe(6m);
        var csv = await (await admin.GetAsync("/api/reports/time?month=2026-03&format=csv")).Content.ReadAsStringAsync();
        csv.ShouldContain("contract,CT-BANK,Support block 10h,540,");

        var bank = await admin.GetAsync("/api/contracts/CT-BANK/hour-bank");
        var summary = await bank.Json();
        summary["use"]!["hoursUsed"]!.GetValue<decimal>().ShouldBe(12m);
        var raised = await PutWithIfMatchAsync(admin, "/api/contracts/CT-BANK/hour-bank", new { label = "Support block 20h", hours = 20 }, bank.Headers.ETag!.Tag);
        raised.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await raised.Json())["use"]!["hoursLeft"]!.GetValue<decimal>().ShouldBe(8m);
    }

    [Fact]
    public async Task A_contract_hour_bank_is_set_by_an_admin_with_if_match_and_valid_hours()
    {
        var admin = app.Admin;
        await (await admin.GetAsync("/api/contracts/CT-UNKNOWN/hour-bank")).ShouldBeProblem(404);
        await (await admin.PutAsJsonAsync("/api/contracts/CT-V/hour-bank", new { hours = -1 })).ShouldBeProblem(400, "hours");
        await (await admin.PutAsJsonAsync("/api/contracts/CT-V/hour-bank", new { hours = 1.255 })).ShouldBeProblem(400, "hours");
        await (await admin.PutAsJsonAsync("/api/contracts/CT-V/hour-bank", new { label = "x" })).ShouldBeProblem(400, "hours");
        (await _agent.PutAsJsonAsync("/api/contracts/CT-V/hour-bank", new { hours = 5 })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await admin.PutAsJsonAsync("/api/contracts/CT-V/hour-bank", new { hours = 5 })).StatusCode.ShouldBe(HttpStatusCode.Created);
        await (await admin.PutAsJsonAsync("/api/contracts/CT-V/hour-bank", new { hours = 6 })).ShouldBeProblem(428);
        await (await PutWithIfMatchAsync(admin, "/api/contracts/CT-V/hour-bank", new { hours = 6 }, "\"99\"")).ShouldBeProblem(412);
        (await (await _agent.GetAsync("/api/contracts/CT-V/hour-bank")).Json())["use"]!["hoursIncluded"]!.GetValue<decimal>().ShouldBe(5m);
        (await app.ClientFor(Roles.Customer, "c@links.test", "con_x").GetAsync("/api/contracts/CT-V/hour-bank")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    private async Task<JsonNode> PatchAsync(string url, object body)
    {
        var etag = (await _agent.GetAsync(url)).Headers.ETag!.Tag;
        var response = await _agent.PatchJsonAsync(url, body, etag);
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return await response.Json();
    }

    private static Task<HttpResponseMessage> PutWithIfMatchAsync(HttpClient client, string url, object body, string ifMatch)
    {
        var request = new HttpRequestMessage(HttpMethod.Put, url) { Content = JsonContent.Create(body) };
        request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        return client.SendAsync(request);
    }

    private async Task TimeAsync(JsonNode ticket, int minutes, bool billable, string workDate)
    {
        var response = await _agent.PostAsJsonAsync($"/api/tickets/{ticket["id"]}/time-entries", new { minutes, billable, workDate });
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
    }

    private async Task<string[]> SubjectsAsync(string url)
    {
        var response = await _agent.GetAsync(url);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        return [.. (await response.Json())["items"]!.AsArray().Select(t => t!["subject"]!.GetValue<string>())];
    }
}
