using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Mail;

/// <summary>
/// Sends email from the support mailbox through Microsoft Graph, exactly once across crashes: every
/// mail leaves through a draft whose immutable id is recorded (<see cref="SendHandoff"/>) before
/// the draft is sent, so the next attempt asks Graph whether that draft went out instead of sending
/// again. A public reply on a ticket that began with a customer's mail is a <c>createReply</c>
/// draft of that mail, so Outlook keeps one conversation, and the draft's Message-ID is recorded
/// so the answer threads by In-Reply-To; every other mail is a draft made from MIME (its files
/// added one by one past Graph's 4 MB per request), carrying our Message-ID, the threading
/// headers, the ticket number in the subject, <c>X-Helpdesk-Ticket</c>, <c>X-Loop</c>, the signed
/// reply token and, for automatic mail, <c>Auto-Submitted: auto-generated</c>.
/// </summary>
public sealed partial class GraphEmailSender(OutboundMail outbound, GraphMailbox graph, IOptions<MailOptions> options, TimeProvider clock, ILogger<GraphEmailSender> logger)
{
    /// <summary>
    /// Sends the mail as a new draft and returns the Message-ID it left with. <paramref name="record"/>
    /// stores each <see cref="SendHandoff"/> with the queued mail before the next step; a half-built
    /// draft of an earlier attempt (<paramref name="previous"/>) is deleted first.
    /// </summary>
    public async Task<string> SendAsync(EmailMessage message, SendHandoff? previous, Func<SendHandoff, CancellationToken, Task> record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(record);
        if (previous is not null)
        {
            await graph.DeleteDraftAsync(MailboxOf(previous), previous.DraftId, cancellationToken);
            LogHalfBuiltDraftDeleted(logger, message.MessageId, previous.DraftId);
        }

        var prepared = await outbound.PrepareAsync(message, cancellationToken);
        var mailbox = prepared.Mailbox ?? throw new InvalidOperationException("No support mailbox is configured to send from.");
        var email = prepared.Email;
        if (prepared.ReplyToGraphId is { } original)
        {
            if (await graph.CreateReplyDraftAsync(mailbox, original, email, cancellationToken) is { } reply)
            {
                var building = new SendHandoff(mailbox.Id, reply.Id, reply.InternetMessageId, Ready: false, clock.GetUtcNow());
                await record(building, cancellationToken);
                await graph.CompleteReplyDraftAsync(mailbox, reply.Id, email, cancellationToken);
                await SendDraftAsync(email, building with { Ready = true, At = clock.GetUtcNow() }, record, cancellationToken);
                LogReplied(logger, message.MessageId, original);
                return reply.InternetMessageId;
            }

            LogOriginalGone(logger, original);
        }

        var files = email.Attachments ?? [];
        var large = files.Sum(f => (long)f.Content.Length) > GraphMailbox.MaxInlineAttachmentBytes;
        var draft = await graph.CreateMimeDraftAsync(mailbox, MimeWriter.Render(large ? email with { Attachments = [] } : email, clock.GetUtcNow()), cancellationToken);
        var handoff = new SendHandoff(mailbox.Id, draft.Id, draft.InternetMessageId, Ready: !large, clock.GetUtcNow());
        if (large)
        {
            // Past Graph's 4 MB per request: the files are added to the draft one by one.
            await record(handoff, cancellationToken);
            await graph.AddFilesAsync(mailbox, draft.Id, files, cancellationToken);
            handoff = handoff with { Ready = true, At = clock.GetUtcNow() };
        }

        await SendDraftAsync(email, handoff, record, cancellationToken);
        LogSent(logger, message.MessageId, mailbox.Id);
        return draft.InternetMessageId;
    }

    /// <summary>
    /// Finishes an attempt that stopped once its draft was complete: sends the draft if Graph still
    /// holds it unsent, else it went out. Returns the Message-ID it left with.
    /// </summary>
    public async Task<string> ResumeAsync(SendHandoff handoff, EmailMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handoff);
        ArgumentNullException.ThrowIfNull(message);
        var mailbox = MailboxOf(handoff);
        var unsent = await graph.IsUnsentDraftAsync(mailbox, handoff.DraftId, cancellationToken);
        if (unsent)
        {
            await graph.SendDraftAsync(mailbox, handoff.DraftId, cancellationToken);
        }

        await outbound.RecordSentAsync(message, mailbox.Id, handoff.SentAs, clock.GetUtcNow(), cancellationToken);
        LogResumed(logger, message.MessageId, handoff.DraftId, unsent ? "sent now" : "had gone out");
        return handoff.SentAs;
    }

    private async Task SendDraftAsync(EmailMessage email, SendHandoff ready, Func<SendHandoff, CancellationToken, Task> record, CancellationToken cancellationToken)
    {
        var mailbox = MailboxOf(ready);
        await record(ready, cancellationToken);
        await graph.SendDraftAsync(mailbox, ready.DraftId, cancellationToken);
        Common.CrashPoints.Reach(Common.CrashPoints.MailSentBeforeRecorded);
        await outbound.RecordSentAsync(email, mailbox.Id, ready.SentAs, clock.GetUtcNow(), cancellationToken);
    }

    private SupportMailbox MailboxOf(SendHandoff handoff) =>
        options.Value.Find(handoff.Mailbox) ?? throw new InvalidOperationException($"Mailbox {handoff.Mailbox}, which holds the draft of an earlier attempt, is no longer configured.");

    [LoggerMessage(Level = LogLevel.Information, Message = "Mail {MessageId} sent as a reply to Graph message {GraphId}")]
    private static partial void LogReplied(ILogger logger, string messageId, string graphId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Mail {MessageId} sent from {Mailbox}")]
    private static partial void LogSent(ILogger logger, string messageId, string mailbox);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The mail {GraphId} a reply answers is gone; sending a new mail instead")]
    private static partial void LogOriginalGone(ILogger logger, string graphId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Mail {MessageId}: an interrupted attempt left draft {DraftId} half-built; it is deleted and the mail built again")]
    private static partial void LogHalfBuiltDraftDeleted(ILogger logger, string messageId, string draftId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Mail {MessageId}: an interrupted attempt's draft {DraftId} {Outcome}")]
    private static partial void LogResumed(ILogger logger, string messageId, string draftId, string outcome);
}
