using System.Globalization;
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
/// notification as automatic so no mailbox loops on it).
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
    IReadOnlyDictionary<string, string>? Headers = null);

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
        await File.WriteAllTextAsync(temporary, Render(message, clock.GetUtcNow()), new UTF8Encoding(false), cancellationToken);
        File.Move(temporary, target, overwrite: true);
    }

    /// <summary>A multipart/alternative message (plain text and HTML), headers encoded for non-ASCII.</summary>
    public static string Render(EmailMessage message, DateTimeOffset now)
    {
        var boundary = "=_helpdesk_" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(message.MessageId)))[..24];
        var mail = new StringBuilder();
        void Header(string name, string value) => mail.Append(name).Append(": ").Append(value).Append("\r\n");

        Header("Message-ID", Angle(message.MessageId));
        Header("Date", now.ToString("ddd, dd MMM yyyy HH:mm:ss +0000", CultureInfo.InvariantCulture));
        Header("From", Encode(message.From));
        Header("To", string.Join(", ", message.To.Select(Encode)));
        if (message.Cc.Count > 0)
        {
            Header("Cc", string.Join(", ", message.Cc.Select(Encode)));
        }

        Header("Subject", EncodeWord(message.Subject));
        if (message.InReplyTo is not null)
        {
            Header("In-Reply-To", Angle(message.InReplyTo));
        }

        if (message.References is { Count: > 0 } references)
        {
            Header("References", string.Join(' ', references.Select(Angle)));
        }

        foreach (var (name, value) in message.Headers ?? new Dictionary<string, string>())
        {
            Header(name, EncodeWord(value));
        }

        Header("MIME-Version", "1.0");
        Header("Content-Type", $"multipart/alternative; boundary=\"{boundary}\"");
        mail.Append("\r\n");
        Part(mail, boundary, "text/plain", message.TextBody);
        Part(mail, boundary, "text/html", message.HtmlBody);
        mail.Append("--").Append(boundary).Append("--\r\n");
        return mail.ToString();
    }

    private static void Part(StringBuilder mail, string boundary, string type, string body)
    {
        mail.Append("--").Append(boundary).Append("\r\n")
            .Append("Content-Type: ").Append(type).Append("; charset=utf-8\r\n")
            .Append("Content-Transfer-Encoding: base64\r\n\r\n");
        var encoded = Convert.ToBase64String(Encoding.UTF8.GetBytes(body));
        for (var i = 0; i < encoded.Length; i += 76)
        {
            mail.Append(encoded, i, Math.Min(76, encoded.Length - i)).Append("\r\n");
        }
    }

    private static string Angle(string id) => id.StartsWith('<') ? id : $"<{id}>";

    private static string Encode(EmailAddress address) =>
        string.IsNullOrWhiteSpace(address.Name) ? address.Address : $"{EncodeWord(address.Name)} <{address.Address}>";

    /// <summary>RFC 2047 encoded-word for anything that is not plain printable ASCII.</summary>
    private static string EncodeWord(string text) =>
        text.All(c => c is >= ' ' and <= '~')
            ? text
            : "=?utf-8?B?" + Convert.ToBase64String(Encoding.UTF8.GetBytes(text.ReplaceLineEndings(" "))) + "?=";
}
