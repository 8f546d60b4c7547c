using Helpdesk.Domain.Directory;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Mail;

/// <summary>One queued email, claimed for a send attempt, with how far the last attempt got (null: none got to Graph).</summary>
public sealed record QueuedMail(long Seq, string Mailbox, string? CoalesceKey, int Attempts, EmailMessage Email, SendHandoff? Handoff = null);

/// <summary>
/// How far an attempt to send a queued mail got, recorded on its rows before the step that could
/// deliver it: the Graph draft it built in <see cref="Mailbox"/> (recorded when created, then
/// <see cref="Ready"/> once complete, just before its send) and the Message-ID it leaves with.
/// The next attempt of those rows reads it to learn whether the mail went out (docs/adr/0006).
/// </summary>
public sealed record SendHandoff(string Mailbox, string DraftId, string SentAs, bool Ready, DateTimeOffset At);

/// <summary>
/// The email channel's outbound queue: with a support mailbox configured, this is the
/// <see cref="IEmailSender"/> the app uses. Handing a mail over stores it (once per Message-ID)
/// in the <see cref="IOutboundMailStore"/>, so a crash loses nothing; the <see cref="SendMail"/>
/// job sends it, paced to Graph's limits. A mail about a ticket waits a short window first:
/// updates to the same recipients on the same ticket arriving meanwhile go out as one message.
/// </summary>
public sealed class OutboundMailQueue(IOutboundMailStore store, OutboundMail outbound, IOptions<MailOptions> options, TimeProvider clock) : IEmailSender
{
    public const string Pending = "pending";
    public const string Sent = "sent";
    public const string Merged = "merged";
    public const string Dead = "dead";

    public async Task SendAsync(EmailMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var now = clock.GetUtcNow();
        var mailbox = await outbound.MailboxForAsync(message, cancellationToken);
        var key = CoalesceKey(message);

        // The send, minutes later in another run, continues the trace of the work that queued the mail.
        message = message with { TraceParent = message.TraceParent ?? Common.Telemetry.CurrentTraceParent() };
        await store.EnqueueAsync(message, mailbox, key, key is null ? now : now.AddSeconds(options.Value.Outbound.CoalesceSeconds), now, cancellationToken);
    }

    /// <summary>
    /// Mail about a ticket coalesces with other mail to the same recipients on that ticket; other
    /// mail never does, nor a private message's mail (it leaves as itself, under its own Message-ID).
    /// </summary>
    public static string? CoalesceKey(EmailMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return message.TicketId is null || OutboundMail.IsPrivate(message)
            ? null
            : message.TicketId + "\n" + string.Join(',', message.To.Concat(message.Cc).Select(a => EmailAddresses.Normalize(a.Address)).Order(StringComparer.Ordinal));
    }
}
