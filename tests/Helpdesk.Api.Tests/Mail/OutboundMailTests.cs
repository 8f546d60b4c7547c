using System.Net.Http.Headers;
using System.Net.Http.Json;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Mail;
using Helpdesk.Api.Tests.Infrastructure;
using Helpdesk.Api.Tests.Infrastructure.FakeGraph;
using Microsoft.Extensions.DependencyInjection;

namespace Helpdesk.Api.Tests.Mail;

/// <summary>
/// Outbound mail through Graph: replies keep Outlook's thread, other mail is MIME that threads
/// back. The tests share one app: each writes as a customer of its own, with its own Message-IDs,
/// and reads back only the mail sent to that customer. Each moves the app's clock a minute on
/// first, so the mailbox's pace (30 mails a minute) never holds its mail for the others'.
/// </summary>
public sealed class OutboundMailTests : IClassFixture<SharedMailApp>
{
    private readonly MailApp _mail;
    private readonly string _tag = Guid.NewGuid().ToString("N");
    private readonly string _alice;

    public OutboundMailTests(SharedMailApp shared)
    {
        _mail = shared.Mail;
        _alice = $"alice.{_tag}@contoso.com";
        _mail.App.Clock.Advance(TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task A_public_reply_to_a_ticket_opened_by_mail_answers_the_customers_mail_once_with_its_body_and_files()
    {
        var mail = _mail;
        var original = await mail.ReceiveAsync(new FakeMessage(_alice, "Printer jams", "<p>It jams.</p>"));
        await mail.DeliverAsync();
        var ticketId = (await mail.TicketsOfAsync(_alice)).Single()["id"]!.GetValue<string>();
        var agent = mail.App.ClientFor(Roles.Agent, "lead@helpdesk.test");
        var posted = await agent.PostAsJsonAsync($"/api/tickets/{ticketId}/messages", new { visibility = "public", body = "<p>Please <b>restart</b> it.</p>" });
        posted.EnsureSuccessStatusCode();
        var messageId = (await posted.Json())["id"]!.GetValue<string>();
        (await agent.PostAsync($"/api/tickets/{ticketId}/messages/{messageId}/attachments", Form("step one"u8.ToArray(), "howto.txt"))).EnsureSuccessStatusCode();

        await mail.DeliverAsync();
        await mail.DeliverAsync();

        var replies = mail.SentTo(_alice).Where(s => s.Header("X-Helpdesk-Trigger") == "message.publicReply").ToList();
        var reply = replies.ShouldHaveSingleItem();
        reply.Kind.ShouldBe("reply");
        reply.ReplyTo.ShouldBe(original);
        reply.To.ShouldBe([_alice]);
        reply.Content.ShouldContain("Please <b>restart</b> it.");
        reply.Content.ShouldContain("[ref:" + ticketId + ".");
        reply.AttachmentNames.ShouldBe(["howto.txt"]);
    }

    [Fact]
    public async Task A_reply_leaves_as_a_sent_create_reply_draft_and_the_customers_answer_to_it_threads_by_in_reply_to()
    {
        var mail = _mail;
        var original = await mail.ReceiveAsync(new FakeMessage(_alice, "Printer jams", "<p>It jams.</p>"));
        await mail.DeliverAsync();
        var ticketId = (await mail.TicketsOfAsync(_alice)).Single()["id"]!.GetValue<string>();
        var agent = mail.App.ClientFor(Roles.Agent, "lead@helpdesk.test");
        (await agent.PostAsJsonAsync($"/api/tickets/{ticketId}/messages", new { visibility = "public", body = "<p>Try the other tray.</p>" })).EnsureSuccessStatusCode();

        await mail.DeliverAsync();

        var reply = mail.SentTo(_alice).Single(s => s.Header("X-Helpdesk-Trigger") == "message.publicReply");
        reply.ReplyTo.ShouldBe(original);
        reply.Content.ShouldContain("Try the other tray.");
        reply.Content.ShouldNotContain("quoted original");
        var draftId = reply.Message["id"]!.GetValue<string>();
        mail.Graph.Requests.ShouldContain($"POST /users/{MailApp.Mailbox}/messages/{original}/createReply");
        mail.Graph.Requests.ShouldContain($"PATCH /users/{MailApp.Mailbox}/messages/{draftId}");
        mail.Graph.Requests.ShouldContain($"POST /users/{MailApp.Mailbox}/messages/{draftId}/send");
        mail.Graph.Requests.ShouldNotContain(r => r.EndsWith("/reply", StringComparison.Ordinal));
        var sentAs = reply.Message["internetMessageId"]!.GetValue<string>();

        var answer = await mail.ReceiveAsync(new FakeMessage(
            _alice, "RE: Printer jams", "<p>Still jams.</p>", Headers: new Dictionary<string, string> { ["In-Reply-To"] = sentAs, ["References"] = sentAs }));

        (await mail.TicketsOfAsync(_alice)).Count.ShouldBe(1);
        (await mail.InboundOfAsync(answer)).ThreadedBy.ShouldBe(ThreadSignals.InReplyTo);
    }

    [Fact]
    public async Task A_five_megabyte_file_of_a_reply_goes_through_an_upload_session_and_arrives_intact()
    {
        var mail = _mail;
        var uploadsBefore = Uploads(mail);
        var original = await mail.ReceiveAsync(new FakeMessage(_alice, "Logs", "<p>Need the tool.</p>"));
        await mail.DeliverAsync();
        var ticketId = (await mail.TicketsOfAsync(_alice)).Single()["id"]!.GetValue<string>();
        var agent = mail.App.ClientFor(Roles.Agent, "lead@helpdesk.test");
        var posted = await agent.PostAsJsonAsync($"/api/tickets/{ticketId}/messages", new { visibility = "public", body = "<p>Here it is.</p>" });
        posted.EnsureSuccessStatusCode();
        var messageId = (await posted.Json())["id"]!.GetValue<string>();
        var big = new byte[5 * 1024 * 1024];
        new Random(42).NextBytes(big);
        (await agent.PostAsync($"/api/tickets/{ticketId}/messages/{messageId}/attachments", Form(big, "tool.bin"))).EnsureSuccessStatusCode();
        (await agent.PostAsync($"/api/tickets/{ticketId}/messages/{messageId}/attachments", Form("small"u8.ToArray(), "readme.txt"))).EnsureSuccessStatusCode();

        await mail.DeliverAsync();

        var reply = mail.SentTo(_alice).Single(s => s.Header("X-Helpdesk-Trigger") == "message.publicReply");
        reply.ReplyTo.ShouldBe(original);
        var files = reply.Message["attachments"]!.AsArray();
        var uploaded = files.Single(f => f!["name"]!.GetValue<string>() == "tool.bin")!;
        uploaded["uploaded"]!.GetValue<bool>().ShouldBeTrue();
        Convert.FromBase64String(uploaded["contentBytes"]!.GetValue<string>()).ShouldBe(big);
        files.Single(f => f!["name"]!.GetValue<string>() == "readme.txt")!["uploaded"].ShouldBeNull();
        (Uploads(mail) - uploadsBefore).ShouldBe(2, "the tests of this class run one after the other");
    }

    [Fact]
    public async Task A_five_megabyte_file_of_a_new_mail_goes_out_on_a_mime_draft_that_keeps_its_headers_and_threads()
    {
        var mail = _mail;
        var uploadsBefore = Uploads(mail);
        var agent = mail.App.ClientFor(Roles.Agent, "lead@helpdesk.test");
        var ticket = await agent.OpenTicketAsync(new { subject = "Driver", requester = new { email = _alice } });
        var ticketId = ticket["id"]!.GetValue<string>();
        await mail.DeliverAsync();
        var posted = await agent.PostAsJsonAsync($"/api/tickets/{ticketId}/messages", new { visibility = "public", body = "<p>Here is the driver.</p>" });
        posted.EnsureSuccessStatusCode();
        var messageId = (await posted.Json())["id"]!.GetValue<string>();
        var big = new byte[5 * 1024 * 1024];
        new Random(7).NextBytes(big);
        (await agent.PostAsync($"/api/tickets/{ticketId}/messages/{messageId}/attachments", Form(big, "driver.bin"))).EnsureSuccessStatusCode();
        (await agent.PostAsync($"/api/tickets/{ticketId}/messages/{messageId}/attachments", Form("small"u8.ToArray(), "readme.txt"))).EnsureSuccessStatusCode();

        await mail.DeliverAsync();

        var sent = mail.SentTo(_alice).Single(s => s.Header("X-Helpdesk-Trigger") == "message.publicReply");
        sent.Kind.ShouldBe("mimeDraft");
        sent.Mime!.Parts.ShouldAllBe(p => p.FileName == null, "a request carrying the 5 MB file would pass Graph's 4 MB limit");
        sent.Subject!.ShouldContain($"[{ticket["number"]!.GetValue<string>()}]");
        sent.Header("X-Helpdesk-Ticket").ShouldBe(ticket["number"]!.GetValue<string>());
        sent.Content.ShouldContain("Here is the driver.");
        var files = sent.Message["attachments"]!.AsArray();
        Convert.FromBase64String(files.Single(f => f!["name"]!.GetValue<string>() == "driver.bin")!["contentBytes"]!.GetValue<string>()).ShouldBe(big);
        files.Single(f => f!["name"]!.GetValue<string>() == "readme.txt")!["uploaded"].ShouldBeNull();
        (Uploads(mail) - uploadsBefore).ShouldBe(2, "the tests of this class run one after the other");

        var answer = await mail.ReceiveAsync(new FakeMessage(
            _alice, "RE: Driver", "<p>Installed.</p>", Headers: new Dictionary<string, string> { ["In-Reply-To"] = sent.Header("Message-ID")! }));
        (await mail.InboundOfAsync(answer)).ThreadedBy.ShouldBe(ThreadSignals.InReplyTo);
    }

    [Fact]
    public async Task A_notification_goes_out_as_mime_and_the_customers_answer_threads_by_in_reply_to()
    {
        var mail = _mail;
        var ticket = await mail.App.ClientFor(Roles.Agent, "lead@helpdesk.test").OpenTicketAsync(new { subject = "VPN down", requester = new { email = _alice } });
        var number = ticket["number"]!.GetValue<string>();

        await mail.DeliverAsync();

        var sent = mail.SentTo(_alice).Single();
        sent.Kind.ShouldBe("mimeDraft");
        sent.Mime.ShouldNotBeNull();
        sent.Subject!.ShouldContain($"[{number}]");
        sent.Header("Auto-Submitted").ShouldBe("auto-generated");
        sent.Header("X-Loop").ShouldBe(MailApp.Mailbox);
        sent.Header("X-Helpdesk-Ticket").ShouldBe(number);
        sent.Header("From")!.ShouldContain(MailApp.Mailbox);
        sent.Text.ShouldContain("[ref:" + ticket["id"]!.GetValue<string>() + ".");
        var messageId = sent.Header("Message-ID")!;

        var answer = await mail.ReceiveAsync(new FakeMessage(
            _alice, "RE: VPN down", "<p>Thanks.</p>", Headers: new Dictionary<string, string> { ["In-Reply-To"] = messageId, ["References"] = messageId }));

        (await mail.TicketsOfAsync(_alice)).Count.ShouldBe(1);
        (await mail.InboundOfAsync(answer)).ThreadedBy.ShouldBe(ThreadSignals.InReplyTo);
    }

    [Fact]
    public async Task A_mail_answers_the_last_mail_of_the_thread_and_refers_to_the_whole_thread()
    {
        var mail = _mail;
        await mail.ReceiveAsync(new FakeMessage(_alice, "Printer jams", "<p>It jams.</p>", InternetMessageId: $"<first.{_tag}@contoso.com>"));
        var ticketId = (await mail.TicketsOfAsync(_alice)).Single()["id"]!.GetValue<string>();
        await mail.DeliverAsync();
        var agent = mail.App.ClientFor(Roles.Agent, "lead@helpdesk.test");

        (await agent.PostAsJsonAsync($"/api/tickets/{ticketId}/resolve", new { summary = "Replaced the roller." })).EnsureSuccessStatusCode();
        await mail.DeliverAsync();

        var acknowledged = mail.SentTo(_alice).Single(s => s.Header("X-Helpdesk-Trigger") == "ticket.created").Header("Message-ID");
        var resolved = mail.SentTo(_alice).Single(s => s.Header("X-Helpdesk-Trigger") == "ticket.resolved");
        resolved.Header("In-Reply-To").ShouldBe(acknowledged);
        resolved.Header("References").ShouldBe($"<first.{_tag}@contoso.com> {acknowledged}");
    }

    [Fact]
    public async Task A_reply_whose_original_mail_was_deleted_goes_out_as_a_new_mail_that_still_threads()
    {
        var mail = _mail;
        var original = await mail.ReceiveAsync(new FakeMessage(_alice, "Printer jams", "<p>It jams.</p>", InternetMessageId: $"<first.{_tag}@contoso.com>"));
        await mail.DeliverAsync();
        var ticketId = (await mail.TicketsOfAsync(_alice)).Single()["id"]!.GetValue<string>();
        mail.Graph.Delete(MailApp.Mailbox, original);

        (await mail.App.ClientFor(Roles.Agent, "lead@helpdesk.test").PostAsJsonAsync($"/api/tickets/{ticketId}/messages", new { visibility = "public", body = "<p>On it.</p>" })).EnsureSuccessStatusCode();
        await mail.DeliverAsync();

        var reply = mail.SentTo(_alice).Single(s => s.Header("X-Helpdesk-Trigger") == "message.publicReply");
        reply.Kind.ShouldBe("mimeDraft");
        reply.Header("References")!.ShouldStartWith($"<first.{_tag}@contoso.com>");
        reply.Header("Auto-Submitted").ShouldBeNull();
        reply.Content.ShouldContain("On it.");
    }

    [Theory]
    [InlineData("[ref:{0}]")]
    [InlineData("[ref:{0}.0123456789abcdef]")]
    public async Task An_unsigned_or_forged_reply_token_threads_nothing(string token)
    {
        var mail = _mail;
        await mail.ReceiveAsync(new FakeMessage(_alice, "Printer jams", "<p>It jams.</p>"));
        var ticketId = (await mail.TicketsOfAsync(_alice)).Single()["id"]!.GetValue<string>();

        var mallory = $"mallory.{_tag}@evil.test";
        var stranger = await mail.ReceiveAsync(new FakeMessage(mallory, "Hello", $"<p>{string.Format(System.Globalization.CultureInfo.InvariantCulture, token, ticketId)}</p>"));

        (await mail.TicketsOfAsync(_alice)).Count.ShouldBe(1);
        (await mail.TicketsOfAsync(mallory)).Count.ShouldBe(1);
        (await mail.InboundOfAsync(stranger)).ThreadedBy.ShouldBe(ThreadSignals.NewTicket);
    }

    [Fact]
    public async Task A_signed_token_is_accepted_once_read_back_and_names_its_ticket()
    {
        var mail = _mail;
        var tokens = mail.App.Services.GetRequiredService<ReplyTokens>();
        var ticketId = "t_" + new string('a', 32);

        var token = await tokens.TokenAsync(ticketId, CancellationToken.None);

        (await tokens.TicketOfAsync($"quoted> {token} <", CancellationToken.None)).ShouldBe(ticketId);
        (await tokens.TicketOfAsync(token.Replace("t_a", "t_b", StringComparison.Ordinal), CancellationToken.None)).ShouldBeNull();
    }

    /// <summary>The chunks uploaded to upload sessions so far.</summary>
    private static int Uploads(MailApp mail) => mail.Graph.Requests.Count(r => r.StartsWith("PUT /upload/", StringComparison.Ordinal));

    private static MultipartFormDataContent Form(byte[] bytes, string fileName)
    {
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue("text/plain");
        return new MultipartFormDataContent { { file, "file", fileName } };
    }
}
