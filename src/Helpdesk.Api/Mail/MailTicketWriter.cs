using Helpdesk.Api.Attachments;
using Helpdesk.Api.Conversation;
using Helpdesk.Api.Directory;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Directory;
using Helpdesk.Domain.Tickets;
using Microsoft.Extensions.Options;
using Microsoft.Graph.Models;
using Contact = Helpdesk.Domain.Directory.Contact;

namespace Helpdesk.Api.Mail;

/// <summary>What a mail's write came to: the ticket it landed on and the notes for its journal row (files left out).</summary>
public sealed record MailWritten(string TicketId, IReadOnlyList<string> Notes);

/// <summary>
/// The write step of an inbound mail: its sender as a contact, the mail as a message of the ticket
/// it threads onto (or the first message of a new ticket), then its files on that message.
/// </summary>
public sealed class MailTicketWriter(
    ConversationService conversation,
    IConversationStore messages,
    TicketReferences references,
    IDirectoryStore directory,
    AttachmentService attachments,
    IAttachmentIndex attachmentIndex,
    GraphMailbox graph,
    IOptions<MailOptions> options,
    TimeProvider clock)
{
    /// <summary>
    /// Writes the mail; a new ticket takes the fields <paramref name="routing"/> (the collector
    /// rules) set over the mailbox's defaults, and the rules applied head the journal notes. A mail
    /// threading onto a ticket leaves its fields as they are. The mail's
    /// <paramref name="internetMessageId"/> is stored on its message, in the write that adds it
    /// (or opens the ticket), so a notification of that write always knows which mail it answers.
    /// </summary>
    public async Task<MailWritten> WriteAsync(SupportMailbox mailbox, string graphId, Message message, string from, string messageId, string internetMessageId, Ticket? threadedTo, MailRouting routing, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(routing);
        ArgumentNullException.ThrowIfNull(mailbox);
        ArgumentNullException.ThrowIfNull(message);
        var cc = Recipients(message, from, options.Value);
        var body = Body(message);
        var original = OriginalHtml(message);
        var notes = new List<string>();
        if (threadedTo is not null && await PrivateAuthorAsync(threadedTo, message, from, internetMessageId, cancellationToken) is { } author)
        {
            if (threadedTo.Status != TicketStatus.Closed)
            {
                var draft = new MessageDraft(author.Actor, author.Name, MessageVisibility.Private, body, cc, MessageSources.Email, messageId, original, internetMessageId);
                var added = await conversation.AddAsync(threadedTo.Id, draft, cancellationToken);
                var posted = added.Succeeded ? added.Value : throw new InvalidOperationException($"Ticket {threadedTo.Id} vanished while a mail was added to it.");
                return new MailWritten(posted.Ticket.Id, await ImportAttachmentsAsync(mailbox, graphId, message, posted.Ticket.Id, messageId, author.Actor, cancellationToken));
            }

            // A closed ticket takes nothing more, and a follow-up would show the answer to its customer.
            notes.Add($"A private answer about closed ticket {threadedTo.Number}: it opened a ticket of its own.");
            threadedTo = null;
        }

        var contact = await references.FindOrCreateContactAsync(from, message.From?.EmailAddress?.Name, clock.GetUtcNow(), cancellationToken);

        string ticketId;
        Actor writer;
        if (threadedTo is not null)
        {
            var draft = await DraftAsync(from, contact, body, cc, (messageId, internetMessageId), original, threadedTo.IsInternal, cancellationToken);
            var added = await conversation.AddAsync(threadedTo.Id, draft, cancellationToken);
            var posted = added.Succeeded ? added.Value : throw new InvalidOperationException($"Ticket {threadedTo.Id} vanished while a mail was added to it.");
            ticketId = posted.Ticket.Id;
            writer = draft.Author;
        }
        else
        {
            ticketId = await OpenTicketAsync(message, mailbox, contact, body, cc, (messageId, internetMessageId), original, routing, cancellationToken);
            writer = Actor.Customer(contact.Id);
        }

        var files = await ImportAttachmentsAsync(mailbox, graphId, message, ticketId, messageId, writer, cancellationToken);
        return new MailWritten(ticketId, threadedTo is null ? [.. notes, .. routing.Notes, .. files] : files);
    }

    /// <summary>
    /// Who wrote a private answer, or null when the mail is not one (today's rules apply). A mail is
    /// a private answer when it cites the mail of a private message of the ticket (In-Reply-To or
    /// References) and comes from an active agent or a recipient of the ticket's private messages;
    /// or when, citing none, it comes from such a recipient who is neither an agent nor the
    /// requester nor in copy of the public conversation (a supplier whose client dropped the
    /// headers). An outside writer is no contact of the helpdesk: the mail intake writes it.
    /// </summary>
    private async Task<(Actor Actor, string Name)?> PrivateAuthorAsync(Ticket ticket, Message message, string from, string internetMessageId, CancellationToken cancellationToken)
    {
        var all = new List<TicketMessage>();
        string? cursor = null;
        do
        {
            var page = await messages.ListAsync(ticket.Id, includeInternal: true, 200, cursor, cancellationToken);
            all.AddRange(page.Items);
            cursor = page.NextCursor;
        }
        while (cursor is not null);

        var privates = all.Where(m => m.Visibility == MessageVisibility.Private).ToList();
        if (privates.Count == 0)
        {
            return null;
        }

        var sender = EmailAddresses.Normalize(from);
        var recipient = privates.Any(m => (m.To ?? []).Concat(m.Cc).Contains(sender, StringComparer.OrdinalIgnoreCase));
        var agent = await directory.FindByKeyAsync(DirectoryKinds.Agent, sender, cancellationToken) is { Active: true } found ? found : null;
        var cites = MailThreading.Cites(message, internetMessageId).Select(Angle).ToHashSet(StringComparer.Ordinal);
        var citesPrivate = privates.Any(m => m.InternetMessageId is { } id && cites.Contains(Angle(id)));
        var isPrivate = citesPrivate
            ? agent is not null || recipient
            : recipient && agent is null && !IsPublicParticipant(ticket, all, sender);
        if (!isPrivate)
        {
            return null;
        }

        var name = message.From?.EmailAddress?.Name;
        return agent is not null
            ? (Actor.Agent(agent.Id), agent.Name)
            : (Actor.System("mail"), string.IsNullOrWhiteSpace(name) || string.Equals(name, sender, StringComparison.OrdinalIgnoreCase) ? sender : $"{name} <{sender}>");
    }

    private static bool IsPublicParticipant(Ticket ticket, IReadOnlyList<TicketMessage> all, string sender) =>
        (ticket.Requester is { } requester && string.Equals(EmailAddresses.Normalize(requester.Email), sender, StringComparison.Ordinal))
        || all.Any(m => m.Visibility.IsCustomerVisible() && m.Cc.Contains(sender, StringComparer.OrdinalIgnoreCase));

    private static string Angle(string id) => id.StartsWith('<') ? id : $"<{id}>";

    /// <summary>An attempt stopped after storing the mail's message: its files are finished, as its writer.</summary>
    public async Task<IReadOnlyList<string>> RecoverAsync(SupportMailbox mailbox, string graphId, Message message, string ticketId, string messageId, CancellationToken cancellationToken)
    {
        var author = (await messages.FindAsync(ticketId, messageId, cancellationToken))?.Author ?? Actor.System("mail");
        return await ImportAttachmentsAsync(mailbox, graphId, message, ticketId, messageId, author, cancellationToken);
    }

    /// <summary>
    /// Imports the mail's files onto its conversation message through the attachment service (its
    /// size limits apply: a file over them is left out and named in the outcome). A winmail.dat
    /// (Outlook's TNEF wrapping) is unpacked with MimeKit's TNEF reader: its files are imported, not
    /// the opaque wrapping; one that cannot be read is kept as it is and flagged. A file already on
    /// the message (an earlier, interrupted attempt) is not imported twice.
    /// </summary>
    private async Task<List<string>> ImportAttachmentsAsync(SupportMailbox mailbox, string graphId, Message message, string ticketId, string messageId, Actor author, CancellationToken cancellationToken)
    {
        var notes = new List<string>();
        if (message.HasAttachments != true && message.Body?.Content?.Contains("cid:", StringComparison.OrdinalIgnoreCase) != true)
        {
            return notes;
        }

        var present = (await attachmentIndex.ListAsync(ticketId, cancellationToken)).Where(a => a.MessageId == messageId).Select(a => a.FileName).ToHashSet(StringComparer.Ordinal);
        foreach (var file in await graph.GetAttachmentsAsync(mailbox, graphId, cancellationToken))
        {
            var name = string.IsNullOrWhiteSpace(file.Name) ? "attachment" : file.Name;
            var bytes = file.ContentBytes ?? [];
            var contentId = file.IsInline == true ? MailOriginals.NormalizeContentId(file.ContentId) : null;
            IReadOnlyList<(string Name, byte[] Bytes, string? ContentId)> files = [(name, bytes, contentId)];
            if (Tnef.IsTnef(name, file.ContentType))
            {
                if (Tnef.Unpack(bytes) is { } inner)
                {
                    files = [.. inner.Select(f => (f.Name, f.Bytes, (string?)null))];
                }
                else
                {
                    notes.Add($"{name} (Outlook TNEF) could not be unpacked and is kept as an attachment.");
                }
            }

            foreach (var (fileName, content, id) in files.Where(f => !present.Contains(FileNames.Sanitize(f.Name))))
            {
                var added = await attachments.AddAsync(ticketId, messageId, fileName, () => new MemoryStream(content, writable: false), author, cancellationToken, id, MessageAttachments.MessageIsOn(messages, messageId));
                if (!added.Succeeded)
                {
                    notes.Add($"Attachment \"{fileName}\" ({content.Length} bytes) not imported: over the attachment size limits.");
                }
            }
        }

        return notes;
    }

    /// <summary>
    /// An agent writing to the mailbox replies as the agent; anyone else writes as a customer. On an
    /// internal ticket (no customer to show it to) the mail is an internal message either way.
    /// </summary>
    private async Task<MessageDraft> DraftAsync(string from, Contact contact, SanitizedBody body, IReadOnlyList<string> cc, (string Id, string InternetMessageId) mail, string? original, bool internalOnly, CancellationToken cancellationToken)
    {
        var agent = await directory.FindByKeyAsync(DirectoryKinds.Agent, EmailAddresses.Normalize(from), cancellationToken);
        var visibility = internalOnly ? MessageVisibility.Internal : MessageVisibility.Public;
        return agent is { Active: true }
            ? new MessageDraft(Actor.Agent(agent.Id), agent.Name, visibility, body, cc, MessageSources.Email, mail.Id, original, mail.InternetMessageId)
            : new MessageDraft(Actor.Customer(contact.Id), contact.Name ?? contact.Email, visibility, body, cc, MessageSources.Email, mail.Id, original, mail.InternetMessageId);
    }

    /// <summary>A new ticket for the mail, with the mail as the first message of its conversation.</summary>
    private async Task<string> OpenTicketAsync(Message message, SupportMailbox mailbox, Contact contact, SanitizedBody body, IReadOnlyList<string> cc, (string Id, string InternetMessageId) mail, string? original, MailRouting routing, CancellationToken cancellationToken)
    {
        var opened = await conversation.OpenAsync(
            new TicketDraft(
                Subject: Ticket.FitSubject(message.Subject),
                Description: Ticket.FitDescription(body.Text),
                Requester: new Requester(contact.Id, contact.Email, contact.Name),
                AccountId: contact.AccountId,
                Priority: routing.Priority ?? Priority.Normal,
                Type: routing.Type ?? mailbox.DefaultType,
                TeamId: routing.TeamId ?? mailbox.DefaultTeamId,
                AssigneeId: routing.AssigneeId,
                Tags: routing.Tags),
            new MessageDraft(Actor.Customer(contact.Id), contact.Name ?? contact.Email, MessageVisibility.Public, body, cc, MessageSources.Email, mail.Id, original, mail.InternetMessageId),
            cancellationToken);
        return opened.Ticket.Id;
    }

    /// <summary>The text of the mail itself: Graph's uniqueBody (without the quoted history), else the body.</summary>
    private static SanitizedBody Body(Message message)
    {
        var part = message.UniqueBody is { Content.Length: > 0 } unique ? unique : message.Body;
        var content = part?.Content ?? string.Empty;
        var body = part?.ContentType == BodyType.Text ? ConversationService.FromText(content) : HtmlSanitizer.Sanitize(content);
        return body.IsEmpty ? ConversationService.FromText(string.IsNullOrWhiteSpace(message.Subject) ? "(empty mail)" : message.Subject) : body;
    }

    /// <summary>
    /// The mail's full HTML as it arrived (quoted history and <c>cid:</c> images included), kept
    /// unsanitised beside the message and sanitised whenever it is served; a plain-text mail has none.
    /// </summary>
    private static string? OriginalHtml(Message message) =>
        message.Body is { ContentType: BodyType.Html, Content: { Length: > 0 } html }
            ? html.Length > MailOriginals.MaxLength ? html[..MailOriginals.MaxLength] : html
            : null;

    /// <summary>To and Cc addresses other than the sender and the support mailboxes: they stay in copy.</summary>
    private static List<string> Recipients(Message message, string from, MailOptions settings) =>
        [.. (message.ToRecipients ?? []).Concat(message.CcRecipients ?? [])
            .Select(r => r.EmailAddress?.Address)
            .OfType<string>()
            .Where(a => a.Contains('@', StringComparison.Ordinal) && !settings.IsSupportAddress(a) && !string.Equals(a, from, StringComparison.OrdinalIgnoreCase))
            .Select(EmailAddresses.Normalize)
            .Distinct(StringComparer.Ordinal)];
}
