using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Tests.Infrastructure;

namespace Helpdesk.Api.Tests.Tickets;

/// <summary>
/// The admin-owned lists (GET|PUT /api/lists/{name}). The tests share one app: each edits its own
/// list (appsettings seeds only types; groups, severities and impacts start empty, accepting any value).
/// </summary>
public sealed class TicketListTests(HelpdeskApp app) : IClassFixture<HelpdeskApp>
{
    private readonly HttpClient _agent = app.ClientFor(Roles.Agent);
    private readonly HttpClient _admin = app.Admin;

    [Fact]
    public async Task A_list_never_saved_answers_the_values_appsettings_seed_at_version_zero()
    {
        var response = await _agent.GetAsync("/api/lists/types");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Headers.ETag!.Tag.ShouldBe("\"0\"");
        var body = await response.Json();
        body["name"]!.GetValue<string>().ShouldBe("types");
        body["values"]!.AsArray().Select(v => v!["value"]!.GetValue<string>()).ShouldBe(["incident", "request", "question", "problem", "internal"]);
        body["values"]!.AsArray().ShouldAllBe(v => !v!["retired"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Only_staff_read_a_list_only_admins_write_one_and_an_unknown_list_is_404()
    {
        var ticket = await _agent.OpenTicketAsync(new { subject = "Mine", requester = new { email = "customer@lists.test" } });
        var customer = app.ClientFor(Roles.Customer, "customer@lists.test", ticket["requester"]!["contactId"]!.GetValue<string>());
        (await customer.GetAsync("/api/lists/types")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await PutAsync(_agent, "channels", "\"0\"", new { value = "email" })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);

        await (await _agent.GetAsync("/api/lists/colours")).ShouldBeProblem(404);
        await (await PutAsync(_admin, "colours", "\"0\"", new { value = "red" })).ShouldBeProblem(404);
    }

    [Fact]
    public async Task A_put_needs_the_current_etag_and_the_saved_list_then_decides_what_tickets_take()
    {
        await (await PutAsync(_admin, "severities", null, new { value = "sev1" })).ShouldBeProblem(428);
        await (await PutAsync(_admin, "severities", "\"3\"", new { value = "sev1" })).ShouldBeProblem(412);

        var saved = await PutAsync(_admin, "severities", "\"0\"", new { value = "sev1" }, new { value = "sev2" });

        saved.StatusCode.ShouldBe(HttpStatusCode.OK);
        saved.Headers.ETag!.Tag.ShouldBe("\"1\"");
        (await _agent.GetAsync("/api/lists/severities")).Headers.ETag!.Tag.ShouldBe("\"1\"");
        await (await PutAsync(_admin, "severities", "\"0\"", new { value = "sev3" })).ShouldBeProblem(412);

        var ticket = await _agent.OpenTicketAsync(new { subject = "Down", requester = new { email = "sev@lists.test" }, severity = "SEV1" });
        ticket["severity"]!.GetValue<string>().ShouldBe("sev1", "stored as the list spells it");
        var refused = await _agent.PostAsJsonAsync("/api/tickets", new { subject = "Down", requester = new { email = "sev@lists.test" }, severity = "sev9" });
        await refused.ShouldBeProblem(400, "severity");
        (await refused.Json())["errors"]!["severity"]![0]!.GetValue<string>().ShouldContain("sev1, sev2");
    }

    [Fact]
    public async Task A_value_tickets_hold_is_retired_not_removed_and_stays_on_them()
    {
        (await PutAsync(_admin, "impacts", "\"0\"", new { value = "site" }, new { value = "team" })).StatusCode.ShouldBe(HttpStatusCode.OK);
        var ticket = await _agent.OpenTicketAsync(new { subject = "Floor down", requester = new { email = "impact@lists.test" }, impact = "site" });
        var url = $"/api/tickets/{ticket["id"]}";

        var removing = await PutAsync(_admin, "impacts", "\"1\"", new { value = "team" });

        await removing.ShouldBeProblem(409, "values");
        (await removing.Json())["errors"]!["values"]![0]!.GetValue<string>().ShouldContain("'site'");
        (await PutAsync(_admin, "impacts", "\"1\"", new { value = "site", retired = true }, new { value = "team" })).StatusCode.ShouldBe(HttpStatusCode.OK);

        await (await _agent.PostAsJsonAsync("/api/tickets", new { subject = "Again", requester = new { email = "impact@lists.test" }, impact = "site" })).ShouldBeProblem(400, "impact");
        var other = await _agent.OpenTicketAsync(new { subject = "Other", requester = new { email = "impact@lists.test" }, impact = "team" });
        await (await _agent.PatchJsonAsync($"/api/tickets/{other["id"]}", new { impact = "site" }, "\"1\"")).ShouldBeProblem(400, "impact");
        var kept = await _agent.PatchJsonAsync(url, new { impact = "site", progress = 10 }, "\"1\"");
        kept.StatusCode.ShouldBe(HttpStatusCode.OK, await kept.Content.ReadAsStringAsync());
        (await kept.Json())["impact"]!.GetValue<string>().ShouldBe("site");
        (await (await _agent.GetAsync(url)).Json())["impact"]!.GetValue<string>().ShouldBe("site");
    }

    [Fact]
    public async Task A_list_with_a_blank_a_repeated_or_an_overlong_value_is_400_naming_it()
    {
        await (await PutAsync(_admin, "groups", "\"0\"", new { value = "Billing" }, new { value = "billing" })).ShouldBeProblem(400, "values");
        await (await PutAsync(_admin, "groups", "\"0\"", new { value = " " })).ShouldBeProblem(400, "values[0].value");
        await (await PutAsync(_admin, "groups", "\"0\"", new { value = new string('x', 101) })).ShouldBeProblem(400, "values[0].value");
        await (await Send(_admin, "groups", "\"0\"", "{}")).ShouldBeProblem(400, "values");
        (await _agent.GetAsync("/api/lists/groups")).Headers.ETag!.Tag.ShouldBe("\"0\"", "nothing was saved");
    }

    private static Task<HttpResponseMessage> PutAsync(HttpClient client, string name, string? ifMatch, params object[] values) =>
        Send(client, name, ifMatch, JsonSerializer.Serialize(new { values }));

    private static Task<HttpResponseMessage> Send(HttpClient client, string name, string? ifMatch, string json)
    {
        var request = new HttpRequestMessage(HttpMethod.Put, $"/api/lists/{name}") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        return client.SendAsync(request);
    }
}
