using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Tests.Infrastructure;

namespace Helpdesk.Api.Tests.Portal;

/// <summary>
/// Live chat through the portal API (issue 24): a chat is the ticket's thread, written through the
/// one write path, so its messages, SLA and history are the ticket's; a customer reaches only their
/// own sessions, and internal notes never reach the chat.
/// </summary>
public sealed class PortalChatTests(HelpdeskApp app) : IClassFixture<HelpdeskApp>
{
    private readonly HttpClient _agent = app.ClientFor(Roles.Agent, "agent@chat.test");

    /// <summary>A contact (made by an agent's ticket for them) and their portal client.</summary>
    private async Task<(string TicketId, HttpClient Customer)> CustomerAsync(string email)
    {
        var ticket = await _agent.OpenTicketAsync(new { subject = "Earlier question", requester = new { email, name = "Cust" } });
        return (ticket["id"]!.GetValue<string>(), app.ClientFor(Roles.Customer, email, ticket["requester"]!["contactId"]!.GetValue<string>()));
    }

    private static async Task<JsonNode> OpenChatAsync(HttpClient customer, object body)
    {
        var response = await customer.PostAsJsonAsync("/api/portal/chats", body);
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return await response.Json();
    }

    private async Task<JsonNode> ReplyAsync(string ticketId, string visibility, string body)
    {
        var response = await _agent.PostAsJsonAsync($"/api/tickets/{ticketId}/messages", new { visibility, body });
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return await response.Json();
    }

    private static async Task<JsonArray> TranscriptAsync(HttpClient customer, string chatId, string? after = null) =>
        (await (await customer.GetAsync($"/api/portal/chats/{chatId}/messages{(after is null ? string.Empty : "?after=" + after)}")).Json())["items"]!.AsArray();

    private async Task<JsonNode> SlaAsync(string ticketId) =>
        (await (await _agent.GetAsync($"/api/tickets/{ticketId}")).Json())["sla"]!;

    private async Task<IReadOnlyList<JsonNode>> EventsAsync(string ticketId, string type) =>
        [.. (await app.StoredEventsAsync(ticketId)).Where(e => e["type"]!.GetValue<string>() == type)];

    [Fact]
    public async Task A_chat_opens_a_ticket_and_the_agents_public_reply_lands_in_it_while_the_note_does_not()
    {
        var (_, customer) = await CustomerAsync("newchat@chat.test");

        var response = await customer.PostAsJsonAsync("/api/portal/chats", new { message = "My screen is black" });

        response.StatusCode.ShouldBe(HttpStatusCode.Created);
        var chat = await response.Json();
        var chatId = chat["id"]!.GetValue<string>();
        var ticketId = chat["ticketId"]!.GetValue<string>();
        response.Headers.Location!.ToString().ShouldBe($"/api/portal/chats/{chatId}");
        chat["state"]!.GetValue<string>().ShouldBe("open");
        var ticket = await (await _agent.GetAsync($"/api/tickets/{ticketId}")).Json();
        ticket["subject"]!.GetValue<string>().ShouldBe("My screen is black");

        var reply = await ReplyAsync(ticketId, "public", "Try the power button");
        await ReplyAsync(ticketId, "internal", "SECRET-NOTE the customer did this before");

        reply["source"]!.GetValue<string>().ShouldBe("chat");
        var transcript = await TranscriptAsync(customer, chatId);
        transcript.Select(m => m!["text"]!.GetValue<string>()).ShouldBe(["My screen is black", "Try the power button"]);
        transcript.Select(m => m!["source"]!.GetValue<string>()).ShouldAllBe(s => s == "chat");
        (await customer.GetStringAsync($"/api/portal/chats/{chatId}/messages")).ShouldNotContain("SECRET");
        (await TranscriptAsync(customer, chatId, after: transcript[0]!["id"]!.GetValue<string>())).Select(m => m!["text"]!.GetValue<string>()).ShouldBe(["Try the power button"]);
        var history = (await (await _agent.GetAsync($"/api/tickets/{ticketId}/history")).Json())["items"]!.AsArray().Select(h => h!["action"]!.GetValue<string>());
        history.ShouldBe(["created", "chatStarted", "customerMessage", "agentReplied", "noteAdded"]);
        var added = await EventsAsync(ticketId, "ticket.messageAdded");
        added.Select(e => e["data"]!["chatId"]?.GetValue<string>()).ShouldBe([chatId, chatId, null], "the note is never the chat's");
    }

    [Fact]
    public async Task A_chat_continues_the_customers_own_ticket_once_at_a_time()
    {
        var (ticketId, customer) = await CustomerAsync("continue@chat.test");

        var chat = await OpenChatAsync(customer, new { message = "About my earlier question", ticketId });

        chat["ticketId"]!.GetValue<string>().ShouldBe(ticketId);
        var again = await customer.PostAsJsonAsync("/api/portal/chats", new { message = "Hello?", ticketId });
        await again.ShouldBeProblem(409);
        (await again.Content.ReadAsStringAsync()).ShouldContain("chat-open");
        var sent = await customer.PostAsJsonAsync($"/api/portal/chats/{chat["id"]}/messages", new { body = "<p>Still there?</p><script>x()</script>" });
        sent.StatusCode.ShouldBe(HttpStatusCode.Created);
        (await sent.Json())["body"]!.GetValue<string>().ShouldBe("<p>Still there?</p>");
        (await TranscriptAsync(customer, chat["id"]!.GetValue<string>())).Count.ShouldBe(2);
    }

    [Fact]
    public async Task A_customer_never_reaches_another_customers_chat_or_ticket()
    {
        var (ownTicket, owner) = await CustomerAsync("owner@chat.test");
        var (_, stranger) = await CustomerAsync("stranger@chat.test");
        var chat = await OpenChatAsync(owner, new { message = "Private matter", ticketId = ownTicket });
        var chatId = chat["id"]!.GetValue<string>();

        (await stranger.GetAsync($"/api/portal/chats/{chatId}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await stranger.GetAsync($"/api/portal/chats/{chatId}/messages")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await stranger.PostAsJsonAsync($"/api/portal/chats/{chatId}/messages", new { body = "Hi" })).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await stranger.PostAsync($"/api/portal/chats/{chatId}/close", null)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        await (await stranger.PostAsJsonAsync("/api/portal/chats", new { message = "Let me in", ticketId = ownTicket })).ShouldBeProblem(404);
        (await _agent.PostAsJsonAsync("/api/portal/chats", new { message = "Agents answer on the ticket" })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await owner.GetAsync($"/api/portal/chats/{chatId}")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Bad_input_is_a_problem_naming_the_field()
    {
        var (_, customer) = await CustomerAsync("bad@chat.test");
        await (await customer.PostAsJsonAsync("/api/portal/chats", new { message = "" })).ShouldBeProblem(400, "message");
        await (await customer.PostAsJsonAsync("/api/portal/chats", new { message = "Hi", subject = new string('s', 201) })).ShouldBeProblem(400, "subject");
        var chat = await OpenChatAsync(customer, new { message = "Hi" });
        await (await customer.PostAsJsonAsync($"/api/portal/chats/{chat["id"]}/messages", new { body = " " })).ShouldBeProblem(400, "body");
        await (await customer.GetAsync($"/api/portal/chats/{chat["id"]}/messages?after=msg_unknown")).ShouldBeProblem(400, "after");
        await (await customer.GetAsync("/api/portal/chats/chat_unknown")).ShouldBeProblem(404);
    }

    [Fact]
    public async Task Closing_a_chat_hands_the_replies_the_customer_never_answered_to_email()
    {
        var (_, customer) = await CustomerAsync("closer@chat.test");
        var chat = await OpenChatAsync(customer, new { message = "Printer jammed" });
        var (chatId, ticketId) = (chat["id"]!.GetValue<string>(), chat["ticketId"]!.GetValue<string>());
        await ReplyAsync(ticketId, "public", "Answered in the chat");
        (await customer.PostAsJsonAsync($"/api/portal/chats/{chatId}/messages", new { body = "Thanks, and the tray?" })).EnsureSuccessStatusCode();
        var unanswered = await ReplyAsync(ticketId, "public", "Open the back door");

        var closed = await customer.PostAsync($"/api/portal/chats/{chatId}/close", null);

        closed.StatusCode.ShouldBe(HttpStatusCode.OK);
        var session = await closed.Json();
        session["state"]!.GetValue<string>().ShouldBe("closed");
        session["endReason"]!.GetValue<string>().ShouldBe("customer");
        var byEmail = (await EventsAsync(ticketId, "chat.replyByEmail")).ShouldHaveSingleItem();
        byEmail["data"]!["messageId"]!.GetValue<string>().ShouldBe(unanswered["id"]!.GetValue<string>());
        byEmail["actor"]!["type"]!.GetValue<string>().ShouldBe("agent");
        (await customer.PostAsync($"/api/portal/chats/{chatId}/close", null)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await EventsAsync(ticketId, "chat.ended")).Count.ShouldBe(1, "closing twice ends it once");
        await (await customer.PostAsJsonAsync($"/api/portal/chats/{chatId}/messages", new { body = "One more thing" })).ShouldBeProblem(409);
        var later = await ReplyAsync(ticketId, "public", "By email now");
        later["source"]!.GetValue<string>().ShouldBe("api");
        (await TranscriptAsync(customer, chatId)).Select(m => m!["text"]!.GetValue<string>()).ShouldNotContain("By email now");
    }

    [Fact]
    public async Task A_chat_opened_ticket_runs_on_the_chat_first_response_target_and_the_customers_chat_messages_start_the_response_clocks()
    {
        // A policy of this customer's own account, so no other test's ticket falls under it.
        var accountId = await app.AccountAsync("Chatty Ltd", "chatty-sla.test");
        var policy = await app.Admin.PostAsJsonAsync("/api/sla-policies", new
        {
            name = "Chatty",
            order = 5,
            conditions = new { accountIds = new[] { accountId } },
            targets = new { normal = new { firstResponse = 240, nextResponse = 30 } },
            chatFirstResponseMinutes = 5,
        });
        policy.StatusCode.ShouldBe(HttpStatusCode.Created, await policy.Content.ReadAsStringAsync());
        var policyId = (await policy.Json())["id"]!.GetValue<string>();
        (await (await app.Admin.GetAsync($"/api/sla-policies/{policyId}")).Json())["chatFirstResponseMinutes"]!.GetValue<int>().ShouldBe(5);
        var (earlierId, customer) = await CustomerAsync("ann@chatty-sla.test");
        var openedAt = app.Clock.GetUtcNow();

        var chat = await OpenChatAsync(customer, new { message = "The VPN drops every minute" });
        var ticketId = chat["ticketId"]!.GetValue<string>();
        await OpenChatAsync(customer, new { message = "And on my old ticket too", ticketId = earlierId });

        var sla = await SlaAsync(ticketId);
        sla["policyId"]!.GetValue<string>().ShouldBe(policyId);
        sla["chatFirstResponse"]!.GetValue<bool>().ShouldBeTrue();
        sla["firstResponse"]!["state"]!.GetValue<string>().ShouldBe("running");
        sla["firstResponse"]!["dueAt"]!.GetValue<DateTimeOffset>().ShouldBe(openedAt.AddMinutes(5));
        sla["nextResponse"].ShouldBeNull();
        var continued = await SlaAsync(earlierId);
        continued["chatFirstResponse"]!.GetValue<bool>().ShouldBeFalse("a chat on an existing ticket keeps the priority's target");
        continued["firstResponse"]!["dueAt"]!.GetValue<DateTimeOffset>().ShouldBe(openedAt.AddMinutes(240));

        app.Clock.Advance(TimeSpan.FromMinutes(2));
        await ReplyAsync(ticketId, "public", "Which VPN client?");
        app.Clock.Advance(TimeSpan.FromMinutes(1));
        (await customer.PostAsJsonAsync($"/api/portal/chats/{chat["id"]}/messages", new { body = "The built-in one" })).StatusCode.ShouldBe(HttpStatusCode.Created);

        sla = await SlaAsync(ticketId);
        sla["firstResponse"]!["state"]!.GetValue<string>().ShouldBe("met");
        sla["nextResponse"]!["state"]!.GetValue<string>().ShouldBe("running");
        sla["nextResponse"]!["dueAt"]!.GetValue<DateTimeOffset>().ShouldBe(openedAt.AddMinutes(3 + 30));
        await ReplyAsync(ticketId, "public", "Update it to 5.2");
        (await SlaAsync(ticketId))["nextResponse"]!["state"]!.GetValue<string>().ShouldBe("met");
    }

    [Fact]
    public async Task A_chat_the_customer_left_idle_ends_by_itself_and_one_still_in_use_stays_open()
    {
        var (_, idleCustomer) = await CustomerAsync("idle@chat.test");
        var (_, busyCustomer) = await CustomerAsync("busy@chat.test");
        var idle = await OpenChatAsync(idleCustomer, new { message = "Anyone?" });
        await ReplyAsync(idle["ticketId"]!.GetValue<string>(), "public", "Yes, what is it?");
        app.Clock.Advance(TimeSpan.FromMinutes(8));
        var busy = await OpenChatAsync(busyCustomer, new { message = "Quick one" });
        app.Clock.Advance(TimeSpan.FromMinutes(3));

        (await app.CreateClient().PostAsync("/CloseIdleChats", new StringContent("{}", System.Text.Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();

        var ended = await (await idleCustomer.GetAsync($"/api/portal/chats/{idle["id"]}")).Json();
        ended["state"]!.GetValue<string>().ShouldBe("closed");
        ended["endReason"]!.GetValue<string>().ShouldBe("idle");
        (await EventsAsync(idle["ticketId"]!.GetValue<string>(), "chat.replyByEmail")).ShouldHaveSingleItem();
        (await (await busyCustomer.GetAsync($"/api/portal/chats/{busy["id"]}")).Json())["state"]!.GetValue<string>().ShouldBe("open");
    }
}
