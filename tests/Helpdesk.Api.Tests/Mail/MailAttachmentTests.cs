using System.Text;
using Helpdesk.Api.Mail;
using Helpdesk.Api.Tests.Infrastructure.FakeGraph;
using MimeKit.Tnef;

namespace Helpdesk.Api.Tests.Mail;

/// <summary>
/// The files of inbound mail land on the mail's conversation message, within the attachment
/// limits. The tests share one app (each writes from an address of its own), but the one that
/// sets small limits, which would refuse the other tests' files.
/// </summary>
public sealed class MailAttachmentTests(SharedMailApp shared) : IClassFixture<SharedMailApp>
{
    private readonly string _alice = $"alice.{Guid.NewGuid():N}@contoso.com";

    [Fact]
    public async Task The_files_of_a_mail_are_imported_on_its_message_and_a_winmail_dat_that_is_not_readable_tnef_is_kept_and_flagged()
    {
        var mail = shared.Mail;
        var graphId = await mail.ReceiveAsync(new FakeMessage(
            _alice, "Invoice", "<p>See attached.</p>",
            Attachments: [new FakeAttachment("invoice.pdf", "application/pdf", "%PDF-1.7 invoice"u8.ToArray()), new FakeAttachment("winmail.dat", "application/ms-tnef", [0x78, 0x9F, 0x3E, 0x22])]));
        var ticketId = (await mail.TicketsOfAsync(_alice)).Single()["id"]!.GetValue<string>();

        var message = (await mail.MessagesAsync(ticketId)).Single()!;
        var names = message["attachments"]!.AsArray().Select(a => a!["fileName"]!.GetValue<string>()).ToList();

        names.ShouldBe(["invoice.pdf", "winmail.dat"], ignoreOrder: true);
        var inbound = await mail.InboundOfAsync(graphId);
        inbound.State.ShouldBe(InboundStates.Done);
        inbound.Reason!.ShouldContain("winmail.dat");
    }

    [Fact]
    public async Task An_outlook_winmail_dat_brings_the_files_it_wraps_as_the_ticket_attachments_not_the_opaque_wrapping()
    {
        var pdf = "%PDF-1.7 quote"u8.ToArray();
        var png = new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 7, 7 };
        var mail = shared.Mail;
        var graphId = await mail.ReceiveAsync(new FakeMessage(
            _alice, "Quote", "<p>Quote attached.</p>",
            Attachments: [new FakeAttachment("winmail.dat", "application/ms-tnef", Winmail(("quote.pdf", pdf), ("screen shot.png", png)))]));
        var ticketId = (await mail.TicketsOfAsync(_alice)).Single()["id"]!.GetValue<string>();

        var files = (await mail.MessagesAsync(ticketId)).Single()!["attachments"]!.AsArray();

        files.Select(a => a!["fileName"]!.GetValue<string>()).ShouldBe(["quote.pdf", "screen shot.png"], ignoreOrder: true);
        files.Select(a => a!["size"]!.GetValue<long>()).ShouldBe([pdf.Length, png.Length], ignoreOrder: true);
        (await mail.InboundOfAsync(graphId)).State.ShouldBe(InboundStates.Done);
    }

    [Fact]
    public async Task A_file_over_the_size_limit_is_left_out_and_named_while_the_mail_and_its_other_files_go_in()
    {
        await using var mail = await MailApp.StartAsync(app => app.With("Attachments:MaxFileBytes", "1024").With("Attachments:MaxTicketBytes", "4096"));
        var graphId = await mail.ReceiveAsync(new FakeMessage(
            _alice, "Logs", "<p>Logs attached.</p>",
            Attachments: [new FakeAttachment("small.txt", "text/plain", "a few lines"u8.ToArray()), new FakeAttachment("huge.log", "text/plain", new byte[5000])]));
        var ticketId = (await mail.TicketsOfAsync(_alice)).Single()["id"]!.GetValue<string>();

        var names = (await mail.MessagesAsync(ticketId)).Single()!["attachments"]!.AsArray().Select(a => a!["fileName"]!.GetValue<string>()).ToList();

        names.ShouldBe(["small.txt"]);
        (await mail.InboundOfAsync(graphId)).Reason!.ShouldContain("huge.log");
    }

    /// <summary>
    /// An Outlook TNEF stream (what Outlook sends as winmail.dat; MimeKit reads TNEF but has no
    /// writer): the signature and key, then attributes (level, id, length, data, checksum), the
    /// version and message class first, then each file as render data, title and data.
    /// </summary>
    private static byte[] Winmail(params (string Name, byte[] Content)[] files)
    {
        using var stream = new MemoryStream();
        using var writer = new BinaryWriter(stream);
        writer.Write(0x223E9F78);
        writer.Write((ushort)0x2A17);
        void Attribute(TnefAttributeLevel level, TnefAttributeTag tag, byte[] data)
        {
            writer.Write((byte)level);
            writer.Write((int)tag);
            writer.Write(data.Length);
            writer.Write(data);
            writer.Write((ushort)data.Sum(b => b));
        }

        Attribute(TnefAttributeLevel.Message, TnefAttributeTag.TnefVersion, BitConverter.GetBytes(0x00010000));
        Attribute(TnefAttributeLevel.Message, TnefAttributeTag.MessageClass, Encoding.ASCII.GetBytes("IPM.Note\0"));
        foreach (var (name, content) in files)
        {
            Attribute(TnefAttributeLevel.Attachment, TnefAttributeTag.AttachRenderData, new byte[14]);
            Attribute(TnefAttributeLevel.Attachment, TnefAttributeTag.AttachTitle, Encoding.ASCII.GetBytes(name + "\0"));
            Attribute(TnefAttributeLevel.Attachment, TnefAttributeTag.AttachData, content);
        }

        writer.Flush();
        return stream.ToArray();
    }
}
