using System.Net;
using System.Net.Http.Json;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Tests.Infrastructure;

namespace Helpdesk.Api.Tests.Directory;

public sealed class DirectoryTests(HelpdeskApp app) : IClassFixture<HelpdeskApp>
{
    [Theory]
    [InlineData("/api/accounts", """{"name":"Acme","domains":["acme.test"]}""")]
    [InlineData("/api/contacts", """{"email":"wile@coyote.test","name":"Wile"}""")]
    [InlineData("/api/agents", """{"email":"road@runner.test","name":"Road Runner","roles":["supervisor"]}""")]
    [InlineData("/api/teams", """{"name":"Night shift"}""")]
    public async Task Admins_create_read_replace_and_deactivate_entries(string path, string body)
    {
        var admin = app.Admin;

        var created = await admin.PostAsync(path, new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        created.StatusCode.ShouldBe(HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var location = created.Headers.Location!.ToString();
        location.ShouldStartWith(path + "/");

        var read = await admin.GetAsync(location);
        read.StatusCode.ShouldBe(HttpStatusCode.OK);
        read.Headers.ETag!.Tag.ShouldBe("\"1\"");
        var entry = (await read.Json()).AsObject();
        entry["active"]!.GetValue<bool>().ShouldBeTrue();

        var replace = new HttpRequestMessage(HttpMethod.Put, location) { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
        replace.Headers.TryAddWithoutValidation("If-Match", "\"1\"");
        var replaced = await admin.SendAsync(replace);
        replaced.StatusCode.ShouldBe(HttpStatusCode.OK);
        replaced.Headers.ETag!.Tag.ShouldBe("\"2\"");

        var delete = new HttpRequestMessage(HttpMethod.Delete, location);
        delete.Headers.TryAddWithoutValidation("If-Match", "\"2\"");
        (await admin.SendAsync(delete)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await (await admin.GetAsync(location)).Json())["active"]!.GetValue<bool>().ShouldBeFalse();
    }

    [Fact]
    public async Task Agents_read_the_directory_but_only_admins_change_it()
    {
        var agent = app.ClientFor(Roles.Agent);

        (await agent.GetAsync("/api/accounts")).StatusCode.ShouldBe(HttpStatusCode.OK);
        await (await agent.PostAsJsonAsync("/api/accounts", new { name = "Nope" })).ShouldBeProblem(403);
        await (await app.ClientFor(Roles.Supervisor).PostAsJsonAsync("/api/teams", new { name = "Nope" })).ShouldBeProblem(403);
    }

    [Fact]
    public async Task Replacing_needs_the_current_etag()
    {
        var created = await app.Admin.PostAsJsonAsync("/api/teams", new { name = "Versioned" });
        var location = created.Headers.Location!;

        var missing = await app.Admin.PutAsJsonAsync(location, new { name = "No etag" });
        var stale = new HttpRequestMessage(HttpMethod.Put, location) { Content = JsonContent.Create(new { name = "Stale" }) };
        stale.Headers.TryAddWithoutValidation("If-Match", "\"9\"");

        await missing.ShouldBeProblem(428);
        await (await app.Admin.SendAsync(stale)).ShouldBeProblem(412);
    }

    [Fact]
    public async Task An_email_or_a_domain_belongs_to_one_entry_only()
    {
        (await app.Admin.PostAsJsonAsync("/api/contacts", new { email = "twin@dup.test" })).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await app.Admin.PostAsJsonAsync("/api/accounts", new { name = "First", domains = new[] { "dup.test" } })).StatusCode.ShouldBe(HttpStatusCode.Created);

        await (await app.Admin.PostAsJsonAsync("/api/contacts", new { email = "TWIN@dup.test" })).ShouldBeProblem(409, "email");
        await (await app.Admin.PostAsJsonAsync("/api/accounts", new { name = "Second", domains = new[] { "DUP.test" } })).ShouldBeProblem(409, "domains");
    }

    [Fact]
    public async Task Entries_must_point_at_existing_entries()
    {
        await (await app.Admin.PostAsJsonAsync("/api/contacts", new { email = "orphan@ref.test", accountId = "acc_nobody" })).ShouldBeProblem(400, "accountId");
        await (await app.Admin.PostAsJsonAsync("/api/agents", new { email = "lost@ref.test", name = "Lost", teamIds = new[] { "team_nobody" } })).ShouldBeProblem(400, "teamIds[0]");
        await (await app.Admin.PostAsJsonAsync("/api/teams", new { name = "Headless", leadAgentId = "agt_nobody" })).ShouldBeProblem(400, "leadAgentId");
    }

    [Fact]
    public async Task Invalid_entries_are_400_naming_each_field()
    {
        await (await app.Admin.PostAsJsonAsync("/api/agents", new { email = "nope", name = "", roles = new[] { "customer" } })).ShouldBeProblem(400, "roles[0]");
        await (await app.Admin.PostAsJsonAsync("/api/accounts", new { name = "X", domains = new[] { "not a domain" } })).ShouldBeProblem(400, "domains[0]");
        await (await app.Admin.GetAsync("/api/teams/team_missing")).ShouldBeProblem(404);
    }

    [Fact]
    public async Task Lists_search_by_name_and_page()
    {
        for (var i = 0; i < 3; i++)
        {
            (await app.Admin.PostAsJsonAsync("/api/accounts", new { name = $"Searchable {i}" })).EnsureSuccessStatusCode();
        }

        var first = await (await app.Admin.GetAsync("/api/accounts?q=searchable&limit=2")).Json();
        var second = await (await app.Admin.GetAsync($"/api/accounts?q=searchable&limit=2&cursor={first["nextCursor"]}")).Json();

        first["items"]!.AsArray().Count.ShouldBe(2);
        second["items"]!.AsArray().Count.ShouldBe(1);
        second["nextCursor"].ShouldBeNull();
    }
}
