using Helpdesk.Api.Common;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Mail;

/// <summary>Where the SMTP sender delivers (configuration section <c>Mail:Smtp</c>), e.g. a local maildev.</summary>
public sealed class SmtpOptions
{
    /// <summary>Empty: no SMTP sender (the pickup folder is used, or Graph when a mailbox is configured).</summary>
    public string? Host { get; set; }

    public int Port { get; set; } = 25;

    /// <summary>TLS required: implicit TLS on port 465, STARTTLS on any other port. Off: STARTTLS when the server offers it.</summary>
    public bool EnableSsl { get; set; }

    /// <summary>Set: log in with it and <see cref="Password"/> (SASL, the strongest mechanism both sides know). Empty: no login.</summary>
    public string? UserName { get; set; }

    public string? Password { get; set; }
}

/// <summary>
/// Sends through an SMTP server with MailKit: a local development server such as maildev shows
/// the mails in a browser without any mailbox. The mail is the one every other path sends
/// (<see cref="MimeWriter"/>): Message-ID, threading headers, the signed reply token, X-Loop, the
/// files of a public reply.
/// </summary>
public sealed class SmtpEmailSender(OutboundMail outbound, IOptions<MailOptions> options, TimeProvider clock) : IEmailSender
{
    public async Task SendAsync(EmailMessage message, CancellationToken cancellationToken)
    {
        var prepared = await outbound.PrepareAsync(message, cancellationToken);
        var email = prepared.Email;
        var smtp = options.Value.Smtp;
        using var span = Telemetry.Start("smtp.send", System.Diagnostics.ActivityKind.Client);
        span?.SetTag("server.address", smtp.Host);
        span?.SetTag("server.port", smtp.Port);
        span?.SetTag(TelemetryTags.TicketId, email.TicketId);
        using var client = new SmtpClient();
        var security = smtp.EnableSsl
            ? smtp.Port == 465 ? SecureSocketOptions.SslOnConnect : SecureSocketOptions.StartTls
            : SecureSocketOptions.StartTlsWhenAvailable;
        try
        {
            await client.ConnectAsync(smtp.Host ?? throw new InvalidOperationException("Mail:Smtp:Host is not set."), smtp.Port, security, cancellationToken);
            if (!string.IsNullOrEmpty(smtp.UserName))
            {
                await client.AuthenticateAsync(smtp.UserName, smtp.Password ?? string.Empty, cancellationToken);
            }

            await client.SendAsync(MimeWriter.Format, MimeWriter.Build(email, clock.GetUtcNow()), cancellationToken);
            await client.DisconnectAsync(quit: true, cancellationToken);
        }
        catch (Exception e)
        {
            span.Failed(e);
            throw;
        }

        await outbound.RecordSentAsync(email, prepared.Mailbox?.Id ?? email.From.Address, email.MessageId, clock.GetUtcNow(), cancellationToken);
    }
}
