using Helpdesk.Api.Mail;
using Helpdesk.Api.Tests.Infrastructure.FakeGraph;

namespace Helpdesk.Api.Tests.Mail;

/// <summary>
/// Two mails with one Message-ID (a copy under another Graph id): the first to be taken in holds
/// the Message-ID, the other is labelled the duplicate, and only the holder finishes its own
/// interrupted ticket write — never the copy.
/// </summary>
public sealed class SameMessageIdTests(SharedMailApp shared) : IClassFixture<SharedMailApp>
{
    private MailApp Mail => shared.Mail;

    [Fact]
    public async Task A_copy_never_completes_the_interrupted_write_of_the_mail_that_came_first()
    {
        const string customer = "rosa@contoso.com";
        Mail.Graph.Break("/attachments");
        var first = await Mail.ReceiveAsync(new FakeMessage(
            customer, "Scanner", "<p>Scan attached.</p>", InternetMessageId: "<same-1@contoso.com>",
            Attachments: [new FakeAttachment("scan.png", "image/png", [0x89, 0x50, 0x4E, 0x47])]));
        Mail.Graph.Repair("/attachments");
        var interrupted = await Mail.InboundOfAsync(first);

        var copy = await Mail.ReceiveAsync(new FakeMessage(
            customer, "Scanner", "<p>Scan attached.</p>", InternetMessageId: "<same-1@contoso.com>",
            Attachments: [new FakeAttachment("other-1.pdf", "application/pdf", "%PDF-1.7 a"u8.ToArray()), new FakeAttachment("other-2.pdf", "application/pdf", "%PDF-1.7 b"u8.ToArray())]));
        Mail.App.Clock.Advance(TimeSpan.FromMinutes(1));
        await Mail.IngestAsync();

        interrupted.State.ShouldBe(InboundStates.Pending, "its files failed after its message was written");
        var duplicate = await Mail.InboundOfAsync(copy);
        duplicate.State.ShouldBe(InboundStates.Duplicate);
        duplicate.Reason.ShouldNotBeNull().ShouldContain(first);
        var recovered = await Mail.InboundOfAsync(first);
        recovered.State.ShouldBe(InboundStates.Done);
        recovered.Reason.ShouldNotBeNull().ShouldContain("Recovered after an interrupted attempt");
        var ticketId = recovered.TicketId.ShouldNotBeNull();
        var message = (await Mail.MessagesAsync(ticketId)).ShouldHaveSingleItem()!;
        message["attachments"]!.AsArray().Select(a => a!["fileName"]!.GetValue<string>()).ShouldBe(["scan.png"]);
    }

    [Fact]
    public async Task Of_two_copies_ingested_in_one_batch_one_opens_the_ticket_and_the_other_is_labelled_the_duplicate()
    {
        const string customer = "sven@contoso.com";
        if (Mail.Graph.Subscriptions.Count == 0)
        {
            await Mail.RenewAsync();
        }

        string[] copies = [.. Enumerable.Range(0, 2).Select(_ => Mail.Graph.Deliver(MailApp.Mailbox, new FakeMessage(customer, "Monitor flickers", "<p>It flickers.</p>", InternetMessageId: "<same-2@contoso.com>")))];
        foreach (var id in copies)
        {
            (await Mail.Graph.NotifyAsync(MailApp.Mailbox, id)).EnsureSuccessStatusCode();
        }

        await Mail.IngestAsync();

        var rows = await Task.WhenAll(copies.Select(Mail.InboundOfAsync));
        var opened = rows.Where(r => r.State == InboundStates.Done).ShouldHaveSingleItem();
        opened.ThreadedBy.ShouldBe(ThreadSignals.NewTicket);
        var duplicate = rows.Where(r => r.State == InboundStates.Duplicate).ShouldHaveSingleItem();
        duplicate.Reason.ShouldNotBeNull().ShouldContain(opened.GraphId);
        duplicate.TicketId.ShouldBeNull();
        (await Mail.TicketsAsync()).Count(t => t!["requester"]!["email"]!.GetValue<string>() == customer).ShouldBe(1);
    }
}
