using System.Net;
using Helpdesk.Api.Common;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Directory;
using Helpdesk.Domain.Tickets;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Conversation;

/// <summary>Conversation settings (configuration section <c>Conversation</c>).</summary>
public sealed class ConversationOptions
{
    public const string Section = "Conversation";

    /// <summary>
    /// A customer writing to a closed ticket opens a new follow-up ticket linked to it (the
    /// default). When false the message is refused (409 ticket-closed) and the customer has to
    /// open a new ticket themself.
    /// </summary>
    public bool FollowUpOnClosedTicket { get; set; } = true;
}

/// <summary>
/// A message about to be added: who writes, for whom, what (already sanitised) and to whom in copy.
/// <paramref name="Id"/> is given by a caller that must recognise its own message on a retry
/// (inbound mail derives it from the mail's Message-ID); otherwise a new id is drawn.
/// <paramref name="OriginalHtml"/> is the full HTML of the mail the message was taken from and
/// <paramref name="InternetMessageId"/> its Message-ID. A private message written by an agent names
/// its recipients in <paramref name="To"/>.
/// </summary>
public sealed record MessageDraft(Actor Author, string? AuthorName, MessageVisibility Visibility, SanitizedBody Body, IReadOnlyList<string> Cc, string Source, string? Id = null, string? OriginalHtml = null, string? InternetMessageId = null, IReadOnlyList<string>? To = null);

/// <summary>
/// The Message-ID of the mail that carries a private message to its recipients: one per message,
/// stored on it when it is written, so every attempt sends the same mail and answers citing it are
/// known as private (docs/adr/0013-private-messages.md).
/// </summary>
public static class PrivateMessageIds
{
    public static string Of(string messageId) => $"<prv-{messageId}@helpdesk>";
}

/// <summary>Where a message landed: the ticket it was added to (a follow-up when the addressed one was closed) and the message.</summary>
public sealed record PostedMessage(Ticket Ticket, TicketMessage Message);

/// <summary>
/// Adds messages to tickets: the one path for agents' replies and notes, the portal and inbound
/// mail. Each message is recorded on the aggregate (history, event, SLA timeline) and stored with
/// it in one write through <see cref="TicketRunner"/>. Appending is an intent, not an overwrite,
/// so a lost race is simply retried on a fresh read of the ticket.
/// </summary>
public sealed class ConversationService(TicketRunner runner, TicketOpening opening, IConversationStore messages, IOptions<ConversationOptions> options, TimeProvider clock)
{
    /// <summary>
    /// A customer's message (portal, inbound mail), or why it was not added (no such ticket). On
    /// a closed ticket the message opens a follow-up ticket, unless configured otherwise.
    /// </summary>
    public Task<Outcome<PostedMessage>> AddCustomerMessageAsync(string ticketId, Contact from, string html, IReadOnlyList<string> cc, string source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(from);
        var draft = new MessageDraft(Actor.Customer(from.Id), from.Name ?? from.Email, MessageVisibility.Public, HtmlSanitizer.Sanitize(html), cc, source);
        return AddAsync(ticketId, draft, cancellationToken);
    }

    /// <summary>
    /// Adds the draft to the ticket (or to the one it was merged into), or says why it was not
    /// added (no such ticket). <paramref name="alongside"/> records more on the ticket before the
    /// message and names the items written with it (a chat session and its last activity).
    /// </summary>
    public async Task<Outcome<PostedMessage>> AddAsync(string ticketId, MessageDraft draft, CancellationToken cancellationToken, Func<Ticket, DateTimeOffset, IEnumerable<TicketItemWrite>>? alongside = null)
    {
        ArgumentNullException.ThrowIfNull(draft);
        if (draft.Body.IsEmpty)
        {
            throw new DomainValidationException("body", "The message has no content once unsafe HTML is removed.");
        }

        Ticket? closed = null;
        var outcome = await runner.RunAsync<PostedMessage?>(
            ticketId,
            draft.Author,
            TicketPrecondition.None,
            c =>
            {
                if (c.Ticket.Status == TicketStatus.Closed && draft.Author.Type == ActorType.Customer && options.Value.FollowUpOnClosedTicket)
                {
                    closed = c.Ticket;
                    return Task.FromResult<Outcome<PostedMessage?>>((PostedMessage?)null);
                }

                foreach (var item in alongside?.Invoke(c.Ticket, c.Now) ?? [])
                {
                    c.Write(item);
                }

                var message = Build(c.Ticket.Id, InChat(c.Ticket, draft), c.Now);
                Record(c.Ticket, message, c.Now);
                c.Write(TicketItemWrite.Add(TicketItemKinds.Message, message.Id, message));

                return Task.FromResult<Outcome<PostedMessage?>>(new PostedMessage(c.Ticket, message));
            },
            cancellationToken,
            TicketLookup.FollowMerge);
        if (!outcome.Succeeded)
        {
            return outcome.Problem;
        }

        return closed is null ? outcome.Value! : await FollowUpAsync(closed, draft, alongside, cancellationToken);
    }

    /// <summary>The internal message that carries an escalation's note, recorded on the ticket by the caller's change.</summary>
    public TicketMessage EscalationNote(Ticket ticket, string note, Actor by, string? authorName, DateTimeOffset now) =>
        Build(ticket.Id, new MessageDraft(by, authorName, MessageVisibility.Internal, FromText(note), [], MessageSources.Escalation), now);

    /// <summary>Plain text as a message body: encoded, one paragraph per blank-line block, line breaks kept.</summary>
    public static SanitizedBody FromText(string text)
    {
        var paragraphs = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split("\n\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var html = string.Concat(paragraphs.Select(p => "<p>" + WebUtility.HtmlEncode(p).Replace("\n", "<br>", StringComparison.Ordinal) + "</p>"));
        return HtmlSanitizer.Sanitize(html);
    }

    private static void Record(Ticket ticket, TicketMessage message, DateTimeOffset now)
    {
        if (message.Visibility == MessageVisibility.Internal)
        {
            ticket.AddInternalNote(message.Id, message.Cc, message.Author, now);
        }
        else if (message.Visibility == MessageVisibility.Private)
        {
            ticket.AddPrivateMessage(message.Id, message.To ?? [], message.Cc, message.Author, now);
        }
        else if (message.Author.Type == ActorType.Customer)
        {
            ticket.AddCustomerMessage(message.Id, message.Cc, message.Author, now);
        }
        else
        {
            ticket.AddAgentReply(message.Id, message.Cc, message.Author, now);
        }
    }

    /// <summary>
    /// A customer opens a ticket (portal, or a new mail thread): the body is the ticket's
    /// description (as text) and its first public message (as HTML), stored together.
    /// </summary>
    public Task<PostedMessage> OpenCustomerTicketAsync(Contact from, string subject, string html, IReadOnlyList<string> cc, Priority priority, string source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(from);
        var draft = new MessageDraft(Actor.Customer(from.Id), from.Name ?? from.Email, MessageVisibility.Public, HtmlSanitizer.Sanitize(html), cc, source);
        return OpenAsync(new TicketDraft(subject, null, new Requester(from.Id, from.Email, from.Name), from.AccountId, priority), draft, cancellationToken);
    }

    /// <summary>
    /// A new ticket whose first message is <paramref name="first"/> (a customer's, from the portal,
    /// a mail or a chat): the message's text is its description unless the ticket has one.
    /// <paramref name="alongside"/> records more on the new ticket before its first message and
    /// names the items written with it (the chat session the ticket is opened from).
    /// </summary>
    public async Task<PostedMessage> OpenAsync(TicketDraft ticket, MessageDraft first, CancellationToken cancellationToken, Func<Ticket, DateTimeOffset, IEnumerable<TicketItemWrite>>? alongside = null)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        ArgumentNullException.ThrowIfNull(first);
        if (first.Body.IsEmpty)
        {
            throw new DomainValidationException("body", "The message has no content once unsafe HTML is removed.");
        }

        TicketMessage? message = null;
        var opened = await opening.OpenAsync(
            ticket.FollowUpOfId is null ? ticket with { Description = ticket.Description ?? Ticket.FitDescription(first.Body.Text) } : ticket,
            first.Author,
            created =>
            {
                var others = alongside?.Invoke(created, created.CreatedAt).ToArray() ?? [];
                message = Build(created.Id, InChat(created, first), created.CreatedAt);
                Record(created, message, created.CreatedAt);
                return [TicketItemWrite.Add(TicketItemKinds.Message, message.Id, message), .. others];
            },
            cancellationToken);
        // A retry of a request whose answer was lost gets the ticket it opened, with that first message.
        message ??= (await messages.ListAsync(opened.Id, includeInternal: true, 1, null, cancellationToken)).Items[0];
        return new PostedMessage(opened, message);
    }

    /// <summary>A customer wrote to a closed ticket: a new ticket continues it, with their message as the first one.</summary>
    private Task<PostedMessage> FollowUpAsync(Ticket closed, MessageDraft draft, Func<Ticket, DateTimeOffset, IEnumerable<TicketItemWrite>>? alongside, CancellationToken cancellationToken) =>
        OpenAsync(
            new TicketDraft(
                Subject: closed.Subject,
                Description: null,
                Requester: closed.Requester,
                AccountId: closed.AccountId,
                Priority: closed.Priority,
                Type: closed.Type,
                Group: closed.Group,
                Severity: closed.Severity,
                Impact: closed.Impact,
                TeamId: closed.TeamId,
                Tags: closed.Tags,
                NotifyCustomer: closed.NotifyCustomer,
                FollowUpOfId: closed.Id),
            draft,
            cancellationToken,
            alongside);

    /// <summary>A public message written while a chat session is open on the ticket is a chat message: the open chat delivers it.</summary>
    private static MessageDraft InChat(Ticket ticket, MessageDraft draft) =>
        ticket.Chat is not null && draft.Visibility == MessageVisibility.Public && draft.Source != MessageSources.Email && draft.Author.Type is ActorType.Agent or ActorType.Customer
            ? draft with { Source = MessageSources.Chat }
            : draft;

    private TicketMessage Build(string ticketId, MessageDraft draft, DateTimeOffset now) =>
        new(
            draft.Id ?? Ids.New("msg", clock),
            ticketId,
            now,
            draft.Author,
            draft.AuthorName,
            draft.Visibility,
            draft.Body.Html,
            draft.Body.Text,
            draft.Cc.Select(EmailAddresses.Normalize).Distinct(StringComparer.Ordinal).ToArray(),
            draft.Source,
            draft.OriginalHtml,
            draft.InternetMessageId,
            draft.To?.Select(EmailAddresses.Normalize).Distinct(StringComparer.Ordinal).ToArray());
}
