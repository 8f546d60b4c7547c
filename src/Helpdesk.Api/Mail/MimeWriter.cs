using System.Security.Cryptography;
using System.Text;
using MimeKit;

namespace Helpdesk.Api.Mail;

/// <summary>
/// An <see cref="EmailMessage"/> as a MIME message, built with MimeKit: text and HTML as
/// multipart/alternative; with inline images, the HTML and its images as multipart/related; with
/// attachments, everything inside multipart/mixed. Bodies are base64 so line folding never splits
/// the reply token; header text and file names are encoded by MimeKit (RFC 2047 words, RFC 2231
/// parameters). Boundaries derive from the Message-ID, so the same message renders the same bytes.
/// </summary>
public static class MimeWriter
{
    /// <summary>CRLF line ends whatever the platform; file names as RFC 2047 words, which Outlook reads (it ignores RFC 2231 in some versions).</summary>
    public static FormatOptions Format { get; } = CreateFormat();

    /// <summary>The message as MimeKit's <see cref="MimeMessage"/>, for the SMTP client.</summary>
    public static MimeMessage Build(EmailMessage message, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(message);
        var mime = new MimeMessage
        {
            MessageId = Bare(message.MessageId),
            Date = now.ToUniversalTime(),
            Subject = message.Subject,
        };
        mime.From.Add(Address(message.From));
        mime.To.AddRange(message.To.Select(Address));
        mime.Cc.AddRange(message.Cc.Select(Address));
        if (message.InReplyTo is not null)
        {
            mime.InReplyTo = Bare(message.InReplyTo);
        }

        foreach (var reference in message.References ?? [])
        {
            mime.References.Add(Bare(reference));
        }

        foreach (var (name, value) in message.Headers ?? new Dictionary<string, string>())
        {
            mime.Headers.Add(name, value);
        }

        var boundary = Boundary(message.MessageId);
        var files = message.Attachments ?? [];
        var html = Text("html", message.HtmlBody);
        var inline = files.Where(f => f.ContentId is not null).ToList();
        MimeEntity htmlWithImages = inline.Count == 0
            ? html
            : Multipart("related", boundary + "-r", [html, .. inline.Select(f => File(f, ContentDisposition.Inline))]);
        var alternative = Multipart("alternative", boundary + "-a", [Text("plain", message.TextBody), htmlWithImages]);
        var attached = files.Where(f => f.ContentId is null).ToList();
        mime.Body = attached.Count == 0
            ? alternative
            : Multipart("mixed", boundary + "-m", [alternative, .. attached.Select(f => File(f, ContentDisposition.Attachment))]);
        return mime;
    }

    /// <summary>The message as RFC 5322 text (an .eml file, a Graph MIME draft).</summary>
    public static string Render(EmailMessage message, DateTimeOffset now)
    {
        using var buffer = new MemoryStream();
        Build(message, now).WriteTo(Format, buffer);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static FormatOptions CreateFormat()
    {
        var format = FormatOptions.Default.Clone();
        format.NewLineFormat = NewLineFormat.Dos;
        format.ParameterEncodingMethod = ParameterEncodingMethod.Rfc2047;
        return format;
    }

    private static TextPart Text(string subtype, string body)
    {
        var part = new TextPart(subtype) { ContentTransferEncoding = ContentEncoding.Base64 };
        part.SetText(Encoding.UTF8, body);
        return part;
    }

    private static MimePart File(EmailAttachment file, string disposition) => new(ContentType.TryParse(file.ContentType, out var type) ? type : new ContentType("application", "octet-stream"))
    {
        Content = new MimeContent(new MemoryStream(file.Content)),
        ContentDisposition = new ContentDisposition(disposition),
        ContentTransferEncoding = ContentEncoding.Base64,
        FileName = file.FileName,
        ContentId = file.ContentId is { } id ? Bare(id) : null,
    };

    private static Multipart Multipart(string subtype, string boundary, IEnumerable<MimeEntity> parts)
    {
        var multipart = new Multipart(subtype) { Boundary = boundary };
        if (subtype == "related")
        {
            multipart.ContentType.Parameters.Add("type", "text/html");
        }

        foreach (var part in parts)
        {
            multipart.Add(part);
        }

        return multipart;
    }

    private static MailboxAddress Address(EmailAddress address) => new(address.Name ?? string.Empty, address.Address);

    private static string Boundary(string messageId) =>
        "=_helpdesk_" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(messageId)))[..24];

    private static string Bare(string id) => id.Trim().TrimStart('<').TrimEnd('>');
}
