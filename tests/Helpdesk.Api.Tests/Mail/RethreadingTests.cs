using System.Net;
using System.Net.Http.Json;
using Helpdesk.Api.Tests.Infrastructure;
using Helpdesk.Api.Tests.Infrastructure.FakeGraph;

namespace Helpdesk.Api.Tests.Mail;

/// <summary>An agent moves a message to the right ticket or splits it into a new one; its files and its mail thread follow it.</summary>
public sealed class RethreadingTests
{
    private static HttpClient Agent(MailApp mail) => mail.App.ClientFor("agent", "lead@helpdesk.test");

    private static async Task<string> TicketOfMailAsync(MailApp mail, string graphId) => (await mail.InboundOfAsync(graphId)).TicketId!;

    private static async Task<List<string>> HistoryActionsAsync(MailApp mail, string ticketId) =>
        [.. (await (await Agent(mail).GetAsync($"/api/tickets/{ticketId}/history?limit=200")).Json())["items"]!.AsArray().Select(h => h!["action"]!.GetValue<string>())];

    private static Task<HttpResponseMessage> PostAsync(HttpClient client, string url, object body, string? ifMatch = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent.Create(body) };
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        return client.SendAsync(request);
    }

    [Fact]
    public async Task A_message_moved_to_another_ticket_takes_its_files_and_later_replies_to_its_mail_follow_it()
    {
        await using var mail = await MailApp.StartAsync();
        var first = await mail.ReceiveAsync(new FakeMessage("alice@contoso.com", "Printer jams", "<p>It jams.</p>", InternetMessageId: "<first@contoso.com>"));
        var second = await mail.ReceiveAsync(new FakeMessage(
            "alice@contoso.com", "Printer again", "<p>And here is the log.</p>", InternetMessageId: "<second@contoso.com>",
            Attachments: [new FakeAttachment("log.txt", "text/plain", "jam at 10:02"u8.ToArray())]));
        var right = await TicketOfMailAsync(mail, first);
        var wrong = await TicketOfMailAsync(mail, second);
        var messageId = (await mail.MessagesAsync(wrong)).Single()!["id"]!.GetValue<string>();

        var moved = await PostAsync(Agent(mail), $"/api/tickets/{wrong}/messages/{messageId}/move", new { ticketId = right });

        moved.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await moved.Json())["id"]!.GetValue<string>().ShouldBe(right);
        (await mail.MessagesAsync(wrong)).ShouldBeEmpty();
        var onRight = await mail.MessagesAsync(right);
        onRight.Select(m => m!["id"]!.GetValue<string>()).ShouldBe([onRight[0]!["id"]!.GetValue<string>(), messageId]);
        onRight[1]!["ticketId"]!.GetValue<string>().ShouldBe(right);
        onRight[1]!["attachments"]!.AsArray().Single()!["fileName"]!.GetValue<string>().ShouldBe("log.txt");
        (await (await Agent(mail).GetAsync($"/api/tickets/{right}/attachments")).Json())["items"]!.AsArray().Count.ShouldBe(1);
        (await HistoryActionsAsync(mail, wrong)).ShouldContain("messageMoved");
        (await HistoryActionsAsync(mail, right)).ShouldContain("messageMovedIn");
        (await mail.App.StoredEventsAsync(right)).Select(e => e["type"]!.GetValue<string>()).ShouldContain("ticket.messageMovedIn");
        (await mail.App.StoredEventsAsync(wrong)).Select(e => e["type"]!.GetValue<string>()).ShouldContain("ticket.messageMovedOut");

        var reply = await mail.ReceiveAsync(new FakeMessage(
            "alice@contoso.com", "RE: Printer again", "<p>One more thing.</p>", Headers: new Dictionary<string, string> { ["In-Reply-To"] = "<second@contoso.com>" }));

        (await TicketOfMailAsync(mail, reply)).ShouldBe(right);
        (await mail.InboundOfAsync(second)).TicketId.ShouldBe(right);
    }

    [Fact]
    public async Task A_message_split_off_opens_a_ticket_for_its_writer_with_the_mail_subject_and_its_original()
    {
        await using var mail = await MailApp.StartAsync();
        var first = await mail.ReceiveAsync(new FakeMessage("alice@contoso.com", "Printer jams", "<p>It jams.</p>", InternetMessageId: "<first@contoso.com>"));
        var bobs = await mail.ReceiveAsync(new FakeMessage(
            "bob@fabrikam.com", "RE: Printer jams - also my scanner", "<p>My scanner is broken too.</p><blockquote>It jams.</blockquote>",
            FromName: "Bob",
            InternetMessageId: "<bob@fabrikam.com>",
            UniqueBody: "<p>My scanner is broken too.</p>",
            Headers: new Dictionary<string, string> { ["In-Reply-To"] = "<first@contoso.com>" },
            Attachments: [new FakeAttachment("scan.txt", "text/plain", "error 42"u8.ToArray())]));
        var source = await TicketOfMailAsync(mail, first);
        (await TicketOfMailAsync(mail, bobs)).ShouldBe(source);
        var messageId = (await mail.MessagesAsync(source))[1]!["id"]!.GetValue<string>();

        var split = await PostAsync(Agent(mail), $"/api/tickets/{source}/messages/{messageId}/split", new { });

        split.StatusCode.ShouldBe(HttpStatusCode.Created);
        var created = await split.Json();
        var newId = created["id"]!.GetValue<string>();
        split.Headers.Location!.ToString().ShouldEndWith($"/api/tickets/{newId}");
        created["subject"]!.GetValue<string>().ShouldBe("RE: Printer jams - also my scanner");
        created["requester"]!["email"]!.GetValue<string>().ShouldBe("bob@fabrikam.com");
        created["description"]!.GetValue<string>().ShouldBe("My scanner is broken too.");
        var message = (await mail.MessagesAsync(newId)).ShouldHaveSingleItem()!;
        message["id"]!.GetValue<string>().ShouldBe(messageId);
        message["attachments"]!.AsArray().Single()!["fileName"]!.GetValue<string>().ShouldBe("scan.txt");
        (await mail.MessagesAsync(source)).Count.ShouldBe(1);
        (await (await Agent(mail).GetAsync($"/api/tickets/{newId}/messages/{messageId}/original")).Json())["html"]!.GetValue<string>().ShouldContain("It jams.");
        (await HistoryActionsAsync(mail, source)).ShouldContain("messageSplit");
        (await HistoryActionsAsync(mail, newId)).ShouldBe(["created", "messageSplitIn"], ignoreOrder: true);

        var reply = await mail.ReceiveAsync(new FakeMessage(
            "bob@fabrikam.com", "RE: RE: Printer jams - also my scanner", "<p>Any news?</p>", Headers: new Dictionary<string, string> { ["In-Reply-To"] = "<bob@fabrikam.com>" }));
        (await TicketOfMailAsync(mail, reply)).ShouldBe(newId);
    }

    [Fact]
    public async Task A_split_takes_the_subject_given()
    {
        await using var mail = await MailApp.StartAsync();
        var graphId = await mail.ReceiveAsync(new FakeMessage("alice@contoso.com", "Printer jams", "<p>It jams.</p>"));
        var ticketId = await TicketOfMailAsync(mail, graphId);
        var portalReply = await mail.App.ClientFor("customer", "alice@contoso.com", (await (await Agent(mail).GetAsync($"/api/tickets/{ticketId}")).Json())["requester"]!["contactId"]!.GetValue<string>())
            .PostAsJsonAsync($"/api/portal/tickets/{ticketId}/messages", new { body = "<p>Also, the scanner.</p>" });
        var messageId = (await portalReply.Json())["id"]!.GetValue<string>();

        var split = await PostAsync(Agent(mail), $"/api/tickets/{ticketId}/messages/{messageId}/split", new { subject = "Scanner broken" });

        split.StatusCode.ShouldBe(HttpStatusCode.Created);
        (await split.Json())["subject"]!.GetValue<string>().ShouldBe("Scanner broken");
    }

    [Fact]
    public async Task Re_threading_refuses_customers_unknown_ids_and_the_same_ticket()
    {
        await using var mail = await MailApp.StartAsync();
        var one = await TicketOfMailAsync(mail, await mail.ReceiveAsync(new FakeMessage("alice@contoso.com", "Printer jams", "<p>It jams.</p>")));
        var two = await TicketOfMailAsync(mail, await mail.ReceiveAsync(new FakeMessage("alice@contoso.com", "Scanner", "<p>It scans badly.</p>")));
        var messageId = (await mail.MessagesAsync(one)).Single()!["id"]!.GetValue<string>();
        var contactId = (await (await Agent(mail).GetAsync($"/api/tickets/{one}")).Json())["requester"]!["contactId"]!.GetValue<string>();
        var customer = mail.App.ClientFor("customer", "alice@contoso.com", contactId);

        (await PostAsync(customer, $"/api/tickets/{one}/messages/{messageId}/move", new { ticketId = two })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await PostAsync(customer, $"/api/tickets/{one}/messages/{messageId}/split", new { })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        await (await PostAsync(Agent(mail), $"/api/tickets/t_missing/messages/{messageId}/move", new { ticketId = two })).ShouldBeProblem(404);
        await (await PostAsync(Agent(mail), $"/api/tickets/{one}/messages/msg_missing/move", new { ticketId = two })).ShouldBeProblem(404);
        await (await PostAsync(Agent(mail), $"/api/tickets/{two}/messages/{messageId}/split", new { })).ShouldBeProblem(404);
        await (await PostAsync(Agent(mail), $"/api/tickets/{one}/messages/{messageId}/move", new { ticketId = "t_missing" })).ShouldBeProblem(400, "ticketId");
        await (await PostAsync(Agent(mail), $"/api/tickets/{one}/messages/{messageId}/move", new { })).ShouldBeProblem(400, "ticketId");
        await (await PostAsync(Agent(mail), $"/api/tickets/{one}/messages/{messageId}/split", new { subject = new string('x', 300) })).ShouldBeProblem(400, "subject");
        var same = await PostAsync(Agent(mail), $"/api/tickets/{one}/messages/{messageId}/move", new { ticketId = one });
        await same.ShouldBeProblem(409);
        (await same.Json())["type"]!.GetValue<string>().ShouldEndWith("move-to-same-ticket");
        (await mail.MessagesAsync(one)).Count.ShouldBe(1);
    }

    [Fact]
    public async Task An_internal_note_moves_and_stays_internal_but_never_splits_and_an_agent_reply_does_not_split()
    {
        await using var mail = await MailApp.StartAsync();
        var one = await TicketOfMailAsync(mail, await mail.ReceiveAsync(new FakeMessage("alice@contoso.com", "Printer jams", "<p>It jams.</p>")));
        var two = await TicketOfMailAsync(mail, await mail.ReceiveAsync(new FakeMessage("alice@contoso.com", "Scanner", "<p>It scans badly.</p>")));
        var note = (await (await Agent(mail).PostAsJsonAsync($"/api/tickets/{one}/messages", new { visibility = "internal", body = "<p>Same model as last week.</p>" })).Json())["id"]!.GetValue<string>();
        var reply = (await (await Agent(mail).PostAsJsonAsync($"/api/tickets/{one}/messages", new { visibility = "public", body = "<p>Try the other tray.</p>" })).Json())["id"]!.GetValue<string>();

        var split = await PostAsync(Agent(mail), $"/api/tickets/{one}/messages/{note}/split", new { });
        await split.ShouldBeProblem(409);
        (await split.Json())["type"]!.GetValue<string>().ShouldEndWith("split-internal-note");
        var splitReply = await PostAsync(Agent(mail), $"/api/tickets/{one}/messages/{reply}/split", new { });
        await splitReply.ShouldBeProblem(409);
        (await splitReply.Json())["type"]!.GetValue<string>().ShouldEndWith("split-not-customer-message");

        (await PostAsync(Agent(mail), $"/api/tickets/{one}/messages/{note}/move", new { ticketId = two })).StatusCode.ShouldBe(HttpStatusCode.OK);
        var moved = (await mail.MessagesAsync(two)).Single(m => m!["id"]!.GetValue<string>() == note)!;
        moved["visibility"]!.GetValue<string>().ShouldBe("internal");
        var contactId = (await (await Agent(mail).GetAsync($"/api/tickets/{two}")).Json())["requester"]!["contactId"]!.GetValue<string>();
        var portal = await (await mail.App.ClientFor("customer", "alice@contoso.com", contactId).GetAsync($"/api/portal/tickets/{two}/messages")).Json();
        portal["items"]!.AsArray().Select(m => m!["id"]!.GetValue<string>()).ShouldNotContain(note);
    }

    [Fact]
    public async Task A_merged_tombstone_neither_gives_nor_takes_messages()
    {
        await using var mail = await MailApp.StartAsync();
        var one = await TicketOfMailAsync(mail, await mail.ReceiveAsync(new FakeMessage("alice@contoso.com", "Printer jams", "<p>It jams.</p>")));
        var two = await TicketOfMailAsync(mail, await mail.ReceiveAsync(new FakeMessage("alice@contoso.com", "Printer jams again", "<p>Again.</p>")));
        var three = await TicketOfMailAsync(mail, await mail.ReceiveAsync(new FakeMessage("alice@contoso.com", "Scanner", "<p>It scans badly.</p>")));
        var twosMessage = (await mail.MessagesAsync(two)).Single()!["id"]!.GetValue<string>();
        var threesMessage = (await mail.MessagesAsync(three)).Single()!["id"]!.GetValue<string>();
        (await Agent(mail).PostAsJsonAsync($"/api/tickets/{two}/merge", new { intoId = one })).EnsureSuccessStatusCode();

        var fromTombstone = await PostAsync(Agent(mail), $"/api/tickets/{two}/messages/{twosMessage}/move", new { ticketId = three });
        var intoTombstone = await PostAsync(Agent(mail), $"/api/tickets/{three}/messages/{threesMessage}/move", new { ticketId = two });

        await fromTombstone.ShouldBeProblem(409);
        (await fromTombstone.Json())["type"]!.GetValue<string>().ShouldEndWith("ticket-merged");
        await intoTombstone.ShouldBeProblem(409);
        (await intoTombstone.Json())["type"]!.GetValue<string>().ShouldEndWith("move-into-tombstone");
    }

    [Fact]
    public async Task A_stale_if_match_on_the_source_ticket_is_refused_and_a_current_one_moves()
    {
        await using var mail = await MailApp.StartAsync();
        var one = await TicketOfMailAsync(mail, await mail.ReceiveAsync(new FakeMessage("alice@contoso.com", "Printer jams", "<p>It jams.</p>")));
        var two = await TicketOfMailAsync(mail, await mail.ReceiveAsync(new FakeMessage("alice@contoso.com", "Scanner", "<p>It scans badly.</p>")));
        var messageId = (await mail.MessagesAsync(two)).Single()!["id"]!.GetValue<string>();
        var etag = (await Agent(mail).GetAsync($"/api/tickets/{two}")).Headers.ETag!.ToString();
        (await Agent(mail).PostAsJsonAsync($"/api/tickets/{two}/messages", new { visibility = "internal", body = "<p>Looking.</p>" })).EnsureSuccessStatusCode();

        await (await PostAsync(Agent(mail), $"/api/tickets/{two}/messages/{messageId}/move", new { ticketId = one }, etag)).ShouldBeProblem(412);
        var fresh = (await Agent(mail).GetAsync($"/api/tickets/{two}")).Headers.ETag!.ToString();
        (await PostAsync(Agent(mail), $"/api/tickets/{two}/messages/{messageId}/move", new { ticketId = one }, fresh)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Only_a_supervisor_moves_a_message_to_a_ticket_of_another_account()
    {
        await using var mail = await MailApp.StartAsync();
        await mail.App.AccountAsync("Contoso", "contoso.com");
        await mail.App.AccountAsync("Fabrikam", "fabrikam.com");
        var contoso = await TicketOfMailAsync(mail, await mail.ReceiveAsync(new FakeMessage("alice@contoso.com", "Printer jams", "<p>It jams.</p>")));
        var fabrikam = await TicketOfMailAsync(mail, await mail.ReceiveAsync(new FakeMessage("bob@fabrikam.com", "Scanner", "<p>It scans badly.</p>")));
        var messageId = (await mail.MessagesAsync(contoso)).Single()!["id"]!.GetValue<string>();

        var byAgent = await PostAsync(Agent(mail), $"/api/tickets/{contoso}/messages/{messageId}/move", new { ticketId = fabrikam });
        var bySupervisor = await PostAsync(mail.App.ClientFor("supervisor", "sam@helpdesk.test"), $"/api/tickets/{contoso}/messages/{messageId}/move", new { ticketId = fabrikam });

        await byAgent.ShouldBeProblem(403);
        bySupervisor.StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}
