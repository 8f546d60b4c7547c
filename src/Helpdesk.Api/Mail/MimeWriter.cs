using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Helpdesk.Api.Mail;

/// <summary>
/// Writes an <see cref="EmailMessage"/> as an RFC 5322 / MIME message: text and HTML as
/// multipart/alternative; with inline images, the HTML and its images as multipart/related; with
/// attachments, everything inside multipart/mixed. Bodies and files are base64 (lines of 76),
/// non-ASCII header text is an RFC 2047 encoded word, boundaries derive from the Message-ID so the
/// same message always renders the same bytes.
/// </summary>
public static class MimeWriter
{
    public static string Render(EmailMessage message, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(message);
        var mail = new StringBuilder();
        void Header(string name, string value) => mail.Append(name).Append(": ").Append(value).Append("\r\n");

        Header("Message-ID", Angle(message.MessageId));
        Header("Date", now.ToUniversalTime().ToString("ddd, dd MMM yyyy HH:mm:ss +0000", CultureInfo.InvariantCulture));
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
        var boundary = Boundary(message.MessageId);
        var files = message.Attachments ?? [];
        var inline = files.Where(f => f.ContentId is not null).ToList();
        var attached = files.Where(f => f.ContentId is null).ToList();

        if (attached.Count == 0)
        {
            Alternative(mail, message, inline, boundary);
            return mail.ToString();
        }

        mail.Append("Content-Type: multipart/mixed; boundary=\"").Append(boundary).Append("-m\"\r\n\r\n");
        mail.Append("--").Append(boundary).Append("-m\r\n");
        Alternative(mail, message, inline, boundary);
        foreach (var file in attached)
        {
            mail.Append("--").Append(boundary).Append("-m\r\n");
            File(mail, file, "attachment");
        }

        mail.Append("--").Append(boundary).Append("-m--\r\n");
        return mail.ToString();
    }

    /// <summary>The text and HTML bodies (the HTML with its inline images), starting with this part's own Content-Type.</summary>
    private static void Alternative(StringBuilder mail, EmailMessage message, List<EmailAttachment> inline, string boundary)
    {
        mail.Append("Content-Type: multipart/alternative; boundary=\"").Append(boundary).Append("-a\"\r\n\r\n");
        mail.Append("--").Append(boundary).Append("-a\r\n");
        Text(mail, "text/plain", message.TextBody);
        mail.Append("--").Append(boundary).Append("-a\r\n");
        if (inline.Count == 0)
        {
            Text(mail, "text/html", message.HtmlBody);
        }
        else
        {
            mail.Append("Content-Type: multipart/related; type=\"text/html\"; boundary=\"").Append(boundary).Append("-r\"\r\n\r\n");
            mail.Append("--").Append(boundary).Append("-r\r\n");
            Text(mail, "text/html", message.HtmlBody);
            foreach (var image in inline)
            {
                mail.Append("--").Append(boundary).Append("-r\r\n");
                File(mail, image, "inline");
            }

            mail.Append("--").Append(boundary).Append("-r--\r\n");
        }

        mail.Append("--").Append(boundary).Append("-a--\r\n");
    }

    private static void Text(StringBuilder mail, string type, string body)
    {
        mail.Append("Content-Type: ").Append(type).Append("; charset=utf-8\r\n")
            .Append("Content-Transfer-Encoding: base64\r\n\r\n");
        Base64(mail, Encoding.UTF8.GetBytes(body));
    }

    private static void File(StringBuilder mail, EmailAttachment file, string disposition)
    {
        var name = Quoted(EncodeWord(file.FileName));
        mail.Append("Content-Type: ").Append(file.ContentType).Append("; name=").Append(name).Append("\r\n")
            .Append("Content-Disposition: ").Append(disposition).Append("; filename=").Append(name).Append("\r\n");
        if (file.ContentId is { } contentId)
        {
            mail.Append("Content-ID: ").Append(Angle(contentId)).Append("\r\n");
        }

        mail.Append("Content-Transfer-Encoding: base64\r\n\r\n");
        Base64(mail, file.Content);
    }

    private static void Base64(StringBuilder mail, byte[] content)
    {
        var encoded = Convert.ToBase64String(content);
        for (var i = 0; i < encoded.Length; i += 76)
        {
            mail.Append(encoded, i, Math.Min(76, encoded.Length - i)).Append("\r\n");
        }
    }

    private static string Boundary(string messageId) =>
        "=_helpdesk_" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(messageId)))[..24];

    private static string Angle(string id) => id.StartsWith('<') ? id : $"<{id}>";

    private static string Quoted(string value) => "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    private static string Encode(EmailAddress address) =>
        string.IsNullOrWhiteSpace(address.Name) ? address.Address : $"{EncodeWord(address.Name)} <{address.Address}>";

    /// <summary>RFC 2047 encoded-word for anything that is not plain printable ASCII.</summary>
    private static string EncodeWord(string text) =>
        text.All(c => c is >= ' ' and <= '~')
            ? text
            : "=?utf-8?B?" + Convert.ToBase64String(Encoding.UTF8.GetBytes(text.ReplaceLineEndings(" "))) + "?=";
}
