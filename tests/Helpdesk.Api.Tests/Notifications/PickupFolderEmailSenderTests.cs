using System.Text;
using Helpdesk.Api.Mail;
using Helpdesk.Api.Storage;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Tests.Notifications;

public sealed class PickupFolderEmailSenderTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "helpdesk-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (System.IO.Directory.Exists(_folder))
        {
            System.IO.Directory.Delete(_folder, recursive: true);
        }
    }

    [Fact]
    public async Task Sending_the_same_message_twice_leaves_one_file()
    {
        var sender = new PickupFolderEmailSender(Options.Create(new StorageOptions { DataFolder = _folder }), TimeProvider.System);

        await sender.SendAsync(Message("ntf-1@helpdesk", "Printer jams"), CancellationToken.None);
        await sender.SendAsync(Message("ntf-1@helpdesk", "Printer jams"), CancellationToken.None);
        await sender.SendAsync(Message("ntf-2@helpdesk", "Printer jams"), CancellationToken.None);

        System.IO.Directory.GetFiles(sender.Folder, "*.eml").Length.ShouldBe(2);
    }

    [Fact]
    public void A_message_renders_as_mime_with_encoded_non_ascii_headers_and_threading()
    {
        var message = Message("ntf-3@helpdesk", "Réponse à votre demande") with { InReplyTo = "m-0@contoso.com", References = ["m-0@contoso.com"], Cc = [new EmailAddress("bob@contoso.com", "Bob")] };

        var eml = MimeWriter.Render(message, new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero));

        eml.ShouldContain("Message-ID: <ntf-3@helpdesk>\r\n");
        eml.ShouldContain("Subject: =?utf-8?B?" + Convert.ToBase64String(Encoding.UTF8.GetBytes("Réponse à votre demande")) + "?=\r\n");
        eml.ShouldContain("In-Reply-To: <m-0@contoso.com>\r\n");
        eml.ShouldContain("Cc: Bob <bob@contoso.com>\r\n");
        eml.ShouldContain("Auto-Submitted: auto-generated\r\n");
        eml.ShouldContain("Content-Type: multipart/alternative;");
        eml.ShouldContain("Date: Mon, 02 Mar 2026 09:00:00 +0000\r\n");
    }

    private static EmailMessage Message(string id, string subject) => new(
        id,
        new EmailAddress("helpdesk@contoso.com", "Helpdesk"),
        [new EmailAddress("alice@contoso.com")],
        [],
        subject,
        "Hello",
        "<p>Hello</p>",
        Headers: new Dictionary<string, string> { ["Auto-Submitted"] = "auto-generated" });
}
