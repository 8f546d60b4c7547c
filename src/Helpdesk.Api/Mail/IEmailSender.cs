using System.Text;
using Helpdesk.Api.Storage;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Mail;

public sealed record EmailAddress(string Address, string? Name = null);

/// <summary>
/// One outgoing email. <see cref="MessageId"/> is stable for a given notification (derived from
/// the event it tells about), so a send repeated after a crash carries the same id and the
/// receiving side can drop it. <see cref="TicketId"/>, <see cref="InReplyTo"/> and
/// <see cref="References"/> let a sender thread the mail with the ticket's conversation; extra
/// <see cref="Headers"/> start with <c>X-</c> (plus <c>Auto-Submitted</c>, which marks every
/// notification as automatic so no mailbox loops on it). A public reply names its
/// <see cref="ConversationMessageId"/>: the email channel sends it as an answer to the customer's
/// mail and adds the files of that message as <see cref="Attachments"/>. <see cref="Frame"/> is
/// the header and footer the bodies are framed with, so mails merged into one show them once.
/// <see cref="TraceParent"/> is the trace of the work that queued it (never rendered in the mail).
/// </summary>
public sealed record EmailMessage(
    string MessageId,
    EmailAddress From,
    IReadOnlyList<EmailAddress> To,
    IReadOnlyList<EmailAddress> Cc,
    string Subject,
    string TextBody,
    string HtmlBody,
    string? TicketId = null,
    string? InReplyTo = null,
    IReadOnlyList<string>? References = null,
    IReadOnlyDictionary<string, string>? Headers = null,
    string? ConversationMessageId = null,
    IReadOnlyList<EmailAttachment>? Attachments = null,
    EmailFrame? Frame = null,
    string? TraceParent = null);

/// <summary>
/// The exact text put before and after the content of each body: the settings' header and footer
/// (<see cref="HtmlHeader"/> and <see cref="HtmlFooter"/> inside the HTML part's body element).
/// </summary>
public sealed record EmailFrame(string TextHeader, string TextFooter, string HtmlHeader, string HtmlFooter)
{
    /// <summary>The text body without this frame (unchanged when it does not carry it).</summary>
    public string Unframe(string text) => Strip(text, TextHeader, TextFooter);

    /// <summary>The content of an HTML body element without this frame (unchanged when it does not carry it).</summary>
    public string UnframeHtml(string inner) => Strip(inner, HtmlHeader, HtmlFooter);

    private static string Strip(string body, string header, string footer)
    {
        var start = header.Length > 0 && body.StartsWith(header, StringComparison.Ordinal) ? header.Length : 0;
        var end = footer.Length > 0 && body.EndsWith(footer, StringComparison.Ordinal) && body.Length - footer.Length >= start ? body.Length - footer.Length : body.Length;
        return body[start..end];
    }
}

/// <summary>
/// A file carried by an email. An inline one (<see cref="ContentId"/> set) is an image the HTML
/// body shows through <c>cid:</c>; the others are attachments.
/// </summary>
public sealed record EmailAttachment(string FileName, string ContentType, byte[] Content, string? ContentId = null);

/// <summary>
/// Sends email. Standalone the app writes .eml files to a pickup folder
/// (<see cref="PickupFolderEmailSender"/>); with a mailbox configured, the email channel sends
/// through Microsoft Graph. Throws when the mail could not be handed over, so the caller retries.
/// </summary>
public interface IEmailSender
{
    Task SendAsync(EmailMessage message, CancellationToken cancellationToken);
}

/// <summary>
/// Writes each message as an RFC 5322 .eml file to <c>{DataFolder}/mail/pickup</c>, named by its
/// Message-ID: sending the same message twice leaves one file. An SMTP server's pickup
/// directory, a mail client or a test can read them from there.
/// </summary>
public sealed class PickupFolderEmailSender(IOptions<StorageOptions> storage, TimeProvider clock) : IEmailSender
{
    public string Folder => Path.Combine(storage.Value.ResolvedDataFolder, "mail", "pickup");

    public async Task SendAsync(EmailMessage message, CancellationToken cancellationToken)
    {
        System.IO.Directory.CreateDirectory(Folder);
        var name = string.Concat(message.MessageId.Trim('<', '>').Select(c => char.IsLetterOrDigit(c) || c is '-' or '.' or '_' ? c : '_')) + ".eml";
        var target = Path.Combine(Folder, name);
        var temporary = target + ".tmp";
        await File.WriteAllTextAsync(temporary, MimeWriter.Render(message, clock.GetUtcNow()), new UTF8Encoding(false), cancellationToken);
        File.Move(temporary, target, overwrite: true);
    }
}
