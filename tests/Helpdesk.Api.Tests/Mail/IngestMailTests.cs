using Helpdesk.Api.Mail;
using Helpdesk.Api.Tests.Infrastructure;
using Helpdesk.Api.Tests.Infrastructure.FakeGraph;
using Microsoft.Extensions.DependencyInjection;

namespace Helpdesk.Api.Tests.Mail;

/// <summary>
/// Inbound mail through the whole pipeline: notification, ingestion, ticket and conversation.
/// The tests share one helpdesk (and one with the settings a few need): each writes from its own
/// addresses, with its own message and conversation ids, and reads back only its own tickets.
/// </summary>
public sealed class IngestMailTests(SharedMailApp shared, IngestMailTests.ConfiguredMailApp configured)
    : IClassFixture<SharedMailApp>, IClassFixture<IngestMailTests.ConfiguredMailApp>
{
    private readonly MailApp _mail = shared.Mail;
    private readonly string _tag = Guid.NewGuid().ToString("N")[..10];

    /// <summary>
    /// The settings three tests need, in one app: a burst limit of 3 mails per sender, 2 attempts
    /// before a mail is dead-lettered, and ingested mail marked read and moved. Each test writes
    /// fewer than 3 mails per sender and none fails but the poison one, so no setting touches
    /// what another of these tests checks.
    /// </summary>
    public sealed class ConfiguredMailApp : IAsyncLifetime
    {
        public MailApp Mail { get; private set; } = null!;

        public async Task InitializeAsync() => Mail = await MailApp.StartAsync(app => app
            .With("Mail:MaxMailsPerSender", "3")
            .With("Mail:MaxAttempts", "2")
            .With("Mail:Mailboxes:0:MarkRead", "true")
            .With("Mail:Mailboxes:0:ProcessedFolder", "Processed"));

        public async Task DisposeAsync() => await Mail.DisposeAsync();
    }

    /// <summary>An address of this test's own: <c>name.tag@domain</c>.</summary>
    private string At(string name, string domain = "contoso.com") => $"{name}.{_tag}@{domain}";

    /// <summary>A Message-ID of this test's own.</summary>
    private string MessageId(string name) => $"<{name}.{_tag}@contoso.com>";

    [Fact]
    public async Task A_new_mail_opens_a_ticket_for_the_sender_with_the_mail_as_its_first_message()
    {
        var domain = $"{_tag}.contoso.com";
        var account = await _mail.App.AccountAsync($"Contoso {_tag}", domain);
        var alice = $"Alice@{domain.ToUpperInvariant()}";

        var graphId = await _mail.ReceiveAsync(new FakeMessage(
            alice,
            "Printer jams",
            "<p>It jams on page 2.</p><blockquote>old stuff</blockquote>",
            FromName: "Alice",
            To: [MailApp.Mailbox, $"bob@{domain}"],
            Cc: [$"carol@{domain}"],
            UniqueBody: "<p>It jams on page 2.</p>"));

        var ticket = (await _mail.TicketsOfAsync(alice)).ShouldHaveSingleItem();
        ticket["subject"]!.GetValue<string>().ShouldBe("Printer jams");
        ticket["requester"]!["email"]!.GetValue<string>().ShouldBe(alice);
        ticket["accountId"]!.GetValue<string>().ShouldBe(account);
        ticket["status"]!.GetValue<string>().ShouldBe("new");
        var message = (await _mail.MessagesAsync(ticket["id"]!.GetValue<string>())).ShouldHaveSingleItem()!;
        message["text"]!.GetValue<string>().ShouldBe("It jams on page 2.");
        message["source"]!.GetValue<string>().ShouldBe("email");
        message["author"]!["type"]!.GetValue<string>().ShouldBe("customer");
        message["cc"]!.AsArray().Select(c => c!.GetValue<string>()).ShouldBe([$"bob@{domain}", $"carol@{domain}"], ignoreOrder: true);
        var inbound = await _mail.InboundOfAsync(graphId);
        inbound.State.ShouldBe(InboundStates.Done);
        inbound.ThreadedBy.ShouldBe(ThreadSignals.NewTicket);
    }

    [Fact]
    public async Task The_same_mail_notified_three_times_yields_one_ticket_message()
    {
        await _mail.RenewAsync();
        var alice = At("alice");
        var id = _mail.Graph.Deliver(MailApp.Mailbox, new FakeMessage(alice, "Printer jams", "<p>It jams.</p>"));

        await _mail.Graph.NotifyAsync(MailApp.Mailbox, id, copies: 2);
        await _mail.IngestAsync();
        await _mail.Graph.NotifyAsync(MailApp.Mailbox, id);
        await _mail.IngestAsync();

        var ticket = (await _mail.TicketsOfAsync(alice)).ShouldHaveSingleItem();
        (await _mail.MessagesAsync(ticket["id"]!.GetValue<string>())).Count.ShouldBe(1);
    }

    [Fact]
    public async Task A_mail_seen_by_notification_and_by_delta_yields_one_ticket_message()
    {
        await _mail.RenewAsync();
        var alice = At("alice");
        var id = _mail.Graph.Deliver(MailApp.Mailbox, new FakeMessage(alice, "Printer jams", "<p>It jams.</p>"));

        await _mail.Graph.NotifyAsync(MailApp.Mailbox, id);
        await _mail.IngestAsync();
        await _mail.RenewAsync();
        await _mail.IngestAsync();

        var ticket = (await _mail.TicketsOfAsync(alice)).ShouldHaveSingleItem();
        (await _mail.MessagesAsync(ticket["id"]!.GetValue<string>())).Count.ShouldBe(1);
    }

    [Fact]
    public async Task A_copy_of_a_mail_under_another_graph_id_is_a_duplicate()
    {
        var alice = At("alice");
        await _mail.ReceiveAsync(new FakeMessage(alice, "Printer jams", "<p>It jams.</p>", InternetMessageId: MessageId("same")));

        var copy = await _mail.ReceiveAsync(new FakeMessage(alice, "Printer jams", "<p>It jams.</p>", InternetMessageId: MessageId("same")));

        (await _mail.TicketsOfAsync(alice)).Count.ShouldBe(1);
        (await _mail.InboundOfAsync(copy)).State.ShouldBe(InboundStates.Duplicate);
    }

    [Fact]
    public async Task A_reply_threads_by_in_reply_to()
    {
        var alice = At("alice");
        await _mail.ReceiveAsync(new FakeMessage(alice, "Printer jams", "<p>It jams.</p>", InternetMessageId: MessageId("first")));

        var reply = await _mail.ReceiveAsync(new FakeMessage(
            alice, "RE: Printer jams", "<p>Still jams.</p>",
            Headers: new Dictionary<string, string> { ["In-Reply-To"] = MessageId("first") }));

        var ticket = (await _mail.TicketsOfAsync(alice)).ShouldHaveSingleItem();
        (await _mail.MessagesAsync(ticket["id"]!.GetValue<string>())).Count.ShouldBe(2);
        (await _mail.InboundOfAsync(reply)).ThreadedBy.ShouldBe(ThreadSignals.InReplyTo);
    }

    [Fact]
    public async Task A_reply_threads_by_references_when_in_reply_to_is_unknown()
    {
        var alice = At("alice");
        await _mail.ReceiveAsync(new FakeMessage(alice, "Printer jams", "<p>It jams.</p>", InternetMessageId: MessageId("first")));

        var reply = await _mail.ReceiveAsync(new FakeMessage(
            alice, "RE: Printer jams", "<p>Still jams.</p>",
            Headers: new Dictionary<string, string> { ["In-Reply-To"] = $"<unknown.{_tag}@elsewhere.test>", ["References"] = $"{MessageId("first")} <unknown.{_tag}@elsewhere.test>" }));

        var ticket = (await _mail.TicketsOfAsync(alice)).ShouldHaveSingleItem();
        (await _mail.MessagesAsync(ticket["id"]!.GetValue<string>())).Count.ShouldBe(2);
        (await _mail.InboundOfAsync(reply)).ThreadedBy.ShouldBe(ThreadSignals.References);
    }

    [Fact]
    public async Task A_reply_threads_by_the_reply_token_when_headers_were_dropped()
    {
        var alice = At("alice");
        var someoneElse = At("someone.else", "fabrikam.test");
        await _mail.ReceiveAsync(new FakeMessage(alice, "Printer jams", "<p>It jams.</p>"));
        var ticketId = (await _mail.TicketsOfAsync(alice)).Single()["id"]!.GetValue<string>();

        var reply = await _mail.ReceiveAsync(new FakeMessage(
            someoneElse, "Fwd: your ticket", $"<p>Answering for Alice.</p><p>{await _mail.App.Services.GetRequiredService<ReplyTokens>().TokenAsync(ticketId, CancellationToken.None)}</p>",
            UniqueBody: "<p>Answering for Alice.</p>"));

        (await _mail.TicketsOfAsync(alice, someoneElse)).Count.ShouldBe(1);
        (await _mail.InboundOfAsync(reply)).ThreadedBy.ShouldBe(ThreadSignals.Token);
        (await _mail.MessagesAsync(ticketId))[1]!["text"]!.GetValue<string>().ShouldBe("Answering for Alice.");
    }

    [Fact]
    public async Task A_ticket_number_in_the_subject_threads_when_the_requester_writes()
    {
        var alice = At("alice");
        await _mail.ReceiveAsync(new FakeMessage(alice, "Printer jams", "<p>It jams.</p>"));
        var number = (await _mail.TicketsOfAsync(alice)).Single()["number"]!.GetValue<string>();

        var reply = await _mail.ReceiveAsync(new FakeMessage(alice.ToUpperInvariant(), $"Update [{number}]", "<p>Fixed itself.</p>"));

        (await _mail.TicketsOfAsync(alice)).Count.ShouldBe(1);
        (await _mail.InboundOfAsync(reply)).ThreadedBy.ShouldBe(ThreadSignals.SubjectNumber);
    }

    [Fact]
    public async Task A_ticket_number_in_the_subject_from_a_stranger_opens_a_new_ticket()
    {
        var alice = At("alice");
        var mallory = At("mallory", "evil.test");
        await _mail.ReceiveAsync(new FakeMessage(alice, "Printer jams", "<p>It jams.</p>"));
        var number = (await _mail.TicketsOfAsync(alice)).Single()["number"]!.GetValue<string>();

        var stranger = await _mail.ReceiveAsync(new FakeMessage(mallory, $"RE: [{number}] let me in", "<p>Hi.</p>"));

        (await _mail.TicketsOfAsync(alice)).Count.ShouldBe(1);
        (await _mail.TicketsOfAsync(mallory)).Count.ShouldBe(1);
        (await _mail.InboundOfAsync(stranger)).ThreadedBy.ShouldBe(ThreadSignals.NewTicket);
    }

    [Fact]
    public async Task A_ticket_number_in_the_subject_threads_for_someone_in_copy_of_the_ticket()
    {
        var alice = At("alice");
        var bob = At("bob");
        await _mail.ReceiveAsync(new FakeMessage(alice, "Printer jams", "<p>It jams.</p>", Cc: [bob]));
        var number = (await _mail.TicketsOfAsync(alice)).Single()["number"]!.GetValue<string>();

        var fromCc = await _mail.ReceiveAsync(new FakeMessage(bob, $"[{number}] same here", "<p>Mine too.</p>"));

        (await _mail.TicketsOfAsync(alice, bob)).Count.ShouldBe(1);
        (await _mail.InboundOfAsync(fromCc)).ThreadedBy.ShouldBe(ThreadSignals.SubjectNumber);
    }

    [Fact]
    public async Task Graph_conversation_id_threads_only_for_a_participant()
    {
        var alice = At("alice");
        var eve = At("eve", "fabrikam.test");
        var conversation = "conv-" + _tag;
        await _mail.ReceiveAsync(new FakeMessage(alice, "Printer jams", "<p>It jams.</p>", ConversationId: conversation));

        var fromRequester = await _mail.ReceiveAsync(new FakeMessage(alice, "Printer jams", "<p>again</p>", ConversationId: conversation));
        var fromStranger = await _mail.ReceiveAsync(new FakeMessage(eve, "Printer jams", "<p>me too</p>", ConversationId: conversation));

        (await _mail.InboundOfAsync(fromRequester)).ThreadedBy.ShouldBe(ThreadSignals.Conversation);
        (await _mail.InboundOfAsync(fromStranger)).ThreadedBy.ShouldBe(ThreadSignals.NewTicket);
        (await _mail.TicketsOfAsync(alice)).Count.ShouldBe(1);
        (await _mail.TicketsOfAsync(eve)).Count.ShouldBe(1);
    }

    [Fact]
    public async Task A_reply_from_an_agent_is_recorded_as_the_agents_reply()
    {
        var ada = $"ada.{_tag}@helpdesk.test";
        var alice = At("alice");
        var (agentId, _) = await _mail.App.AgentAsync(ada);
        await _mail.ReceiveAsync(new FakeMessage(alice, "Printer jams", "<p>It jams.</p>", InternetMessageId: MessageId("first")));

        await _mail.ReceiveAsync(new FakeMessage(
            ada, "RE: Printer jams", "<p>Try tray 2.</p>",
            Headers: new Dictionary<string, string> { ["In-Reply-To"] = MessageId("first") }));

        var ticketId = (await _mail.TicketsOfAsync(alice)).Single()["id"]!.GetValue<string>();
        var reply = (await _mail.MessagesAsync(ticketId))[1]!;
        reply["author"]!["type"]!.GetValue<string>().ShouldBe("agent");
        reply["author"]!["id"]!.GetValue<string>().ShouldBe(agentId);
        (await _mail.TicketsOfAsync(ada)).ShouldBeEmpty();
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
        var alice = At("alice");
        var sentBefore = _mail.Graph.Sent.Count;

        var id = await _mail.ReceiveAsync(new FakeMessage(alice, "Out of office", "<p>Away.</p>", Headers: new Dictionary<string, string> { [header] = value }));

        (await _mail.TicketsOfAsync(alice)).ShouldBeEmpty();
        _mail.Graph.Sent.Count.ShouldBe(sentBefore);
        var inbound = await _mail.InboundOfAsync(id);
        inbound.State.ShouldBe(InboundStates.Filtered);
        inbound.Reason.ShouldBe(reason);
        inbound.TicketId.ShouldBeNull();
    }

    [Theory]
    [InlineData("MAILER-DAEMON", "bounce")]
    [InlineData("postmaster", "bounce")]
    [InlineData(null, "own-mailbox")]
    public async Task Bounces_and_our_own_mail_never_open_a_ticket(string? localPart, string reason)
    {
        var from = localPart is null ? MailApp.Mailbox : $"{localPart}@{_tag}.contoso.com";
        var ticketsBefore = (await _mail.TicketsAsync()).Count;

        var id = await _mail.ReceiveAsync(new FakeMessage(from, "Undeliverable: Printer jams", "<p>Delivery failed.</p>"));

        (await _mail.TicketsAsync()).Count.ShouldBe(ticketsBefore, "the tests of this class run one after the other: no other test wrote meanwhile");
        var inbound = await _mail.InboundOfAsync(id);
        inbound.Reason.ShouldBe(reason);
        inbound.TicketId.ShouldBeNull();
    }

    [Fact]
    public async Task Auto_submitted_no_is_a_person_writing()
    {
        var alice = At("alice");

        await _mail.ReceiveAsync(new FakeMessage(alice, "Printer jams", "<p>It jams.</p>", Headers: new Dictionary<string, string> { ["Auto-Submitted"] = "no" }));

        (await _mail.TicketsOfAsync(alice)).Count.ShouldBe(1);
    }

    [Fact]
    public async Task A_burst_from_one_sender_is_quarantined_and_can_be_released_or_dropped()
    {
        var mail = configured.Mail;
        var robot = At("robot");
        await mail.RenewAsync();
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var id = mail.Graph.Deliver(MailApp.Mailbox, new FakeMessage(robot, $"Alert {i}", "<p>CPU high</p>"));
            ids.Add(id);
            await mail.Graph.NotifyAsync(MailApp.Mailbox, id);
        }

        await mail.IngestAsync();

        (await mail.TicketsOfAsync(robot)).Count.ShouldBe(3);
        var supervisor = mail.App.ClientFor("supervisor", "sam@helpdesk.test");
        var quarantined = (await (await supervisor.GetAsync("/api/mail/quarantine")).Json())["items"]!.AsArray();
        var listed = quarantined.Where(q => ids.Contains(q!["graphId"]!.GetValue<string>())).ToList();
        listed.Count.ShouldBe(2);
        listed.Count.ShouldBe(quarantined.Count, "only this test's mail is held");
        listed[0]!["reason"]!.GetValue<string>().ShouldContain("Burst");

        var released = await supervisor.PostAsync($"/api/mail/quarantine/{listed[0]!["id"]}/release", null);
        var dropped = await supervisor.PostAsync($"/api/mail/quarantine/{listed[1]!["id"]}/drop", null);
        await mail.IngestAsync();

        released.EnsureSuccessStatusCode();
        dropped.EnsureSuccessStatusCode();
        (await mail.TicketsOfAsync(robot)).Count.ShouldBe(4);
        (await mail.InboundOfAsync(listed[1]!["graphId"]!.GetValue<string>())).State.ShouldBe(InboundStates.Dropped);
        await (await supervisor.PostAsync($"/api/mail/quarantine/{listed[1]!["id"]}/release", null)).ShouldBeProblem(409);
        await (await supervisor.PostAsync("/api/mail/quarantine/999999/release", null)).ShouldBeProblem(404);
    }

    [Fact]
    public async Task The_quarantine_is_for_supervisors_and_dead_letters_for_admins()
    {
        (await _mail.App.CreateClient().GetAsync("/api/mail/quarantine")).StatusCode.ShouldBe(System.Net.HttpStatusCode.Unauthorized);
        (await _mail.App.ClientFor("agent").GetAsync("/api/mail/quarantine")).StatusCode.ShouldBe(System.Net.HttpStatusCode.Forbidden);
        (await _mail.App.ClientFor("customer", At("alice"), "con_1").GetAsync("/api/mail/quarantine")).StatusCode.ShouldBe(System.Net.HttpStatusCode.Forbidden);
        (await _mail.App.ClientFor("supervisor").GetAsync("/api/mail/dead-letters")).StatusCode.ShouldBe(System.Net.HttpStatusCode.Forbidden);
        (await _mail.App.Admin.GetAsync("/api/mail/dead-letters")).StatusCode.ShouldBe(System.Net.HttpStatusCode.OK);
        await (await _mail.App.Admin.GetAsync("/api/mail/dead-letters?limit=0")).ShouldBeProblem(400, "limit");
        await (await _mail.App.Admin.GetAsync("/api/mail/dead-letters?cursor=bogus")).ShouldBeProblem(400, "cursor");
    }

    [Fact]
    public async Task A_poison_mail_is_dead_lettered_after_its_attempts_without_blocking_the_others_and_can_be_redriven()
    {
        var mail = configured.Mail;
        var alice = At("alice");
        var bob = At("bob");
        await mail.RenewAsync();
        var poison = mail.Graph.Deliver(MailApp.Mailbox, new FakeMessage(alice, "Poison", "<p>x</p>"));
        var healthy = mail.Graph.Deliver(MailApp.Mailbox, new FakeMessage(bob, "Healthy", "<p>y</p>"));
        mail.Graph.Break($"/messages/{poison}");
        await mail.Graph.NotifyAsync(MailApp.Mailbox, poison);
        await mail.Graph.NotifyAsync(MailApp.Mailbox, healthy);

        await mail.IngestAsync();
        (await mail.TicketsOfAsync(alice, bob)).ShouldHaveSingleItem()["subject"]!.GetValue<string>().ShouldBe("Healthy");
        (await mail.InboundOfAsync(poison)).State.ShouldBe(InboundStates.Pending);
        mail.App.Clock.Advance(TimeSpan.FromMinutes(5));
        await mail.IngestAsync();

        var deadLetters = (await (await mail.App.Admin.GetAsync("/api/mail/dead-letters")).Json())["items"]!.AsArray();
        var dead = deadLetters.Where(d => d!["graphId"]!.GetValue<string>() == poison).ShouldHaveSingleItem()!;
        deadLetters.Count.ShouldBe(1, "only the poison mail is dead");
        dead["attempts"]!.GetValue<int>().ShouldBe(2);
        dead["reason"]!.GetValue<string>().ShouldNotBeNullOrWhiteSpace();

        mail.Graph.Repair($"/messages/{poison}");
        (await mail.App.Admin.PostAsync($"/api/mail/dead-letters/{dead["id"]}/redrive", null)).EnsureSuccessStatusCode();
        await mail.IngestAsync();

        (await mail.TicketsOfAsync(alice, bob)).Count.ShouldBe(2);
        (await mail.InboundOfAsync(poison)).State.ShouldBe(InboundStates.Done);
    }

    [Fact]
    public async Task A_mail_deleted_before_ingestion_is_recorded_as_gone()
    {
        var gone = "AAMkAD-never-existed-" + _tag;
        await _mail.RenewAsync();
        var ticketsBefore = (await _mail.TicketsAsync()).Count;

        (await _mail.Graph.NotifyAsync(MailApp.Mailbox, gone)).EnsureSuccessStatusCode();
        await _mail.IngestAsync();

        var inbound = await _mail.InboundOfAsync(gone);
        inbound.State.ShouldBe(InboundStates.Gone);
        inbound.TicketId.ShouldBeNull();
        (await _mail.TicketsAsync()).Count.ShouldBe(ticketsBefore, "the tests of this class run one after the other: no other test wrote meanwhile");
    }

    [Fact]
    public async Task An_ingested_mail_is_marked_read_and_moved_when_the_mailbox_asks_for_it()
    {
        var mail = configured.Mail;

        var id = await mail.ReceiveAsync(new FakeMessage(At("alice"), "Printer jams", "<p>It jams.</p>"));

        var stored = mail.Graph.Message(MailApp.Mailbox, id)!;
        stored.IsRead.ShouldBeTrue();
        stored.Folder.ShouldBe("Processed");
    }

    [Fact]
    public async Task A_throttled_message_read_is_retried_after_retry_after()
    {
        var alice = At("alice");
        await _mail.RenewAsync();
        var id = _mail.Graph.Deliver(MailApp.Mailbox, new FakeMessage(alice, "Printer jams", "<p>It jams.</p>"));
        _mail.Graph.Throttle($"/messages/{id}");
        await _mail.Graph.NotifyAsync(MailApp.Mailbox, id);

        await _mail.IngestAsync();

        (await _mail.TicketsOfAsync(alice)).Count.ShouldBe(1);
        _mail.Graph.Requests.Count(r => r == $"GET /users/{MailApp.Mailbox}/messages/{id}").ShouldBe(2);
    }

    [Fact]
    public async Task A_message_read_whose_answer_is_lost_is_read_again_at_once()
    {
        var alice = At("alice");
        await _mail.RenewAsync();
        var id = _mail.Graph.Deliver(MailApp.Mailbox, new FakeMessage(alice, "Printer jams", "<p>It jams.</p>"));
        _mail.Graph.LoseAnswer($"/messages/{id}");
        await _mail.Graph.NotifyAsync(MailApp.Mailbox, id);

        await _mail.IngestAsync();

        (await _mail.TicketsOfAsync(alice)).Count.ShouldBe(1);
        (await _mail.InboundOfAsync(id)).State.ShouldBe(InboundStates.Done);
        _mail.Graph.Requests.Count(r => r == $"GET /users/{MailApp.Mailbox}/messages/{id}").ShouldBe(2, "a read may be repeated: the broken connection is retried in the same attempt");
    }
}
