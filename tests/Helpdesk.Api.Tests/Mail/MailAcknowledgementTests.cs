using Helpdesk.Api.Mail;
using Helpdesk.Api.Tests.Infrastructure.FakeGraph;

namespace Helpdesk.Api.Tests.Mail;

/// <summary>
/// One acknowledgement per customer conversation, and it answers the customer's mail: it carries
/// In-Reply-To and References of that mail even when it is composed before the mail's ingestion
/// settled (an attempt stopped after the ticket write); a reply never opens a second ticket, whether
/// it comes in the same batch as its original or before an interrupted original is recovered.
/// </summary>
public sealed class MailAcknowledgementTests(SharedMailApp shared) : IClassFixture<SharedMailApp>
{
    private MailApp Mail => shared.Mail;

    [Fact]
    public async Task The_acknowledgement_of_a_ticket_whose_ingestion_stopped_after_the_ticket_write_answers_the_customers_mail()
    {
        const string customer = "tara@contoso.com";
        const string messageId = "<ack-1@contoso.com>";
        Mail.Graph.Break("/attachments");
        var graphId = await Mail.ReceiveAsync(new FakeMessage(
            customer, "Dock station", "<p>Photo attached.</p>", InternetMessageId: messageId,
            Attachments: [new FakeAttachment("dock.png", "image/png", [0x89, 0x50, 0x4E, 0x47])]));
        var interrupted = await Mail.InboundOfAsync(graphId);
        await Mail.DeliverAsync();
        var sentBeforeRecovery = Mail.Graph.Sent.Count(s => s.To.Contains(customer));
        var reply = await Mail.ReceiveAsync(new FakeMessage(
            customer, "RE: Dock station", "<p>It also beeps.</p>", InternetMessageId: "<ack-1-reply@contoso.com>",
            Headers: new Dictionary<string, string> { ["In-Reply-To"] = messageId }));

        Mail.Graph.Repair("/attachments");
        Mail.App.Clock.Advance(TimeSpan.FromMinutes(1));
        await Mail.IngestAsync();
        await Mail.DeliverAsync();

        interrupted.State.ShouldBe(InboundStates.Pending, "its files failed after the ticket was written");
        sentBeforeRecovery.ShouldBe(1, "the ticket.created event was written with the ticket");
        var recovered = await Mail.InboundOfAsync(graphId);
        recovered.State.ShouldBe(InboundStates.Done);
        recovered.Reason.ShouldNotBeNull().ShouldContain("Recovered after an interrupted attempt");
        var joined = await Mail.InboundOfAsync(reply);
        joined.TicketId.ShouldBe(recovered.TicketId, "a reply taken in before the recovery joins the ticket the mail's message is on");
        joined.ThreadedBy.ShouldBe(ThreadSignals.InReplyTo);
        var acknowledgement = Mail.Graph.Sent.Where(s => s.To.Contains(customer)).ShouldHaveSingleItem();
        acknowledgement.Header("X-Helpdesk-Trigger").ShouldBe("ticket.created");
        acknowledgement.Header("In-Reply-To").ShouldBe(messageId);
        MailThreading.MessageIds([acknowledgement.Header("References")]).ShouldContain(messageId);
    }

    [Fact]
    public async Task A_reply_ingested_in_the_same_batch_as_its_original_joins_its_ticket_with_one_acknowledgement()
    {
        if (Mail.Graph.Subscriptions.Count == 0)
        {
            await Mail.RenewAsync();
        }

        // Two conversations in one batch, their mails ingested side by side: one threads by
        // In-Reply-To/References (reply notified first), the other only by Graph's conversationId.
        const string byHeaders = "uma@contoso.com", byConversation = "victor@contoso.com";
        string[] graphIds =
        [
            Mail.Graph.Deliver(MailApp.Mailbox, new FakeMessage(
                byHeaders, "RE: Headset", "<p>Also the microphone.</p>", InternetMessageId: "<batch-reply-1@contoso.com>",
                Headers: new Dictionary<string, string> { ["In-Reply-To"] = "<batch-original-1@contoso.com>", ["References"] = "<batch-original-1@contoso.com>" })),
            Mail.Graph.Deliver(MailApp.Mailbox, new FakeMessage(byConversation, "Badge reader", "<p>The reader is dark.</p>", ConversationId: "conv-batch-2")),
            Mail.Graph.Deliver(MailApp.Mailbox, new FakeMessage(byHeaders, "Headset", "<p>The headset crackles.</p>", InternetMessageId: "<batch-original-1@contoso.com>")),
            Mail.Graph.Deliver(MailApp.Mailbox, new FakeMessage(byConversation, "RE: Badge reader", "<p>Still dark this morning.</p>", ConversationId: "conv-batch-2")),
        ];
        foreach (var id in graphIds)
        {
            (await Mail.Graph.NotifyAsync(MailApp.Mailbox, id)).EnsureSuccessStatusCode();
        }

        await Mail.IngestAsync();
        await Mail.DeliverAsync();

        var rows = await Task.WhenAll(graphIds.Select(Mail.InboundOfAsync));
        rows.ShouldAllBe(r => r.State == InboundStates.Done);
        foreach (var customer in new[] { byHeaders, byConversation })
        {
            var ticket = (await Mail.TicketsAsync()).Where(t => t!["requester"]!["email"]!.GetValue<string>() == customer).ShouldHaveSingleItem();
            var ticketId = ticket!["id"]!.GetValue<string>();
            rows.Where(r => r.From == customer).ShouldAllBe(r => r.TicketId == ticketId);
            rows.Count(r => r.From == customer && r.ThreadedBy == ThreadSignals.NewTicket).ShouldBe(1);
            (await Mail.MessagesAsync(ticketId)).Count.ShouldBe(2);
            var acknowledgement = Mail.Graph.Sent.Where(s => s.To.Contains(customer)).ShouldHaveSingleItem();
            acknowledgement.Header("In-Reply-To").ShouldNotBeNull();
        }
    }
}
