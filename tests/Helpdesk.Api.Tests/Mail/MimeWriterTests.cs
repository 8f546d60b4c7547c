using System.Text;
using Helpdesk.Api.Mail;
using Helpdesk.Api.Tests.Infrastructure.FakeGraph;

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

        var mime = FakeMime.Parse(MimeWriter.Render(message, Now));

        mime.Header("Content-Type")!.ShouldStartWith("multipart/mixed;");
        mime.Parts.Select(p => p.ContentType.Split(';')[0]).ShouldBe(["text/plain", "text/html", "image/png", "application/pdf"]);
        mime.Parts[0].Text.ShouldBe("Hello, café");
        mime.Parts[1].Text.ShouldBe("<p>Hello, café <img src=\"cid:logo@helpdesk\"></p>");
        mime.Parts[2].ContentId.ShouldBe("<logo@helpdesk>");
        mime.Parts[2].Content.ShouldBe(png);
        mime.Parts[3].FileName.ShouldBe("=?utf-8?B?" + Convert.ToBase64String(Encoding.UTF8.GetBytes("facture été.pdf")) + "?=");
        mime.Parts[3].Content.ShouldBe(pdf);
    }

    [Fact]
    public void A_message_without_files_is_a_plain_alternative_and_renders_the_same_bytes_every_time()
    {
        var first = MimeWriter.Render(Message(), Now);

        FakeMime.Parse(first).Header("Content-Type")!.ShouldStartWith("multipart/alternative;");
        MimeWriter.Render(Message(), Now).ShouldBe(first);
        first.Split("\r\n").ShouldAllBe(line => line.Length <= 998);
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
