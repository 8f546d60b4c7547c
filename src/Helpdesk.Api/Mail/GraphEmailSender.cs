namespace Helpdesk.Api.Mail;

/// <summary>
/// Sends email from the support mailbox through Microsoft Graph. A public reply on a ticket that
/// began with a customer's mail answers that mail through a <c>createReply</c> draft that is then
/// sent, so Outlook keeps one conversation, and the draft's Message-ID is recorded so the answer
/// threads by In-Reply-To; every other mail goes through <c>sendMail</c> as MIME (as a MIME draft
/// plus its files when they pass Graph's 4 MB per request), carrying our
/// Message-ID (recorded, so the answer threads by In-Reply-To), the threading headers, the
/// ticket number in the subject, <c>X-Helpdesk-Ticket</c>, <c>X-Loop</c>, the signed reply token
/// and, for automatic mail, <c>Auto-Submitted: auto-generated</c>.
/// </summary>
public sealed partial class GraphEmailSender(OutboundMail outbound, GraphMailbox graph, TimeProvider clock, ILogger<GraphEmailSender> logger) : IEmailSender
{
    public async Task SendAsync(EmailMessage message, CancellationToken cancellationToken)
    {
        var prepared = await outbound.PrepareAsync(message, cancellationToken);
        var mailbox = prepared.Mailbox ?? throw new InvalidOperationException("No support mailbox is configured to send from.");
        if (prepared.ReplyToGraphId is { } original)
        {
            if (await graph.ReplyAsync(mailbox, original, prepared.Email, cancellationToken) is { } sentAs)
            {
                await outbound.RecordSentAsync(prepared, clock.GetUtcNow(), cancellationToken, sentAs);
                LogReplied(logger, message.MessageId, original);
                return;
            }

            LogOriginalGone(logger, original);
        }

        var files = prepared.Email.Attachments ?? [];
        if (files.Sum(f => (long)f.Content.Length) > GraphMailbox.MaxInlineAttachmentBytes)
        {
            // Past Graph's 4 MB per request: a draft from the MIME, its files added one by one.
            await graph.SendMimeWithFilesAsync(mailbox, MimeWriter.Render(prepared.Email with { Attachments = [] }, clock.GetUtcNow()), files, cancellationToken);
        }
        else
        {
            await graph.SendMimeAsync(mailbox, MimeWriter.Render(prepared.Email, clock.GetUtcNow()), cancellationToken);
        }

        await outbound.RecordSentAsync(prepared, clock.GetUtcNow(), cancellationToken);
        LogSent(logger, message.MessageId, mailbox.Id);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Mail {MessageId} sent as a reply to Graph message {GraphId}")]
    private static partial void LogReplied(ILogger logger, string messageId, string graphId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Mail {MessageId} sent from {Mailbox}")]
    private static partial void LogSent(ILogger logger, string messageId, string mailbox);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The mail {GraphId} a reply answers is gone; sending a new mail instead")]
    private static partial void LogOriginalGone(ILogger logger, string graphId);
}
