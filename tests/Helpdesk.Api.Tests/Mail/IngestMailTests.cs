using Helpdesk.Api.Mail;
using Helpdesk.Api.Tests.Infrastructure;
using Helpdesk.Api.Tests.Infrastructure.FakeGraph;
using Microsoft.Extensions.DependencyInjection;

namespace Helpdesk.Api.Tests.Mail;

/// <summary>Inbound mail through the whole pipeline: notification, ingestion, ticket and conversation.</summary>
public sealed class IngestMailTests
{
    [Fact]
    public async Task A_new_mail_opens_a_ticket_for_the_sender_with_the_mail_as_its_first_message()
    {
        await using var mail = await MailApp.StartAsync();
        var account = await mail.App.AccountAsync("Contoso", "contoso.com");

        var graphId = await mail.ReceiveAsync(new FakeMessage(
            "Alice@Contoso.com",
            "Printer jams",
            "<p>It jams on page 2.</p><blockquote>old stuff</blockquote>",
            FromName: "Alice",
            To: [MailApp.Mailbox, "bob@contoso.com"],
            Cc: ["carol@contoso.com"],
            UniqueBody: "<p>It jams on page 2.</p>"));

        var ticket = (await mail.TicketsAsync()).ShouldHaveSingleItem()!;
        ticket["subject"]!.GetValue<string>().ShouldBe("Printer jams");
        ticket["requester"]!["email"]!.GetValue<string>().ShouldBe("Alice@Contoso.com");
        ticket["accountId"]!.GetValue<string>().ShouldBe(account);
        ticket["status"]!.GetValue<string>().ShouldBe("new");
        var message = (await mail.MessagesAsync(ticket["id"]!.GetValue<string>())).ShouldHaveSingleItem()!;
        message["text"]!.GetValue<string>().ShouldBe("It jams on page 2.");
        message["source"]!.GetValue<string>().ShouldBe("email");
        message["author"]!["type"]!.GetValue<string>().ShouldBe("customer");
        message["cc"]!.AsArray().Select(c => c!.GetValue<string>()).ShouldBe(["bob@contoso.com", "carol@contoso.com"], ignoreOrder: true);
        var inbound = await mail.InboundOfAsync(graphId);
        inbound.State.ShouldBe(InboundStates.Done);
        inbound.ThreadedBy.ShouldBe(ThreadSignals.NewTicket);
    }

    [Fact]
    public async Task The_same_mail_notified_three_times_yields_one_ticket_message()
    {
        await using var mail = await MailApp.StartAsync();
        await mail.RenewAsync();
        var id = mail.Graph.Deliver(MailApp.Mailbox, new FakeMessage("alice@contoso.com", "Printer jams", "<p>It jams.</p>"));

        await mail.Graph.NotifyAsync(MailApp.Mailbox, id, copies: 2);
        await mail.IngestAsync();
        await mail.Graph.NotifyAsync(MailApp.Mailbox, id);
        await mail.IngestAsync();

        var ticket = (await mail.TicketsAsync()).ShouldHaveSingleItem()!;
        (await mail.MessagesAsync(ticket["id"]!.GetValue<string>())).Count.ShouldBe(1);
    }

    [Fact]
    public async Task A_mail_seen_by_notification_and_by_delta_yields_one_ticket_message()
    {
        await using var mail = await MailApp.StartAsync();
        await mail.RenewAsync();
        var id = mail.Graph.Deliver(MailApp.Mailbox, new FakeMessage("alice@contoso.com", "Printer jams", "<p>It jams.</p>"));

        await mail.Graph.NotifyAsync(MailApp.Mailbox, id);
        await mail.IngestAsync();
        await mail.RenewAsync();
        await mail.IngestAsync();

        (await mail.TicketsAsync()).Count.ShouldBe(1);
    }

    [Fact]
    public async Task A_copy_of_a_mail_under_another_graph_id_is_a_duplicate()
    {
        await using var mail = await MailApp.StartAsync();
        await mail.ReceiveAsync(new FakeMessage("alice@contoso.com", "Printer jams", "<p>It jams.</p>", InternetMessageId: "<same@contoso.com>"));

        var copy = await mail.ReceiveAsync(new FakeMessage("alice@contoso.com", "Printer jams", "<p>It jams.</p>", InternetMessageId: "<same@contoso.com>"));

        (await mail.TicketsAsync()).Count.ShouldBe(1);
        (await mail.InboundOfAsync(copy)).State.ShouldBe(InboundStates.Duplicate);
    }

    [Fact]
    public async Task A_reply_threads_by_in_reply_to()
    {
        await using var mail = await MailApp.StartAsync();
        await mail.ReceiveAsync(new FakeMessage("alice@contoso.com", "Printer jams", "<p>It jams.</p>", InternetMessageId: "<first@contoso.com>"));

        var reply = await mail.ReceiveAsync(new FakeMessage(
            "alice@contoso.com", "RE: Printer jams", "<p>Still jams.</p>",
            Headers: new Dictionary<string, string> { ["In-Reply-To"] = "<first@contoso.com>" }));

        var ticket = (await mail.TicketsAsync()).ShouldHaveSingleItem()!;
        (await mail.MessagesAsync(ticket["id"]!.GetValue<string>())).Count.ShouldBe(2);
        (await mail.InboundOfAsync(reply)).ThreadedBy.ShouldBe(ThreadSignals.InReplyTo);
    }

    [Fact]
    public async Task A_reply_threads_by_references_when_in_reply_to_is_unknown()
    {
        await using var mail = await MailApp.StartAsync();
        await mail.ReceiveAsync(new FakeMessage("alice@contoso.com", "Printer jams", "<p>It jams.</p>", InternetMessageId: "<first@contoso.com>"));

        var reply = await mail.ReceiveAsync(new FakeMessage(
            "alice@contoso.com", "RE: Printer jams", "<p>Still jams.</p>",
            Headers: new Dictionary<string, string> { ["In-Reply-To"] = "<unknown@elsewhere.test>", ["References"] = "<first@contoso.com> <unknown@elsewhere.test>" }));

        (await mail.TicketsAsync()).Count.ShouldBe(1);
        (await mail.InboundOfAsync(reply)).ThreadedBy.ShouldBe(ThreadSignals.References);
    }

    [Fact]
    public async Task A_reply_threads_by_the_reply_token_when_headers_were_dropped()
    {
        await using var mail = await MailApp.StartAsync();
        await mail.ReceiveAsync(new FakeMessage("alice@contoso.com", "Printer jams", "<p>It jams.</p>"));
        var ticketId = (await mail.TicketsAsync()).Single()!["id"]!.GetValue<string>();

        var reply = await mail.ReceiveAsync(new FakeMessage(
            "someone.else@fabrikam.test", "Fwd: your ticket", $"<p>Answering for Alice.</p><p>{await mail.App.Services.GetRequiredService<ReplyTokens>().TokenAsync(ticketId, CancellationToken.None)}</p>",
            UniqueBody: "<p>Answering for Alice.</p>"));

        (await mail.TicketsAsync()).Count.ShouldBe(1);
        (await mail.InboundOfAsync(reply)).ThreadedBy.ShouldBe(ThreadSignals.Token);
        (await mail.MessagesAsync(ticketId))[1]!["text"]!.GetValue<string>().ShouldBe("Answering for Alice.");
    }

    [Fact]
    public async Task A_ticket_number_in_the_subject_threads_when_the_requester_writes()
    {
        await using var mail = await MailApp.StartAsync();
        await mail.ReceiveAsync(new FakeMessage("alice@contoso.com", "Printer jams", "<p>It jams.</p>"));
        var number = (await mail.TicketsAsync()).Single()!["number"]!.GetValue<string>();

        var reply = await mail.ReceiveAsync(new FakeMessage("ALICE@contoso.com", $"Update [{number}]", "<p>Fixed itself.</p>"));

        (await mail.TicketsAsync()).Count.ShouldBe(1);
        (await mail.InboundOfAsync(reply)).ThreadedBy.ShouldBe(ThreadSignals.SubjectNumber);
    }

    [Fact]
    public async Task A_ticket_number_in_the_subject_from_a_stranger_opens_a_new_ticket()
    {
        await using var mail = await MailApp.StartAsync();
        await mail.ReceiveAsync(new FakeMessage("alice@contoso.com", "Printer jams", "<p>It jams.</p>"));
        var number = (await mail.TicketsAsync()).Single()!["number"]!.GetValue<string>();

        var stranger = await mail.ReceiveAsync(new FakeMessage("mallory@evil.test", $"RE: [{number}] let me in", "<p>Hi.</p>"));

        (await mail.TicketsAsync()).Count.ShouldBe(2);
        (await mail.InboundOfAsync(stranger)).ThreadedBy.ShouldBe(ThreadSignals.NewTicket);
    }

    [Fact]
    public async Task A_ticket_number_in_the_subject_threads_for_someone_in_copy_of_the_ticket()
    {
        await using var mail = await MailApp.StartAsync();
        await mail.ReceiveAsync(new FakeMessage("alice@contoso.com", "Printer jams", "<p>It jams.</p>", Cc: ["bob@contoso.com"]));
        var number = (await mail.TicketsAsync()).Single()!["number"]!.GetValue<string>();

        var fromCc = await mail.ReceiveAsync(new FakeMessage("bob@contoso.com", $"[{number}] same here", "<p>Mine too.</p>"));

        (await mail.TicketsAsync()).Count.ShouldBe(1);
        (await mail.InboundOfAsync(fromCc)).ThreadedBy.ShouldBe(ThreadSignals.SubjectNumber);
    }

    [Fact]
    public async Task Graph_conversation_id_threads_only_for_a_participant()
    {
        await using var mail = await MailApp.StartAsync();
        await mail.ReceiveAsync(new FakeMessage("alice@contoso.com", "Printer jams", "<p>It jams.</p>", ConversationId: "conv-1"));

        var fromRequester = await mail.ReceiveAsync(new FakeMessage("alice@contoso.com", "Printer jams", "<p>again</p>", ConversationId: "conv-1"));
        var fromStranger = await mail.ReceiveAsync(new FakeMessage("eve@fabrikam.test", "Printer jams", "<p>me too</p>", ConversationId: "conv-1"));

        (await mail.InboundOfAsync(fromRequester)).ThreadedBy.ShouldBe(ThreadSignals.Conversation);
        (await mail.InboundOfAsync(fromStranger)).ThreadedBy.ShouldBe(ThreadSignals.NewTicket);
        (await mail.TicketsAsync()).Count.ShouldBe(2);
    }

    [Fact]
    public async Task A_reply_from_an_agent_is_recorded_as_the_agents_reply()
    {
        await using var mail = await MailApp.StartAsync();
        var (agentId, _) = await mail.App.AgentAsync("ada@helpdesk.test");
        await mail.ReceiveAsync(new FakeMessage("alice@contoso.com", "Printer jams", "<p>It jams.</p>", InternetMessageId: "<first@contoso.com>"));

        await mail.ReceiveAsync(new FakeMessage(
            "ada@helpdesk.test", "RE: Printer jams", "<p>Try tray 2.</p>",
            Headers: new Dictionary<string, string> { ["In-Reply-To"] = "<first@contoso.com>" }));

        var ticketId = (await mail.TicketsAsync()).Single()!["id"]!.GetValue<string>();
        var reply = (await mail.MessagesAsync(ticketId))[1]!;
        reply["author"]!["type"]!.GetValue<string>().ShouldBe("agent");
        reply["author"]!["id"]!.GetValue<string>().ShouldBe(agentId);
    }

    [Theory]
    [InlineData("Auto-Submitted", "auto-replied", "auto-submitted")]
    [InlineData("X-Auto-Response-Suppress", "All", "auto-reply")]
    [InlineData("Precedence", "bulk", "precedence-bulk")]
    [InlineData("Precedence", "list", "precedence-list")]
    [InlineData("List-Id", "<news.contoso.com>", "mailing-list")]
    [InlineData("List-Unsubscribe", "<mailto:leave@contoso.com>", "mailing-list")]
    [InlineData("X-Loop", "support@helpdesk.test", "loop")]
    [InlineData("Content-Type", "multipart/report; report-type=delivery-status; boundary=x", "delivery-report")]
    public async Task Machine_written_mail_never_opens_a_ticket_nor_gets_an_answer(string header, string value, string reason)
    {
        await using var mail = await MailApp.StartAsync();

        var id = await mail.ReceiveAsync(new FakeMessage("alice@contoso.com", "Out of office", "<p>Away.</p>", Headers: new Dictionary<string, string> { [header] = value }));

        (await mail.TicketsAsync()).ShouldBeEmpty();
        mail.Graph.Sent.ShouldBeEmpty();
        var inbound = await mail.InboundOfAsync(id);
        inbound.State.ShouldBe(InboundStates.Filtered);
        inbound.Reason.ShouldBe(reason);
    }

    [Theory]
    [InlineData("MAILER-DAEMON@contoso.com", "bounce")]
    [InlineData("postmaster@contoso.com", "bounce")]
    [InlineData("support@helpdesk.test", "own-mailbox")]
    public async Task Bounces_and_our_own_mail_never_open_a_ticket(string from, string reason)
    {
        await using var mail = await MailApp.StartAsync();

        var id = await mail.ReceiveAsync(new FakeMessage(from, "Undeliverable: Printer jams", "<p>Delivery failed.</p>"));

        (await mail.TicketsAsync()).ShouldBeEmpty();
        (await mail.InboundOfAsync(id)).Reason.ShouldBe(reason);
    }

    [Fact]
    public async Task Auto_submitted_no_is_a_person_writing()
    {
        await using var mail = await MailApp.StartAsync();

        await mail.ReceiveAsync(new FakeMessage("alice@contoso.com", "Printer jams", "<p>It jams.</p>", Headers: new Dictionary<string, string> { ["Auto-Submitted"] = "no" }));

        (await mail.TicketsAsync()).Count.ShouldBe(1);
    }

    [Fact]
    public async Task A_burst_from_one_sender_is_quarantined_and_can_be_released_or_dropped()
    {
        await using var mail = await MailApp.StartAsync(app => app.With("Mail:MaxMailsPerSender", "3"));
        await mail.RenewAsync();
        for (var i = 0; i < 5; i++)
        {
            var id = mail.Graph.Deliver(MailApp.Mailbox, new FakeMessage("robot@contoso.com", $"Alert {i}", "<p>CPU high</p>"));
            await mail.Graph.NotifyAsync(MailApp.Mailbox, id);
        }

        await mail.IngestAsync();

        (await mail.TicketsAsync()).Count.ShouldBe(3);
        var supervisor = mail.App.ClientFor("supervisor", "sam@helpdesk.test");
        var listed = (await (await supervisor.GetAsync("/api/mail/quarantine")).Json())["items"]!.AsArray();
        listed.Count.ShouldBe(2);
        listed[0]!["reason"]!.GetValue<string>().ShouldContain("Burst");

        var released = await supervisor.PostAsync($"/api/mail/quarantine/{listed[0]!["id"]}/release", null);
        var dropped = await supervisor.PostAsync($"/api/mail/quarantine/{listed[1]!["id"]}/drop", null);
        await mail.IngestAsync();

        released.EnsureSuccessStatusCode();
        dropped.EnsureSuccessStatusCode();
        (await mail.TicketsAsync()).Count.ShouldBe(4);
        (await mail.InboundOfAsync(listed[1]!["graphId"]!.GetValue<string>())).State.ShouldBe(InboundStates.Dropped);
        await (await supervisor.PostAsync($"/api/mail/quarantine/{listed[1]!["id"]}/release", null)).ShouldBeProblem(409);
        await (await supervisor.PostAsync("/api/mail/quarantine/999999/release", null)).ShouldBeProblem(404);
    }

    [Fact]
    public async Task The_quarantine_is_for_supervisors_and_dead_letters_for_admins()
    {
        await using var mail = await MailApp.StartAsync();

        (await mail.App.CreateClient().GetAsync("/api/mail/quarantine")).StatusCode.ShouldBe(System.Net.HttpStatusCode.Unauthorized);
        (await mail.App.ClientFor("agent").GetAsync("/api/mail/quarantine")).StatusCode.ShouldBe(System.Net.HttpStatusCode.Forbidden);
        (await mail.App.ClientFor("customer", "alice@contoso.com", "con_1").GetAsync("/api/mail/quarantine")).StatusCode.ShouldBe(System.Net.HttpStatusCode.Forbidden);
        (await mail.App.ClientFor("supervisor").GetAsync("/api/mail/dead-letters")).StatusCode.ShouldBe(System.Net.HttpStatusCode.Forbidden);
        (await mail.App.Admin.GetAsync("/api/mail/dead-letters")).StatusCode.ShouldBe(System.Net.HttpStatusCode.OK);
        await (await mail.App.Admin.GetAsync("/api/mail/dead-letters?limit=0")).ShouldBeProblem(400, "limit");
        await (await mail.App.Admin.GetAsync("/api/mail/dead-letters?cursor=bogus")).ShouldBeProblem(400, "cursor");
    }

    [Fact]
    public async Task A_poison_mail_is_dead_lettered_after_its_attempts_without_blocking_the_others_and_can_be_redriven()
    {
        await using var mail = await MailApp.StartAsync(app => app.With("Mail:MaxAttempts", "2"));
        await mail.RenewAsync();
        var poison = mail.Graph.Deliver(MailApp.Mailbox, new FakeMessage("alice@contoso.com", "Poison", "<p>x</p>"));
        var healthy = mail.Graph.Deliver(MailApp.Mailbox, new FakeMessage("bob@contoso.com", "Healthy", "<p>y</p>"));
        mail.Graph.Break($"/messages/{poison}");
        await mail.Graph.NotifyAsync(MailApp.Mailbox, poison);
        await mail.Graph.NotifyAsync(MailApp.Mailbox, healthy);

        await mail.IngestAsync();
        (await mail.TicketsAsync()).ShouldHaveSingleItem()!["subject"]!.GetValue<string>().ShouldBe("Healthy");
        (await mail.InboundOfAsync(poison)).State.ShouldBe(InboundStates.Pending);
        mail.App.Clock.Advance(TimeSpan.FromMinutes(5));
        await mail.IngestAsync();

        var dead = (await (await mail.App.Admin.GetAsync("/api/mail/dead-letters")).Json())["items"]!.AsArray().ShouldHaveSingleItem()!;
        dead["graphId"]!.GetValue<string>().ShouldBe(poison);
        dead["attempts"]!.GetValue<int>().ShouldBe(2);
        dead["reason"]!.GetValue<string>().ShouldNotBeNullOrWhiteSpace();

        mail.Graph.Repair($"/messages/{poison}");
        (await mail.App.Admin.PostAsync($"/api/mail/dead-letters/{dead["id"]}/redrive", null)).EnsureSuccessStatusCode();
        await mail.IngestAsync();

        (await mail.TicketsAsync()).Count.ShouldBe(2);
        (await mail.InboundOfAsync(poison)).State.ShouldBe(InboundStates.Done);
    }

    [Fact]
    public async Task A_mail_deleted_before_ingestion_is_recorded_as_gone()
    {
        await using var mail = await MailApp.StartAsync();
        await mail.RenewAsync();

        (await mail.Graph.NotifyAsync(MailApp.Mailbox, "AAMkAD-never-existed")).EnsureSuccessStatusCode();
        await mail.IngestAsync();

        (await mail.InboundOfAsync("AAMkAD-never-existed")).State.ShouldBe(InboundStates.Gone);
        (await mail.TicketsAsync()).ShouldBeEmpty();
    }

    [Fact]
    public async Task An_ingested_mail_is_marked_read_and_moved_when_the_mailbox_asks_for_it()
    {
        await using var mail = await MailApp.StartAsync(app => app.With("Mail:Mailboxes:0:MarkRead", "true").With("Mail:Mailboxes:0:ProcessedFolder", "Processed"));

        var id = await mail.ReceiveAsync(new FakeMessage("alice@contoso.com", "Printer jams", "<p>It jams.</p>"));

        var stored = mail.Graph.Message(MailApp.Mailbox, id)!;
        stored.IsRead.ShouldBeTrue();
        stored.Folder.ShouldBe("Processed");
    }

    [Fact]
    public async Task A_throttled_message_read_is_retried_after_retry_after()
    {
        await using var mail = await MailApp.StartAsync();
        await mail.RenewAsync();
        var id = mail.Graph.Deliver(MailApp.Mailbox, new FakeMessage("alice@contoso.com", "Printer jams", "<p>It jams.</p>"));
        mail.Graph.Throttle($"/messages/{id}");
        await mail.Graph.NotifyAsync(MailApp.Mailbox, id);

        await mail.IngestAsync();

        (await mail.TicketsAsync()).Count.ShouldBe(1);
        mail.Graph.Requests.Count(r => r == $"GET /users/{MailApp.Mailbox}/messages/{id}").ShouldBe(2);
    }

    [Fact]
    public async Task A_message_read_whose_answer_is_lost_is_read_again_at_once()
    {
        await using var mail = await MailApp.StartAsync();
        await mail.RenewAsync();
        var id = mail.Graph.Deliver(MailApp.Mailbox, new FakeMessage("alice@contoso.com", "Printer jams", "<p>It jams.</p>"));
        mail.Graph.LoseAnswer($"/messages/{id}");
        await mail.Graph.NotifyAsync(MailApp.Mailbox, id);

        await mail.IngestAsync();

        (await mail.TicketsAsync()).Count.ShouldBe(1);
        (await mail.InboundOfAsync(id)).State.ShouldBe(InboundStates.Done);
        mail.Graph.Requests.Count(r => r == $"GET /users/{MailApp.Mailbox}/messages/{id}").ShouldBe(2, "a read may be repeated: the broken connection is retried in the same attempt");
    }
}
