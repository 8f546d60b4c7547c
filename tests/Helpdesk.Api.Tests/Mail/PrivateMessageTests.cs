using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Mail;
using Helpdesk.Api.Tests.Infrastructure;
using Helpdesk.Api.Tests.Infrastructure.FakeGraph;

namespace Helpdesk.Api.Tests.Mail;

/// <summary>
/// Private messages (docs/adr/0013-private-messages.md): an agent writes to chosen recipients — a
/// supplier, another agent — and only they get the mail; their answers thread back private; the
/// customer never sees either, by mail, in the portal or through the staff routes. The tests share
/// one app: each writes as a customer and a supplier of its own, and moves the clock a minute on
/// first so the mailbox's pace never holds its mail for the others'.
/// </summary>
public sealed partial class PrivateMessageTests : IClassFixture<SharedMailApp>
{
    private readonly MailApp _mail;
    private readonly string _tag = Guid.NewGuid().ToString("N");
    private readonly string _alice;
    private readonly string _supplier;

    public PrivateMessageTests(SharedMailApp shared)
    {
        _mail = shared.Mail;
        _alice = $"alice.{_tag}@contoso.com";
        _supplier = $"parts.{_tag}@fabrikam.test";
        _mail.App.Clock.Advance(TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task A_private_message_is_mailed_to_its_recipients_only_and_the_suppliers_answer_lands_private_unseen_by_the_customer()
    {
        var mail = _mail;
        var original = await mail.ReceiveAsync(new FakeMessage(_alice, "Printer jams", "<p>It jams.</p>"));
        await mail.DeliverAsync();
        var ticket = (await mail.TicketsOfAsync(_alice)).Single();
        var ticketId = ticket["id"]!.GetValue<string>();
        var (_, agent) = await mail.App.AgentAsync($"ada.{_tag}@helpdesk.test");
        (await agent.PostAsync($"/api/tickets/{ticketId}/wait", null)).EnsureSuccessStatusCode();
        var toAlice = mail.SentTo(_alice).Count;

        var posted = await agent.PostAsJsonAsync($"/api/tickets/{ticketId}/messages", new { visibility = "private", body = "<p>Do you have a spare roller for model X?</p>", to = new[] { _supplier.ToUpperInvariant() } });

        posted.StatusCode.ShouldBe(HttpStatusCode.Created);
        var message = await posted.Json();
        var messageId = message["id"]!.GetValue<string>();
        message["visibility"]!.GetValue<string>().ShouldBe("private");
        message["to"]!.AsArray().Select(a => a!.GetValue<string>()).ShouldBe([_supplier]);
        var added = (await mail.App.StoredEventsAsync(ticketId)).Last(e => e["type"]!.GetValue<string>() == "ticket.messageAdded")["data"]!;
        added["visibility"]!.GetValue<string>().ShouldBe("private");
        added["to"]!.GetValue<string>().ShouldBe(_supplier);
        (await History(agent, ticketId)).ShouldContain("privateMessage");

        await mail.DeliverAsync();

        var sent = mail.SentTo(_supplier).ShouldHaveSingleItem();
        sent.Kind.ShouldBe("mimeDraft");
        sent.To.ShouldBe([_supplier]);
        sent.Header("X-Helpdesk-Trigger").ShouldBe("message.private");
        sent.Subject!.ShouldContain($"[{ticket["number"]!.GetValue<string>()}]");
        sent.Content.ShouldContain("spare roller");
        var sentAs = sent.Header("Message-ID")!;
        sentAs.ShouldBe($"<prv-{messageId}@helpdesk>");
        sent.Header("In-Reply-To").ShouldBeNull("a private mail cites no mail of the customer's thread");
        mail.SentTo(_alice).Count.ShouldBe(toAlice, "the customer gets nothing about a private message");

        var answer = await mail.ReceiveAsync(new FakeMessage(
            _supplier, "RE: Printer jams", "<p>Roller ships Monday.</p>", FromName: "Fabrikam Parts", Headers: new Dictionary<string, string> { ["In-Reply-To"] = sentAs, ["References"] = sentAs }));
        await mail.DeliverAsync();

        (await mail.InboundOfAsync(answer)).ThreadedBy.ShouldBe(ThreadSignals.InReplyTo);
        (await mail.InboundOfAsync(answer)).TicketId.ShouldBe(ticketId);
        var reply = (await mail.MessagesAsync(ticketId)).Last()!;
        reply["text"]!.GetValue<string>().ShouldContain("Roller ships Monday.");
        reply["visibility"]!.GetValue<string>().ShouldBe("private");
        reply["author"]!["type"]!.GetValue<string>().ShouldBe("system");
        reply["author"]!["name"]!.GetValue<string>().ShouldBe($"Fabrikam Parts <{_supplier}>");
        (await (await agent.GetAsync($"/api/tickets/{ticketId}")).Json())["status"]!.GetValue<string>().ShouldBe("waitingOnCustomer", "a supplier's answer is not the customer's");
        (await (await agent.GetAsync($"/api/contacts?q={_supplier}")).Json())["items"]!.AsArray().ShouldBeEmpty("a supplier answering privately is no contact");
        mail.SentTo(_alice).Count.ShouldBe(toAlice, "no acknowledgement nor update for the customer");
        mail.SentTo(_supplier).Count.ShouldBe(1, "an answer is not sent on");

        var customer = mail.App.ClientFor(Roles.Customer, _alice, ticket["requester"]!["contactId"]!.GetValue<string>());
        var portal = await (await customer.GetAsync($"/api/portal/tickets/{ticketId}/messages")).Json();
        portal["items"]!.AsArray().Select(m => m!["visibility"]!.GetValue<string>()).ShouldAllBe(v => v == "public");
        portal.ToJsonString().ShouldNotContain("roller", Case.Insensitive);
        (await customer.GetAsync($"/api/portal/tickets/{ticketId}/messages/{reply["id"]}/original")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await customer.GetAsync($"/api/tickets/{ticketId}/messages/{messageId}")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await customer.GetAsync($"/api/tickets/{ticketId}/messages")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);

        (await agent.PostAsJsonAsync($"/api/tickets/{ticketId}/messages", new { visibility = "public", body = "<p>A new roller is on its way.</p>" })).EnsureSuccessStatusCode();
        await mail.DeliverAsync();

        var publicReply = mail.SentTo(_alice).Single(s => s.Header("X-Helpdesk-Trigger") == "message.publicReply");
        publicReply.ReplyTo.ShouldBe(original, "the customer's reply answers their own mail, never the supplier's");
        publicReply.Content.ShouldNotContain("Roller ships Monday");
        mail.Graph.Requests.ShouldNotContain($"POST /users/{MailApp.Mailbox}/messages/{answer}/createReply");
    }

    [Fact]
    public async Task An_answer_without_the_headers_from_a_recipient_is_private_and_one_from_another_address_follows_todays_rules()
    {
        var mail = _mail;
        var stranger = $"someone.{_tag}@elsewhere.test";
        await mail.ReceiveAsync(new FakeMessage(_alice, "Screen flickers", "<p>Flicker.</p>"));
        await mail.DeliverAsync();
        var ticketId = (await mail.TicketsOfAsync(_alice)).Single()["id"]!.GetValue<string>();
        var (agentId, agent) = await mail.App.AgentAsync($"bo.{_tag}@helpdesk.test");
        (await agent.PostAsJsonAsync($"/api/tickets/{ticketId}/messages", new { visibility = "private", body = "<p>Known issue with panel batch 7?</p>", to = new[] { _supplier } })).EnsureSuccessStatusCode();
        await mail.DeliverAsync();
        var sent = mail.SentTo(_supplier).ShouldHaveSingleItem();
        var sentAs = sent.Header("Message-ID")!;
        var token = ReplyToken().Match(sent.Content).Value;
        token.ShouldNotBeEmpty();

        // The supplier's client dropped In-Reply-To and References; the reply token still finds the ticket.
        var bare = await mail.ReceiveAsync(new FakeMessage(_supplier, "Panel batch", $"<p>Yes, batch 7. {token}</p>"));
        // A stranger answering the private mail (forwarded to them) is handled like any mail on the thread.
        var forwarded = await mail.ReceiveAsync(new FakeMessage(stranger, "RE: Screen flickers", "<p>I have the same.</p>", Headers: new Dictionary<string, string> { ["In-Reply-To"] = sentAs }));
        // An agent answering the private mail stays private too.
        var fromAgent = await mail.ReceiveAsync(new FakeMessage($"bo.{_tag}@helpdesk.test", "RE: Screen flickers", "<p>Thanks, ordering.</p>", Headers: new Dictionary<string, string> { ["In-Reply-To"] = sentAs }));

        (await mail.InboundOfAsync(bare)).ThreadedBy.ShouldBe(ThreadSignals.Token);
        (await mail.InboundOfAsync(forwarded)).ThreadedBy.ShouldBe(ThreadSignals.InReplyTo);
        var messages = await mail.MessagesAsync(ticketId);
        var byText = messages.ToDictionary(m => m!["text"]!.GetValue<string>().Split(' ')[0], m => m!);
        byText["Yes,"]["visibility"]!.GetValue<string>().ShouldBe("private");
        byText["I"]["visibility"]!.GetValue<string>().ShouldBe("public");
        byText["I"]["author"]!["type"]!.GetValue<string>().ShouldBe("customer");
        byText["Thanks,"]["visibility"]!.GetValue<string>().ShouldBe("private");
        byText["Thanks,"]["author"]!["id"]!.GetValue<string>().ShouldBe(agentId);
    }

    [Fact]
    public async Task A_private_message_is_checked_field_by_field_and_only_staff_may_write_one()
    {
        var mail = _mail;
        var (_, agent) = await mail.App.AgentAsync($"cy.{_tag}@helpdesk.test");
        var ticket = await agent.OpenTicketAsync(new { subject = "Dock", requester = new { email = _alice } });
        var ticketId = ticket["id"]!.GetValue<string>();
        var url = $"/api/tickets/{ticketId}/messages";
        var before = (await mail.MessagesAsync(ticketId)).Count;

        await (await agent.PostAsJsonAsync(url, new { visibility = "private", body = "hi" })).ShouldBeProblem(400, "to");
        await (await agent.PostAsJsonAsync(url, new { visibility = "private", body = "hi", to = Array.Empty<string>() })).ShouldBeProblem(400, "to");
        await (await agent.PostAsJsonAsync(url, new { visibility = "private", body = "hi", to = new[] { _supplier, "not-an-address" } })).ShouldBeProblem(400, "to[1]");
        await (await agent.PostAsJsonAsync(url, new { visibility = "private", body = "hi", to = new[] { _supplier }, cc = new[] { "boss@contoso.com" } })).ShouldBeProblem(400, "cc");
        await (await agent.PostAsJsonAsync(url, new { visibility = "public", body = "hi", to = new[] { _supplier } })).ShouldBeProblem(400, "to");
        await (await agent.PostAsJsonAsync(url, new { visibility = "private", body = "hi", to = new[] { _alice.ToUpperInvariant() } })).ShouldBeProblem(400, "to");
        var customer = mail.App.ClientFor(Roles.Customer, _alice, ticket["requester"]!["contactId"]!.GetValue<string>());
        (await customer.PostAsJsonAsync(url, new { visibility = "private", body = "hi", to = new[] { _supplier } })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);

        (await mail.MessagesAsync(ticketId)).Count.ShouldBe(before);
        await mail.DeliverAsync();
        mail.SentTo(_supplier).ShouldBeEmpty();
    }

    private static async Task<IReadOnlyList<string>> History(HttpClient agent, string ticketId) =>
        [.. (await (await agent.GetAsync($"/api/tickets/{ticketId}/history")).Json())["items"]!.AsArray().Select(h => h!["action"]!.GetValue<string>())];

    [GeneratedRegex(@"\[ref:[^\]]+\]")]
    private static partial Regex ReplyToken();
}
