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

        var mime = MimeKit.MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(eml)));
        eml.ShouldContain("Subject: =?utf-8?");
        mime.MessageId.ShouldBe("ntf-3@helpdesk");
        mime.Subject.ShouldBe("Réponse à votre demande");
        mime.InReplyTo.ShouldBe("m-0@contoso.com");
        mime.References.ShouldBe(["m-0@contoso.com"]);
        mime.Cc.Mailboxes.Select(m => (m.Name, m.Address)).ShouldBe([("Bob", "bob@contoso.com")]);
        mime.Headers["Auto-Submitted"].ShouldBe("auto-generated");
        mime.Body.ShouldNotBeNull().ContentType.MimeType.ShouldBe("multipart/alternative");
        mime.Date.ShouldBe(new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero));
        eml.Split("\r\n").ShouldAllBe(line => !line.Contains('\n'));
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
