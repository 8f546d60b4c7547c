using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Tests.Infrastructure;

namespace Helpdesk.Api.Tests.Tickets;

/// <summary>
/// Search that finds conversations (issue 20, item 6): <c>q</c> on the staff list and the portal
/// list matches message bodies, internal notes (staff only) and the requester's name and email,
/// and each hit says where it matched with a marked snippet. One app for the class: each test
/// searches words of its own (a per-test tag), so it finds only its own tickets.
/// </summary>
public sealed class TicketSearchTests(HelpdeskApp app) : IClassFixture<HelpdeskApp>
{
    private readonly HttpClient _agent = app.ClientFor(Roles.Agent, "agent@search.test");

    private static string Tag() => "w" + Guid.NewGuid().ToString("N")[..10];

    /// <summary>A ticket asked by a contact of its own, with a portal client calling as that contact.</summary>
    private async Task<(string Id, HttpClient Customer)> TicketAsync(string subject, string? email = null, string? name = null, string priority = "normal")
    {
        email ??= $"{Tag()}@customer.search.test";
        var ticket = await _agent.OpenTicketAsync(new { subject, priority, requester = new { email, name = name ?? "Casey Customer" } });
        return (ticket["id"]!.GetValue<string>(), app.ClientFor(Roles.Customer, email, ticket["requester"]!["contactId"]!.GetValue<string>()));
    }

    private async Task<string> PostAsync(string ticketId, string visibility, string body)
    {
        var posted = await _agent.PostAsJsonAsync($"/api/tickets/{ticketId}/messages", new { visibility, body });
        posted.EnsureSuccessStatusCode();
        return (await posted.Json())["id"]!.GetValue<string>();
    }

    private static async Task<JsonArray> SearchAsync(HttpClient client, string url) =>
        (await (await client.GetAsync(url)).Json())["items"]!.AsArray();

    private static void ShouldMark(JsonNode match, string field, string word)
    {
        match["field"]!.GetValue<string>().ShouldBe(field);
        var snippet = match["snippet"]!.GetValue<string>();
        var highlights = match["highlights"]!.AsArray();
        highlights.ShouldNotBeEmpty();
        foreach (var highlight in highlights)
        {
            snippet.Substring(highlight!["start"]!.GetValue<int>(), highlight["length"]!.GetValue<int>()).ShouldBe(word, StringCompareShould.IgnoreCase);
        }
    }

    [Fact]
    public async Task A_word_of_a_reply_finds_the_ticket_with_a_marked_snippet_around_it()
    {
        var word = Tag();
        var (id, _) = await TicketAsync("Printer on the third floor");
        var before = string.Join(' ', Enumerable.Range(1, 30).Select(i => $"before{i}"));
        var after = string.Join(' ', Enumerable.Range(1, 40).Select(i => $"after{i}"));
        var messageId = await PostAsync(id, "public", $"<p>{before}</p>\n<p>The toner {word.ToUpperInvariant()} was\nreplaced, {after}</p>");

        var hits = await SearchAsync(_agent, $"/api/tickets?view=all&q={word}");

        var hit = hits.ShouldHaveSingleItem()!;
        hit["id"]!.GetValue<string>().ShouldBe(id);
        var match = hit["match"]!;
        ShouldMark(match, "message", word);
        match["messageId"]!.GetValue<string>().ShouldBe(messageId);
        var snippet = match["snippet"]!.GetValue<string>();
        snippet.ShouldStartWith("…");
        snippet.ShouldEndWith("…");
        snippet.ShouldContain($"The toner {word.ToUpperInvariant()} was replaced,");
        snippet.Length.ShouldBeLessThanOrEqualTo(202);
        snippet.ShouldNotContain("before1 ");
        snippet.ShouldNotContain("after40");

        var unsearched = await (await _agent.GetAsync($"/api/tickets/{id}")).Json();
        unsearched["match"].ShouldBeNull("only a searched list says where a ticket matched");
    }

    [Fact]
    public async Task An_internal_note_is_found_by_staff_and_never_by_the_customer()
    {
        var shared = Tag();
        var secret = Tag();
        var spoken = Tag();
        var (id, customer) = await TicketAsync("VPN drops every hour");
        var noteId = await PostAsync(id, "internal", $"Known issue {shared}: firmware {secret} on their router, do not tell them yet");
        var replyId = await PostAsync(id, "public", $"We are looking at {shared} and {spoken} with the network team");
        var (otherId, _) = await TicketAsync($"Someone else's ticket about {spoken}");

        var staffNote = (await SearchAsync(_agent, $"/api/tickets?view=all&q={secret}")).ShouldHaveSingleItem()!;
        staffNote["id"]!.GetValue<string>().ShouldBe(id);
        ShouldMark(staffNote["match"]!, "note", secret);
        staffNote["match"]!["messageId"]!.GetValue<string>().ShouldBe(noteId);

        (await SearchAsync(customer, $"/api/portal/tickets?q={secret}")).ShouldBeEmpty("a word only in an internal note finds nothing for the customer");
        var portalHit = (await SearchAsync(customer, $"/api/portal/tickets?q={shared}")).ShouldHaveSingleItem()!;
        portalHit["id"]!.GetValue<string>().ShouldBe(id);
        ShouldMark(portalHit["match"]!, "message", shared);
        portalHit["match"]!["messageId"]!.GetValue<string>().ShouldBe(replyId);
        portalHit["match"]!["snippet"]!.GetValue<string>().ShouldNotContain(secret);
        (await SearchAsync(customer, $"/api/portal/tickets?q={spoken}")).Select(t => t!["id"]!.GetValue<string>()).ShouldBe([id], "another customer's ticket stays out of the search");

        (await SearchAsync(_agent, $"/api/tickets?view=all&q={spoken}")).Select(t => t!["id"]!.GetValue<string>()).ShouldBe([otherId, id]);
        (await SearchAsync(customer, "/api/portal/tickets")).Select(t => t!["id"]!.GetValue<string>()).ShouldBe([id]);
    }

    [Fact]
    public async Task The_requester_name_and_email_find_the_ticket()
    {
        var surname = Tag();
        var domain = $"{Tag()}.example";
        var (id, customer) = await TicketAsync("Cannot log in", email: $"zelda@{domain}", name: $"Zelda {surname}");

        var byName = (await SearchAsync(_agent, $"/api/tickets?q={surname.ToUpperInvariant()}")).ShouldHaveSingleItem()!;
        byName["id"]!.GetValue<string>().ShouldBe(id);
        ShouldMark(byName["match"]!, "contact", surname);
        byName["match"]!["snippet"]!.GetValue<string>().ShouldBe($"Zelda {surname} <zelda@{domain}>");
        byName["match"]!["messageId"].ShouldBeNull();

        var byEmail = (await SearchAsync(_agent, $"/api/tickets?q=zelda@{domain}")).ShouldHaveSingleItem()!;
        ShouldMark(byEmail["match"]!, "contact", $"zelda@{domain}");
        (await SearchAsync(customer, $"/api/portal/tickets?q={domain}")).ShouldHaveSingleItem()!["match"]!["field"]!.GetValue<string>().ShouldBe("contact");

        (await SearchAsync(_agent, $"/api/tickets?q={surname}&status=closed")).ShouldBeEmpty("the other filters still apply");
    }

    [Fact]
    public async Task A_search_keeps_the_order_asked_for_and_pages_through_every_hit()
    {
        var word = Tag();
        var (low, _) = await TicketAsync($"Subject with {word}", priority: "low");
        var (urgent, _) = await TicketAsync("Server room flooded", priority: "urgent");
        await PostAsync(urgent, "internal", $"Facilities say {word}");
        var (normal, _) = await TicketAsync("Keyboard sticky");
        await PostAsync(normal, "public", $"Please try {word} first");
        await TicketAsync("Urgent but unrelated", priority: "urgent");

        var first = await (await _agent.GetAsync($"/api/tickets?q={word}&sort=priority&limit=2")).Json();
        var firstIds = first["items"]!.AsArray().Select(t => t!["id"]!.GetValue<string>()).ToList();
        var cursor = first["nextCursor"]!.GetValue<string>();
        var second = await (await _agent.GetAsync($"/api/tickets?q={word}&sort=priority&limit=2&cursor={Uri.EscapeDataString(cursor)}")).Json();

        firstIds.ShouldBe([urgent, normal]);
        second["items"]!.AsArray().Select(t => t!["id"]!.GetValue<string>()).ShouldBe([low]);
        second["nextCursor"].ShouldBeNull();
        first["items"]!.AsArray().Select(t => t!["match"]!["field"]!.GetValue<string>()).ShouldBe(["note", "message"]);
        second["items"]![0]!["match"]!["field"]!.GetValue<string>().ShouldBe("subject");
        (await SearchAsync(_agent, $"/api/tickets?q={word}&sort=-createdAt")).Select(t => t!["id"]!.GetValue<string>()).ShouldBe([normal, urgent, low]);
    }

    [Fact]
    public async Task An_over_long_search_is_refused_naming_q()
    {
        var (_, customer) = await TicketAsync("Anything");
        var tooLong = new string('x', 201);

        await (await _agent.GetAsync($"/api/tickets?q={tooLong}")).ShouldBeProblem(400, "q");
        await (await customer.GetAsync($"/api/portal/tickets?q={tooLong}")).ShouldBeProblem(400, "q");
        (await _agent.GetAsync($"/api/tickets?q={new string('x', 200)}")).EnsureSuccessStatusCode();
    }
}
