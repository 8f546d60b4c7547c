using Helpdesk.Api.Mail;
using Helpdesk.Api.Tests.Infrastructure.FakeGraph;

namespace Helpdesk.Api.Tests.Mail;

/// <summary>
/// Threading does not depend on arrival order: a reply ingested before its original opens the
/// ticket, the original joins it when it comes (by the reply's In-Reply-To/References, or by Graph's
/// conversationId), and the customer gets one acknowledgement for the conversation.
/// </summary>
public sealed class LateOriginalTests(SharedMailApp shared) : IClassFixture<SharedMailApp>
{
    private MailApp Mail => shared.Mail;

    [Fact]
    public async Task An_original_arriving_after_its_reply_joins_the_replys_ticket_with_one_acknowledgement()
    {
        const string customer = "olivia@contoso.com";
        var reply = await Mail.ReceiveAsync(new FakeMessage(
            customer, "RE: VPN drops", "<p>Still dropping, see below.</p>", InternetMessageId: "<reply-1@contoso.com>",
            Headers: new Dictionary<string, string> { ["In-Reply-To"] = "<original-1@contoso.com>", ["References"] = "<original-1@contoso.com>" }));
        await Mail.DeliverAsync();

        var original = await Mail.ReceiveAsync(new FakeMessage(customer, "VPN drops", "<p>The VPN drops every hour.</p>", InternetMessageId: "<original-1@contoso.com>"));
        var secondReply = await Mail.ReceiveAsync(new FakeMessage(
            customer, "RE: VPN drops", "<p>Now every ten minutes.</p>", InternetMessageId: "<reply-2@contoso.com>",
            Headers: new Dictionary<string, string> { ["In-Reply-To"] = "<original-1@contoso.com>" }));
        await Mail.DeliverAsync();

        var ticket = (await Mail.TicketsAsync()).Where(t => t!["requester"]!["email"]!.GetValue<string>() == customer).ShouldHaveSingleItem();
        var ticketId = ticket!["id"]!.GetValue<string>();
        (await Mail.MessagesAsync(ticketId)).Select(m => m!["text"]!.GetValue<string>())
            .ShouldBe(["Still dropping, see below.", "The VPN drops every hour.", "Now every ten minutes."]);
        var joined = await Mail.InboundOfAsync(original);
        joined.TicketId.ShouldBe(ticketId);
        joined.ThreadedBy.ShouldBe(ThreadSignals.CitedBy);
        joined.Reason.ShouldNotBeNull().ShouldContain("Late original");
        (await Mail.InboundOfAsync(reply)).ThreadedBy.ShouldBe(ThreadSignals.NewTicket);
        (await Mail.InboundOfAsync(secondReply)).TicketId.ShouldBe(ticketId);

        var acknowledgement = Mail.Graph.Sent.Where(s => s.To.Contains(customer)).ShouldHaveSingleItem();
        acknowledgement.Header("X-Helpdesk-Trigger").ShouldBe("ticket.created");
        acknowledgement.Header("In-Reply-To").ShouldBe("<reply-1@contoso.com>");
    }

    [Fact]
    public async Task A_copy_of_a_late_original_is_still_a_duplicate_once_the_original_joined()
    {
        const string customer = "pavel@contoso.com";
        await Mail.ReceiveAsync(new FakeMessage(
            customer, "RE: Badge broken", "<p>Any news?</p>", InternetMessageId: "<reply-3@contoso.com>",
            Headers: new Dictionary<string, string> { ["References"] = "<original-3@contoso.com>" }));
        await Mail.ReceiveAsync(new FakeMessage(customer, "Badge broken", "<p>My badge does not open the door.</p>", InternetMessageId: "<original-3@contoso.com>"));

        var copy = await Mail.ReceiveAsync(new FakeMessage(customer, "Badge broken", "<p>My badge does not open the door.</p>", InternetMessageId: "<original-3@contoso.com>"));

        (await Mail.InboundOfAsync(copy)).State.ShouldBe(InboundStates.Duplicate);
        var ticket = (await Mail.TicketsAsync()).Where(t => t!["requester"]!["email"]!.GetValue<string>() == customer).ShouldHaveSingleItem();
        (await Mail.MessagesAsync(ticket!["id"]!.GetValue<string>())).Count.ShouldBe(2);
    }

    [Fact]
    public async Task An_original_arriving_after_its_reply_joins_by_graph_conversation_when_the_reply_cites_nothing()
    {
        const string customer = "quentin@contoso.com";
        var reply = await Mail.ReceiveAsync(new FakeMessage(customer, "RE: Laptop slow", "<p>Forgot the log.</p>", ConversationId: "conv-late-1"));
        await Mail.DeliverAsync();

        var original = await Mail.ReceiveAsync(new FakeMessage(customer, "Laptop slow", "<p>It takes ten minutes to start.</p>", ConversationId: "conv-late-1"));
        var stranger = await Mail.ReceiveAsync(new FakeMessage("eve@fabrikam.test", "Laptop slow", "<p>Mine too.</p>", ConversationId: "conv-late-1"));
        await Mail.DeliverAsync();

        var ticketId = (await Mail.InboundOfAsync(reply)).TicketId;
        var joined = await Mail.InboundOfAsync(original);
        joined.TicketId.ShouldBe(ticketId);
        joined.ThreadedBy.ShouldBe(ThreadSignals.Conversation);
        joined.Reason.ShouldNotBeNull().ShouldContain("Same Graph conversation");
        (await Mail.InboundOfAsync(stranger)).ThreadedBy.ShouldBe(ThreadSignals.NewTicket);
        (await Mail.MessagesAsync(ticketId!)).Count.ShouldBe(2);
        Mail.Graph.Sent.Count(s => s.To.Contains(customer)).ShouldBe(1);
    }

    [Fact]
    public async Task An_original_arriving_while_its_reply_waits_to_recover_from_a_stop_after_its_ticket_write_joins_the_replys_ticket()
    {
        // Each reply opens a ticket, then its files fail: its ticket and message are written, its
        // ingestion is not settled (what a crash right after the ticket write leaves) and it is not
        // due again before its original comes. One cites its original, the other shares only Graph's
        // conversation with it.
        const string byHeaders = "rosa@contoso.com", byConversation = "sam@contoso.com";
        FakeAttachment[] log = [new FakeAttachment("log.txt", "text/plain", [0x6F, 0x6B])];
        Mail.Graph.Break("/attachments");
        var replies = new Dictionary<string, string>
        {
            [byHeaders] = await Mail.ReceiveAsync(new FakeMessage(
                byHeaders, "RE: Monitor flickers", "<p>Log attached.</p>", InternetMessageId: "<stopped-reply-1@contoso.com>",
                Headers: new Dictionary<string, string> { ["In-Reply-To"] = "<stopped-original-1@contoso.com>" }, Attachments: log)),
            [byConversation] = await Mail.ReceiveAsync(new FakeMessage(
                byConversation, "RE: Printer jams", "<p>Log attached.</p>", ConversationId: "conv-stopped-2", Attachments: log)),
        };
        Mail.Graph.Repair("/attachments");
        foreach (var reply in replies.Values)
        {
            (await Mail.InboundOfAsync(reply)).State.ShouldBe(InboundStates.Pending, "its files failed after its ticket was written");
        }

        var originals = new Dictionary<string, string>
        {
            [byHeaders] = await Mail.ReceiveAsync(new FakeMessage(byHeaders, "Monitor flickers", "<p>It flickers.</p>", InternetMessageId: "<stopped-original-1@contoso.com>")),
            [byConversation] = await Mail.ReceiveAsync(new FakeMessage(byConversation, "Printer jams", "<p>It jams.</p>", ConversationId: "conv-stopped-2")),
        };
        Mail.App.Clock.Advance(TimeSpan.FromMinutes(1));
        await Mail.IngestAsync();
        await Mail.DeliverAsync();

        foreach (var (customer, signal) in new[] { (byHeaders, ThreadSignals.CitedBy), (byConversation, ThreadSignals.Conversation) })
        {
            var ticket = (await Mail.TicketsAsync()).Where(t => t!["requester"]!["email"]!.GetValue<string>() == customer).ShouldHaveSingleItem();
            var ticketId = ticket!["id"]!.GetValue<string>();
            var recovered = await Mail.InboundOfAsync(replies[customer]);
            recovered.State.ShouldBe(InboundStates.Done);
            recovered.TicketId.ShouldBe(ticketId);
            recovered.Reason.ShouldNotBeNull().ShouldContain("Recovered after an interrupted attempt");
            var joined = await Mail.InboundOfAsync(originals[customer]);
            joined.TicketId.ShouldBe(ticketId, "the original joins the ticket its reply's message is on");
            joined.ThreadedBy.ShouldBe(signal);
            (await Mail.MessagesAsync(ticketId)).Count.ShouldBe(2);
            Mail.Graph.Sent.Where(s => s.To.Contains(customer)).ShouldHaveSingleItem().Header("X-Helpdesk-Trigger").ShouldBe("ticket.created");
        }
    }
}
