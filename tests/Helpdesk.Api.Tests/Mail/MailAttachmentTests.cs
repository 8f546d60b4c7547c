using Helpdesk.Api.Mail;
using Helpdesk.Api.Tests.Infrastructure.FakeGraph;

namespace Helpdesk.Api.Tests.Mail;

/// <summary>The files of inbound mail land on the mail's conversation message, within the attachment limits.</summary>
public sealed class MailAttachmentTests
{
    [Fact]
    public async Task The_files_of_a_mail_are_imported_on_its_message_and_winmail_dat_is_kept_and_flagged()
    {
        await using var mail = await MailApp.StartAsync();
        var graphId = await mail.ReceiveAsync(new FakeMessage(
            "alice@contoso.com", "Invoice", "<p>See attached.</p>",
            Attachments: [new FakeAttachment("invoice.pdf", "application/pdf", "%PDF-1.7 invoice"u8.ToArray()), new FakeAttachment("winmail.dat", "application/ms-tnef", [0x78, 0x9F, 0x3E, 0x22])]));
        var ticketId = (await mail.TicketsAsync()).Single()!["id"]!.GetValue<string>();

        var message = (await mail.MessagesAsync(ticketId)).Single()!;
        var names = message["attachments"]!.AsArray().Select(a => a!["fileName"]!.GetValue<string>()).ToList();

        names.ShouldBe(["invoice.pdf", "winmail.dat"], ignoreOrder: true);
        var inbound = await mail.InboundOfAsync(graphId);
        inbound.State.ShouldBe(InboundStates.Done);
        inbound.Reason!.ShouldContain("winmail.dat");
    }

    [Fact]
    public async Task A_file_over_the_size_limit_is_left_out_and_named_while_the_mail_and_its_other_files_go_in()
    {
        await using var mail = await MailApp.StartAsync(app => app.With("Attachments:MaxFileBytes", "1024").With("Attachments:MaxTicketBytes", "4096"));
        var graphId = await mail.ReceiveAsync(new FakeMessage(
            "alice@contoso.com", "Logs", "<p>Logs attached.</p>",
            Attachments: [new FakeAttachment("small.txt", "text/plain", "a few lines"u8.ToArray()), new FakeAttachment("huge.log", "text/plain", new byte[5000])]));
        var ticketId = (await mail.TicketsAsync()).Single()!["id"]!.GetValue<string>();

        var names = (await mail.MessagesAsync(ticketId)).Single()!["attachments"]!.AsArray().Select(a => a!["fileName"]!.GetValue<string>()).ToList();

        names.ShouldBe(["small.txt"]);
        (await mail.InboundOfAsync(graphId)).Reason!.ShouldContain("huge.log");
    }
}
