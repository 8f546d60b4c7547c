using System.Net;
using System.Net.Http.Json;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Tests.Infrastructure;
using static Helpdesk.Api.Tests.Time.TimeEntryTests;

namespace Helpdesk.Api.Tests.Knowledge;

public sealed class KnowledgeTests(HelpdeskApp app) : IClassFixture<HelpdeskApp>
{
    [Fact]
    public async Task A_ticket_has_exactly_one_resolution_record_replaced_with_if_match()
    {
        var (_, ada) = await app.AgentAsync("ada.one@kb.test");
        var url = await TicketUrlAsync(ada);

        var first = await ada.PutAsJsonAsync($"{url}/resolution", new { details = "Cleaned the rollers." });
        first.StatusCode.ShouldBe(HttpStatusCode.Created);
        first.Headers.ETag!.Tag.ShouldBe("\"1\"");
        await (await ada.PutAsJsonAsync($"{url}/resolution", new { details = "Replaced the rollers." })).ShouldBeProblem(428);
        await (await Send(ada, HttpMethod.Put, $"{url}/resolution", "\"3\"", new { details = "Replaced the rollers." })).ShouldBeProblem(412);
        var second = await Send(ada, HttpMethod.Put, $"{url}/resolution", "\"1\"", new { details = "Replaced the rollers." });

        second.StatusCode.ShouldBe(HttpStatusCode.OK);
        var resolution = await (await ada.GetAsync($"{url}/resolution")).Json();
        resolution["details"]!.GetValue<string>().ShouldBe("Replaced the rollers.");
        var history = (await (await ada.GetAsync($"{url}/history")).Json())["items"]!.AsArray();
        history.Count(h => h!["action"]!.GetValue<string>() == "resolutionRecorded").ShouldBe(2);
        history.Last()!["changes"]![0]!["from"]!.GetValue<string>().ShouldBe("Cleaned the rollers.");
    }

    [Fact]
    public async Task Publishing_a_resolution_makes_one_article_that_customers_can_find()
    {
        var (_, ada) = await app.AgentAsync("ada.publish@kb.test");
        var url = await TicketUrlAsync(ada);
        var customer = app.ClientFor(Roles.Customer, "alice@contoso.com", "con_1");

        var resolution = await (await ada.PutAsJsonAsync($"{url}/resolution", new { details = "Hold the reset button for ten seconds.", publish = true, articleTitle = "Resetting the XK-9 printer", tags = new[] { "Printer" } })).Json();
        var articleId = resolution["articleId"]!.GetValue<string>();
        await Send(ada, HttpMethod.Put, $"{url}/resolution", "\"1\"", new { details = "Hold the reset button for fifteen seconds.", publish = true });

        var article = await (await customer.GetAsync($"/api/kb/articles/{articleId}")).Json();
        article["title"]!.GetValue<string>().ShouldBe("Resetting the XK-9 printer");
        article["body"]!.GetValue<string>().ShouldBe("Hold the reset button for fifteen seconds.");
        article["tags"]!.AsArray().Select(t => t!.GetValue<string>()).ShouldBe(["printer"]);
        article["sourceTicketId"]!.GetValue<string>().ShouldBe(url.Split('/').Last());
        var found = await (await customer.GetAsync("/api/kb/articles?q=RESET%20BUTTON&tag=printer")).Json();
        found["items"]!.AsArray().Select(a => a!["id"]!.GetValue<string>()).ShouldBe([articleId]);
        (await (await ada.GetAsync($"{url}/resolution")).Json())["articleId"]!.GetValue<string>().ShouldBe(articleId);
    }

    [Fact]
    public async Task Emailing_the_resolution_asks_the_notification_pipeline_to_send_it_to_the_requester()
    {
        var (_, ada) = await app.AgentAsync("ada.email@kb.test");
        var url = await TicketUrlAsync(ada);

        await ada.PutAsJsonAsync($"{url}/resolution", new { details = "Firmware 2.1 fixes it.", emailContact = true });

        var recorded = (await (await ada.GetAsync($"{url}/history")).Json())["items"]!.AsArray().Last()!;
        recorded["action"]!.GetValue<string>().ShouldBe("resolutionRecorded");
        recorded["note"]!.GetValue<string>().ShouldBe("Emailed to the contact.");
    }

    [Fact]
    public async Task Customers_never_see_unpublished_articles_and_never_write()
    {
        var (_, ada) = await app.AgentAsync("ada.draft@kb.test");
        var customer = app.ClientFor(Roles.Customer, "alice@contoso.com", "con_1");
        var draft = await (await ada.PostAsJsonAsync("/api/kb/articles", new { title = "Internal: VPN keys", body = "Secret steps", tags = new[] { "vpn" } })).Json();
        var published = await ada.PostAsJsonAsync("/api/kb/articles", new { title = "VPN setup", body = "Public steps", tags = new[] { "vpn" }, published = true });

        published.StatusCode.ShouldBe(HttpStatusCode.Created);
        await (await customer.GetAsync($"/api/kb/articles/{draft["id"]}")).ShouldBeProblem(404);
        (await (await customer.GetAsync("/api/kb/articles?tag=vpn")).Json())["items"]!.AsArray().Select(a => a!["title"]!.GetValue<string>()).ShouldBe(["VPN setup"]);
        (await (await ada.GetAsync("/api/kb/articles?tag=vpn")).Json())["items"]!.AsArray().Count.ShouldBe(2);
        (await customer.PostAsJsonAsync("/api/kb/articles", new { title = "Mine", body = "x" })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await customer.PutAsJsonAsync($"/api/tickets/{draft["id"]}/resolution", new { details = "x" })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await app.CreateClient().GetAsync("/api/kb/articles")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Articles_are_validated_and_updated_with_if_match()
    {
        var (_, ada) = await app.AgentAsync("ada.valid@kb.test");
        var empty = await ada.PostAsJsonAsync("/api/kb/articles", new { });
        await empty.ShouldBeProblem(400);
        (await empty.Json())["errors"]!.AsObject().Select(e => e.Key).ShouldBe(["title", "body"], ignoreOrder: true);
        var article = (await ada.PostAsJsonAsync("/api/kb/articles", new { title = "T", body = "B" })).Headers.Location!.ToString();

        await (await ada.PutAsJsonAsync(article, new { title = "T2", body = "B" })).ShouldBeProblem(428);
        (await Send(ada, HttpMethod.Put, article, "\"1\"", new { title = "T2", body = "B", published = true })).StatusCode.ShouldBe(HttpStatusCode.OK);
        await (await ada.GetAsync("/api/kb/articles/kba_missing")).ShouldBeProblem(404);
        await (await ada.GetAsync("/api/kb/articles?limit=0")).ShouldBeProblem(400, "limit");
    }

    [Fact]
    public async Task A_resolution_needs_details_and_an_existing_ticket()
    {
        var (_, ada) = await app.AgentAsync("ada.rules@kb.test");
        var url = await TicketUrlAsync(ada);

        await (await ada.PutAsJsonAsync($"{url}/resolution", new { details = "" })).ShouldBeProblem(400, "details");
        await (await ada.PutAsJsonAsync("/api/tickets/tkt_missing/resolution", new { details = "x" })).ShouldBeProblem(404);
        await (await ada.GetAsync($"{url}/resolution")).ShouldBeProblem(404);
    }

    [Fact]
    public async Task A_closed_ticket_takes_its_resolution_record_and_corrections_and_publishes_them()
    {
        var (_, ada) = await app.AgentAsync("ada.closed@kb.test");
        var url = await TicketUrlAsync(ada);
        (await ada.PostAsJsonAsync($"{url}/resolve", new { summary = "Rollers" })).EnsureSuccessStatusCode();
        (await ada.PostAsync($"{url}/close", null)).EnsureSuccessStatusCode();
        var customer = app.ClientFor(Roles.Customer, "alice@contoso.com", "con_1");

        var written = await ada.PutAsJsonAsync($"{url}/resolution", new { details = "Cleaned the rollers with alcohol." });
        written.StatusCode.ShouldBe(HttpStatusCode.Created, await written.Content.ReadAsStringAsync());
        await (await Send(ada, HttpMethod.Put, $"{url}/resolution", "\"7\"", new { details = "x" })).ShouldBeProblem(412);
        var corrected = await Send(ada, HttpMethod.Put, $"{url}/resolution", "\"1\"", new { details = "Replaced the rollers.", publish = true, articleTitle = "XK-9 rollers" });

        corrected.StatusCode.ShouldBe(HttpStatusCode.OK, await corrected.Content.ReadAsStringAsync());
        var articleId = (await corrected.Json())["articleId"]!.GetValue<string>();
        (await (await customer.GetAsync($"/api/kb/articles/{articleId}")).Json())["body"]!.GetValue<string>().ShouldBe("Replaced the rollers.");
        var read = await ada.GetAsync(url);
        (await read.Json())["status"]!.GetValue<string>().ShouldBe("closed");
        var recorded = (await (await ada.GetAsync($"{url}/history")).Json())["items"]!.AsArray()
            .Where(h => h!["action"]!.GetValue<string>() == "resolutionRecorded").ToArray();
        recorded.Length.ShouldBe(2);
        recorded[1]!["changes"]!.AsArray().Select(c => c!["field"]!.GetValue<string>()).ShouldBe(["resolutionDetails", "knowledgeArticleId"]);
        recorded[1]!["changes"]![0]!["from"]!.GetValue<string>().ShouldBe("Cleaned the rollers with alcohol.");
        await (await ada.PatchJsonAsync(url, new { subject = "Still read-only" }, read.Headers.ETag!.Tag)).ShouldBeProblem(409);
    }
}
