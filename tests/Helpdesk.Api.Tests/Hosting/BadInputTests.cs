using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Helpdesk.Api.Tests.Infrastructure;

namespace Helpdesk.Api.Tests.Hosting;

/// <summary>
/// Malformed input of every kind the API has met gets a 4xx problem+json naming the field or
/// parameter and why, never a 500, and a refused request changes nothing already stored.
/// </summary>
public sealed class BadInputTests(HelpdeskApp app) : IClassFixture<HelpdeskApp>
{
    [Theory]
    [InlineData("/api/tickets?limit=abc", "limit", "'abc' is not an integer")]
    [InlineData("/api/tickets?limit=99999999999", "limit", "is not an integer")]
    [InlineData("/api/accounts?limit=1.5", "limit", "is not an integer")]
    [InlineData("/api/tickets?limit=0", "limit", "from 1 to 200")]
    public async Task A_query_value_that_does_not_bind_is_a_400_naming_the_parameter(string url, string parameter, string reason)
    {
        var response = await app.ClientFor("agent").GetAsync(url);

        await response.ShouldBeProblem(400, parameter);
        (await response.Json())["errors"]![parameter]![0]!.GetValue<string>().ShouldContain(reason);
    }

    [Theory]
    [InlineData("/api/accounts")]
    [InlineData("/api/contacts")]
    [InlineData("/api/agents")]
    [InlineData("/api/teams")]
    [InlineData("/api/sla-policies")]
    [InlineData("/api/calendars")]
    [InlineData("/api/canned-responses")]
    [InlineData("/api/tickets")]
    public async Task A_required_body_sent_as_null_or_left_out_is_a_400_naming_the_body_and_creates_nothing(string url)
    {
        var admin = app.Admin;
        var before = await (await admin.GetAsync(url + "?limit=200")).Json();

        await (await admin.PostAsync(url, Json("null"))).ShouldBeProblem(400, "body");
        await (await admin.PostAsync(url, Json(string.Empty))).ShouldBeProblem(400, "body");
        await (await admin.PostAsync(url, null)).ShouldBeProblem(400, "body");

        var after = await (await admin.GetAsync(url + "?limit=200")).Json();
        after["items"]!.AsArray().Count.ShouldBe(before["items"]!.AsArray().Count);
    }

    [Fact]
    public async Task An_optional_body_may_be_left_out_but_not_sent_as_null()
    {
        var agent = app.ClientFor("agent");
        var ticket = await agent.OpenTicketAsync();
        var url = $"/api/tickets/{ticket["id"]}";

        await (await agent.PostAsync(url + "/resolve", Json("null"))).ShouldBeProblem(400, "body");
        await (await agent.PostAsync(url + "/close", Json("null"))).ShouldBeProblem(400, "body");
        (await (await agent.GetAsync(url)).Json())["status"]!.GetValue<string>().ShouldBe(ticket["status"]!.GetValue<string>());

        (await agent.PostAsync(url + "/resolve", null)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await agent.PostAsync(url + "/close", null)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("""{"subject":5,"requester":{"email":"a@contoso.com"}}""", "subject", "not a string")]
    [InlineData("""{"subject":"x","requester":{"email":"a@contoso.com"},"tags":["ok",3]}""", "tags[1]", "not a string")]
    [InlineData("""{"subject":"x","requester":{"email":7}}""", "requester.email", "not a string")]
    [InlineData("""{"subject":"x","requester":{"email":"a@contoso.com"},"dueAt":"tomorrow"}""", "dueAt", "ISO-8601")]
    [InlineData("""{"subject":"x","requester":{"email":"a@contoso.com"},"colour":"blue"}""", "colour", "Unknown property")]
    [InlineData("""{"subject":"\ud800","requester":{"email":"a@contoso.com"}}""", "subject", "valid Unicode")]
    [InlineData("""{"subject":"x","requester":[]}""", "requester", "not an object")]
    [InlineData("""{"subject":"x",""", "body", "not valid JSON")]
    [InlineData("[1]", "body", "not an object")]
    public async Task A_body_member_that_does_not_bind_is_named_with_what_it_expects(string body, string field, string reason)
    {
        var agent = app.ClientFor("agent");

        var response = await agent.PostAsync("/api/tickets", Json(body));

        await response.ShouldBeProblem(400, field);
        (await response.Json())["errors"]![field]![0]!.GetValue<string>().ShouldContain(reason);
    }

    [Fact]
    public async Task Numbers_beyond_their_type_and_json_nested_too_deep_are_400s()
    {
        var agent = app.ClientFor("agent");
        var ticket = await agent.OpenTicketAsync();
        var entries = $"/api/tickets/{ticket["id"]}/time-entries";

        var huge = await agent.PostAsync(entries, Json("""{"minutes":1e400,"billable":true}"""));
        await huge.ShouldBeProblem(400, "minutes");
        (await huge.Json())["errors"]!["minutes"]![0]!.GetValue<string>().ShouldContain("integer from");
        await (await agent.PostAsync(entries, Json("""{"minutes":99999999999,"billable":true}"""))).ShouldBeProblem(400, "minutes");
        await (await agent.PostAsync("/api/tickets", Json(new string('[', 500) + new string(']', 500)))).ShouldBeProblem(400, "body");

        (await (await agent.GetAsync(entries)).Json())["items"]!.AsArray().ShouldBeEmpty();
    }

    [Fact]
    public async Task A_patch_with_invalid_unicode_is_refused_and_the_ticket_is_unchanged()
    {
        var agent = app.ClientFor("agent");
        var ticket = await agent.OpenTicketAsync();
        var url = $"/api/tickets/{ticket["id"]}";
        var etag = (await agent.GetAsync(url)).Headers.ETag!.ToString();

        await (await Patch(agent, url, Encoding.UTF8.GetBytes("""{"subject":"Broken \ud800 text"}"""), etag)).ShouldBeProblem(400, "subject");
        await (await Patch(agent, url, Encoding.UTF8.GetBytes("""{"tags":["ok","\udc00"]}"""), etag)).ShouldBeProblem(400, "tags");
        await (await Patch(agent, url, [.. "{\"subject\":\"Bad "u8, 0xFF, 0xFE, .. "\"}"u8], etag)).ShouldBeProblem(400);

        var read = await agent.GetAsync(url);
        read.Headers.ETag!.ToString().ShouldBe(etag);
        (await read.Json())["subject"]!.GetValue<string>().ShouldBe("Printer jams");
    }

    [Theory]
    [InlineData("/api/tickets/a%20b", "id")]
    [InlineData("/api/tickets/a%2Fb", "id")]
    [InlineData("/api/tickets/%3F", "id")]
    [InlineData("/api/tickets/%E2%80%AEevil", "id")]
    [InlineData("/api/tickets/%0D%0AX-Injected:%201", "id")]
    [InlineData("/api/accounts/%27%3B%20DROP%20TABLE%20tickets", "id")]
    public async Task A_path_id_no_resource_can_have_is_a_400_naming_it(string url, string parameter)
    {
        await (await app.ClientFor("admin").GetAsync(url)).ShouldBeProblem(400, parameter);
    }

    [Fact]
    public async Task Ids_too_long_for_any_resource_are_refused_on_every_kind_of_route()
    {
        var agent = app.ClientFor("agent");
        var ticket = await agent.OpenTicketAsync();
        var longId = new string('x', 129);

        await (await agent.GetAsync($"/api/tickets/{longId}")).ShouldBeProblem(400, "id");
        await (await agent.GetAsync($"/api/tickets/{ticket["id"]}/time-entries/{longId}")).ShouldBeProblem(400, "entryId");
        await (await agent.PostAsync($"/api/tickets/{longId}/start", null)).ShouldBeProblem(400, "id");
        await (await agent.GetAsync($"/api/tickets/{new string('x', 128)}")).ShouldBeProblem(404);
    }

    [Fact]
    public async Task A_malformed_multipart_upload_is_a_400_naming_the_file_and_stores_nothing()
    {
        var agent = app.ClientFor("agent");
        var ticket = await agent.OpenTicketAsync();
        var url = $"/api/tickets/{ticket["id"]}/attachments";

        await (await agent.PostAsync(url, Multipart("--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\r\nb.txt\"\r\n\r\nhello\r\n--XyZ--\r\n"))).ShouldBeProblem(400, "file");
        var parts = string.Concat(Enumerable.Range(0, 3000).Select(i => $"--XyZ\r\nContent-Disposition: form-data; name=\"f{i}\"\r\n\r\nv\r\n")) + "--XyZ--\r\n";
        await (await agent.PostAsync(url, Multipart(parts))).ShouldBeProblem(400, "file");
        await (await agent.PostAsync(url, Multipart("--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\nhel"))).ShouldBeProblem(400, "file");
        var noBoundary = new ByteArrayContent("x"u8.ToArray());
        noBoundary.Headers.TryAddWithoutValidation("Content-Type", "multipart/form-data");
        await (await agent.PostAsync(url, noBoundary)).ShouldBeProblem(400, "file");

        (await (await agent.GetAsync(url)).Json())["items"]!.AsArray().ShouldBeEmpty();
    }

    [Fact]
    public async Task Unknown_routes_and_methods_under_api_are_problems_of_the_api()
    {
        var agent = app.ClientFor("agent");

        var missing = await agent.GetAsync("/api/no-such-thing");
        await missing.ShouldBeProblem(404);
        (await missing.Json())["type"]!.GetValue<string>().ShouldBe("urn:helpdesk:problem:not-found");

        var wrongMethod = await agent.DeleteAsync("/api/tickets");
        await wrongMethod.ShouldBeProblem(405);
        (await wrongMethod.Json())["type"]!.GetValue<string>().ShouldBe("urn:helpdesk:problem:method-not-allowed");
        wrongMethod.Content.Headers.Allow.ShouldBe(["GET", "POST"], ignoreOrder: true);

        var anonymous = await app.CreateClient().GetAsync("/api/tickets");
        await anonymous.ShouldBeProblem(401);
        (await anonymous.Json())["type"]!.GetValue<string>().ShouldBe("urn:helpdesk:problem:unauthorized");

        var customer = await app.ClientFor("customer", "c@contoso.com", "con_1").GetAsync("/api/tickets");
        await customer.ShouldBeProblem(403);
        (await customer.Json())["type"]!.GetValue<string>().ShouldBe("urn:helpdesk:problem:forbidden");

        var text = await agent.PostAsync("/api/tickets", new StringContent("{}", Encoding.UTF8, "text/plain"));
        await text.ShouldBeProblem(415, "Content-Type");
        (await text.Json())["type"]!.GetValue<string>().ShouldBe("urn:helpdesk:problem:unsupported-media-type");
    }

    [Fact]
    public async Task A_refused_directory_write_leaves_the_entry_as_it_was()
    {
        var admin = app.Admin;
        var created = await admin.PostAsJsonAsync("/api/teams", new { name = "Level 2" });
        var team = await created.Json();
        var url = $"/api/teams/{team["id"]}";
        var request = new HttpRequestMessage(HttpMethod.Put, url) { Content = Json("null") };
        request.Headers.TryAddWithoutValidation("If-Match", created.Headers.ETag!.ToString());

        await (await admin.SendAsync(request)).ShouldBeProblem(400, "body");

        var read = await admin.GetAsync(url);
        read.Headers.ETag!.ToString().ShouldBe(created.Headers.ETag!.ToString());
        (await read.Json())["name"]!.GetValue<string>().ShouldBe("Level 2");
    }

    private static ByteArrayContent Json(string text)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(text));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private static ByteArrayContent Multipart(string body)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.TryAddWithoutValidation("Content-Type", "multipart/form-data; boundary=XyZ");
        return content;
    }

    private static Task<HttpResponseMessage> Patch(HttpClient client, string url, byte[] body, string etag)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/merge-patch+json");
        var request = new HttpRequestMessage(HttpMethod.Patch, url) { Content = content };
        request.Headers.TryAddWithoutValidation("If-Match", etag);
        return client.SendAsync(request);
    }
}
