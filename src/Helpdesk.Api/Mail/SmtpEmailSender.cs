using System.Net.Mail;
using System.Net.Mime;
using System.Text;
using Helpdesk.Api.Common;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Mail;

/// <summary>Where the SMTP sender delivers (configuration section <c>Mail:Smtp</c>), e.g. a local maildev.</summary>
public sealed class SmtpOptions
{
    /// <summary>Empty: no SMTP sender (the pickup folder is used, or Graph when a mailbox is configured).</summary>
    public string? Host { get; set; }

    public int Port { get; set; } = 25;

    public bool EnableSsl { get; set; }
}

/// <summary>
/// Sends through an SMTP server with System.Net.Mail: a local development server such as maildev
/// shows the mails in a browser without any mailbox. The mail carries what Graph mail carries
/// (Message-ID, threading headers, the signed reply token, X-Loop, the files of a public reply);
/// bodies and files are base64 so the reply token is never split by line folding.
/// </summary>
public sealed class SmtpEmailSender(OutboundMail outbound, IOptions<MailOptions> options, TimeProvider clock) : IEmailSender
{
    public async Task SendAsync(EmailMessage message, CancellationToken cancellationToken)
    {
        var prepared = await outbound.PrepareAsync(message, cancellationToken);
        var email = prepared.Email;
        using var mail = new MailMessage { From = Address(email.From), Subject = email.Subject, SubjectEncoding = Encoding.UTF8, HeadersEncoding = Encoding.UTF8 };
        email.To.ToList().ForEach(a => mail.To.Add(Address(a)));
        email.Cc.ToList().ForEach(a => mail.CC.Add(Address(a)));
        mail.Headers.Add("Message-ID", Angle(email.MessageId));
        if (email.InReplyTo is { } inReplyTo)
        {
            mail.Headers.Add("In-Reply-To", Angle(inReplyTo));
        }

        if (email.References is { Count: > 0 } references)
        {
            mail.Headers.Add("References", string.Join(' ', references.Select(Angle)));
        }

        foreach (var (name, value) in email.Headers ?? new Dictionary<string, string>())
        {
            mail.Headers.Add(name, value);
        }

        var text = AlternateView.CreateAlternateViewFromString(email.TextBody, Encoding.UTF8, MediaTypeNames.Text.Plain);
        text.TransferEncoding = TransferEncoding.Base64;
        var html = AlternateView.CreateAlternateViewFromString(email.HtmlBody, Encoding.UTF8, MediaTypeNames.Text.Html);
        html.TransferEncoding = TransferEncoding.Base64;
        foreach (var file in (email.Attachments ?? []).Where(f => f.ContentId is not null))
        {
            html.LinkedResources.Add(new LinkedResource(new MemoryStream(file.Content), file.ContentType) { ContentId = file.ContentId, TransferEncoding = TransferEncoding.Base64 });
        }

        mail.AlternateViews.Add(text);
        mail.AlternateViews.Add(html);
        foreach (var file in (email.Attachments ?? []).Where(f => f.ContentId is null))
        {
            mail.Attachments.Add(new System.Net.Mail.Attachment(new MemoryStream(file.Content), file.FileName, file.ContentType));
        }

        var smtp = options.Value.Smtp;
        using var span = Telemetry.Start("smtp.send", System.Diagnostics.ActivityKind.Client);
        span?.SetTag("server.address", smtp.Host);
        span?.SetTag("server.port", smtp.Port);
        span?.SetTag(TelemetryTags.TicketId, email.TicketId);
        using var client = new SmtpClient(smtp.Host, smtp.Port) { EnableSsl = smtp.EnableSsl, DeliveryMethod = SmtpDeliveryMethod.Network };
        try
        {
            await client.SendMailAsync(mail, cancellationToken);
        }
        catch (Exception e)
        {
            span.Failed(e);
            throw;
        }

        await outbound.RecordSentAsync(email, prepared.Mailbox?.Id ?? email.From.Address, email.MessageId, clock.GetUtcNow(), cancellationToken);
    }

    private static MailAddress Address(EmailAddress address) => new(address.Address, address.Name, Encoding.UTF8);

    private static string Angle(string id) => id.StartsWith('<') ? id : $"<{id}>";
}
