using System.Text;
using Helpdesk.Api.Mail;
using MimeKit;

namespace Helpdesk.Api.Tests.Mail;

public sealed class MimeWriterTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Text_html_inline_images_and_attachments_each_come_back_from_the_mime_with_their_bytes()
    {
        var png = new byte[] { 0x89, 0x50, 0x4E, 0x47, 1, 2, 3 };
        var pdf = Encoding.ASCII.GetBytes("%PDF-1.7 invoice");
        var message = Message() with
        {
            Attachments = [new EmailAttachment("logo.png", "image/png", png, "logo@helpdesk"), new EmailAttachment("facture été.pdf", "application/pdf", pdf)],
        };

        var mime = Parse(MimeWriter.Render(message, Now));

        mime.Body.ShouldNotBeNull().ContentType.MimeType.ShouldBe("multipart/mixed");
        mime.BodyParts.Select(p => p.ContentType.MimeType).ShouldBe(["text/plain", "text/html", "image/png", "application/pdf"]);
        mime.TextBody.ShouldBe("Hello, café");
        mime.HtmlBody.ShouldBe("<p>Hello, café <img src=\"cid:logo@helpdesk\"></p>");
        var logo = mime.BodyParts.OfType<MimePart>().Single(p => p.ContentId == "logo@helpdesk");
        logo.ContentDisposition.ShouldNotBeNull().Disposition.ShouldBe(ContentDisposition.Inline);
        Bytes(logo).ShouldBe(png);
        var invoice = mime.Attachments.OfType<MimePart>().ShouldHaveSingleItem();
        invoice.FileName.ShouldBe("facture été.pdf");
        Bytes(invoice).ShouldBe(pdf);
    }

    [Fact]
    public void A_message_without_files_is_a_plain_alternative_and_renders_the_same_bytes_every_time()
    {
        var first = MimeWriter.Render(Message(), Now);

        Parse(first).Body.ShouldNotBeNull().ContentType.MimeType.ShouldBe("multipart/alternative");
        MimeWriter.Render(Message(), Now).ShouldBe(first);
        first.Split("\r\n").ShouldAllBe(line => line.Length <= 998 && !line.Contains('\n'));
    }

    private static MimeMessage Parse(string rendered) => MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(rendered)));

    private static byte[] Bytes(MimePart part)
    {
        using var content = new MemoryStream();
        part.Content.ShouldNotBeNull().DecodeTo(content);
        return content.ToArray();
    }

    private static EmailMessage Message() => new(
        "out-1@helpdesk",
        new EmailAddress("support@helpdesk.test", "Support"),
        [new EmailAddress("alice@contoso.com", "Alice")],
        [],
        "Printer",
        "Hello, café",
        "<p>Hello, café <img src=\"cid:logo@helpdesk\"></p>");
}
