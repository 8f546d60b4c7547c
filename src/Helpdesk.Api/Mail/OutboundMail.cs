using System.Net;
using Helpdesk.Api.Attachments;
using Helpdesk.Api.Conversation;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Mail;

/// <summary>
/// An email made ready for the wire: the support mailbox it leaves from (null without Graph) and,
/// for a public reply to a ticket that began with a customer's mail, the Graph id of the latest
/// mail of that thread the reply answers through <c>/messages/{id}/reply</c>.
/// </summary>
public sealed record PreparedMail(EmailMessage Email, SupportMailbox? Mailbox, string? ReplyToGraphId);

/// <summary>
/// What the email channel adds to every outgoing mail of a ticket, whatever sends it: the signed
/// reply token (text and HTML), <c>X-Helpdesk-Ticket</c> and <c>X-Loop</c> headers, In-Reply-To the
/// last mail of the thread and References to the thread, and — for a public reply — the files of
/// the conversation message, inline images keeping their Content-ID. Private messages' mails
/// (<see cref="VisibilityHeader"/> <c>private</c>) thread among themselves: a private mail cites
/// only earlier private mails of the ticket, and no other mail cites, or answers through Graph, a
/// private one, so neither side learns of the other's thread (docs/adr/0013-private-messages.md).
/// </summary>
public sealed class OutboundMail(IMailThreadIds store, IConversationStore conversation, ReplyTokens tokens, IAttachmentIndex attachments, IAttachmentStore files, IOptions<MailOptions> options)
{
    /// <summary>References keep the first mail of the thread and the latest ones: enough for every client to thread.</summary>
    private const int MaxReferences = 20;

    public const string LoopHeader = "X-Loop";
    public const string TicketHeader = "X-Helpdesk-Ticket";

    /// <summary>Marks the mail of a private message (value <c>private</c>): it never coalesces and threads apart.</summary>
    public const string VisibilityHeader = "X-Helpdesk-Visibility";

    /// <summary>Whether the mail carries a private message.</summary>
    public static bool IsPrivate(EmailMessage email) =>
        email?.Headers is { } headers && headers.TryGetValue(VisibilityHeader, out var value) && value == "private";

    /// <summary>The mailbox a mail leaves from: the one of its ticket's thread, else the first configured.</summary>
    public async Task<string> MailboxForAsync(EmailMessage email, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(email);
        var thread = email.TicketId is null ? [] : await store.ThreadOfAsync(email.TicketId, cancellationToken);
        return MailboxOf(thread)?.Id ?? email.From.Address;
    }

    /// <summary>The mail with the files of the conversation message it carries (a public reply), read now.</summary>
    public async Task<EmailMessage> WithFilesAsync(EmailMessage email, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(email);
        return email is { Attachments: null, TicketId: { } ticketId, ConversationMessageId: { } messageId }
            ? email with { Attachments = await FilesOfAsync(ticketId, messageId, cancellationToken) }
            : email;
    }

    public async Task<PreparedMail> PrepareAsync(EmailMessage email, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(email);
        var thread = email.TicketId is null ? [] : await store.ThreadOfAsync(email.TicketId, cancellationToken);
        var mailbox = MailboxOf(thread);
        var from = mailbox is null ? email.From : new EmailAddress(mailbox.Address, email.From.Name);

        var headers = new Dictionary<string, string>(email.Headers ?? new Dictionary<string, string>(), StringComparer.OrdinalIgnoreCase)
        {
            [LoopHeader] = from.Address,
        };
        var prepared = email with { From = from, Headers = headers };
        if (email.TicketId is not { } ticketId)
        {
            return new PreparedMail(prepared, mailbox, null);
        }

        var token = await tokens.TokenAsync(ticketId, cancellationToken);
        var (unrecorded, privateIds) = await ConversationIdsAsync(ticketId, thread, cancellationToken);
        var isPrivate = IsPrivate(email);
        var ids = thread.Select(m => m.MessageId).Concat(unrecorded)
            .Where(id => !SameId(id, email.MessageId) && privateIds.Contains(Angle(id)) == isPrivate)
            .ToList();
        prepared = prepared with
        {
            TextBody = email.TextBody.TrimEnd() + "\r\n\r\n" + token + "\r\n",
            HtmlBody = WithToken(email.HtmlBody, token),
            InReplyTo = email.InReplyTo ?? (ids.Count > 0 ? ids[^1] : null),
            References = email.References ?? (ids.Count <= MaxReferences ? ids : [ids[0], .. ids[^(MaxReferences - 1)..]]),
        };
        prepared = await WithFilesAsync(prepared, cancellationToken);
        if (!headers.ContainsKey(TicketHeader))
        {
            headers[TicketHeader] = ticketId;
        }

        var replyTo = email.ConversationMessageId is null || mailbox is null
            ? null
            : thread.LastOrDefault(m => m.Direction == MessageIdRecord.In && m.GraphId is not null && string.Equals(m.Mailbox, mailbox.Id, StringComparison.OrdinalIgnoreCase) && !privateIds.Contains(Angle(m.MessageId)))?.GraphId;
        return new PreparedMail(prepared, mailbox, replyTo);
    }

    /// <summary>
    /// Remembers the Message-ID a mail about a ticket left with (ours, or the one Graph gave a reply
    /// draft), so the customer's answer to it threads by In-Reply-To.
    /// </summary>
    public Task RecordSentAsync(EmailMessage email, string mailbox, string sentAs, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(email);
        return email.TicketId is { } ticketId
            ? store.RecordSentAsync(new MessageIdRecord(Angle(sentAs), mailbox, ticketId, MessageIdRecord.Out, null, null), now, cancellationToken)
            : Task.CompletedTask;
    }

    /// <summary>
    /// The Message-IDs of mails on the ticket's conversation that its thread does not record yet,
    /// oldest first, and those of every private message (in angle brackets). A mail's Message-ID is
    /// stored on its message in the write that adds it (or opens the ticket); its thread record only
    /// when its ingestion settles. A notification of that write — the acknowledgement of a mail that
    /// opened a ticket — can be composed in between, or after a crash there and before the mail's
    /// recovery: it still answers the mail.
    /// </summary>
    private async Task<(List<string> Unrecorded, HashSet<string> Private)> ConversationIdsAsync(string ticketId, IReadOnlyList<ThreadMail> thread, CancellationToken cancellationToken)
    {
        var recorded = thread.Select(m => m.MessageId).ToHashSet(StringComparer.Ordinal);
        var unrecorded = new List<string>();
        var privateIds = new HashSet<string>(StringComparer.Ordinal);
        string? cursor = null;
        do
        {
            var page = await conversation.ListAsync(ticketId, includeInternal: true, 200, cursor, cancellationToken);
            unrecorded.AddRange(page.Items.Select(m => m.InternetMessageId).OfType<string>().Where(id => !recorded.Contains(id)));
            privateIds.UnionWith(page.Items.Where(m => m.Visibility == Domain.Tickets.MessageVisibility.Private).Select(m => m.InternetMessageId).OfType<string>().Select(Angle));
            cursor = page.NextCursor;
        }
        while (cursor is not null);

        return (unrecorded, privateIds);
    }

    private SupportMailbox? MailboxOf(IReadOnlyList<ThreadMail> thread) =>
        (thread.Count > 0 ? options.Value.Find(thread[^1].Mailbox) : null) ?? options.Value.Mailboxes.FirstOrDefault();

    private async Task<IReadOnlyList<EmailAttachment>> FilesOfAsync(string ticketId, string messageId, CancellationToken cancellationToken)
    {
        var result = new List<EmailAttachment>();
        foreach (var file in (await attachments.ListAsync(ticketId, cancellationToken)).Where(a => a.MessageId == messageId))
        {
            await using var content = await files.OpenAsync(file.Hash, cancellationToken)
                ?? throw new InvalidOperationException($"The content of attachment {file.Id} is missing.");
            using var buffer = new MemoryStream();
            await content.CopyToAsync(buffer, cancellationToken);
            result.Add(new EmailAttachment(file.FileName, file.ContentType, buffer.ToArray()));
        }

        return result;
    }

    private static string WithToken(string html, string token)
    {
        var line = $"<p style=\"color:#999999;font-size:smaller\">{WebUtility.HtmlEncode(token)}</p>";
        var end = html.LastIndexOf("</body>", StringComparison.OrdinalIgnoreCase);
        return end < 0 ? html + line : html.Insert(end, line);
    }

    private static string Angle(string id) => id.StartsWith('<') ? id : $"<{id}>";

    private static bool SameId(string a, string b) => string.Equals(Angle(a), Angle(b), StringComparison.Ordinal);
}
