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
/// <paramref name="OriginalHtml"/> is the full HTML of the mail the message was taken from.
/// </summary>
public sealed record MessageDraft(Actor Author, string? AuthorName, MessageVisibility Visibility, SanitizedBody Body, IReadOnlyList<string> Cc, string Source, string? Id = null, string? OriginalHtml = null);

/// <summary>Where a message landed: the ticket it was added to (a follow-up when the addressed one was closed) and the message.</summary>
public sealed record PostedMessage(Ticket Ticket, TicketMessage Message);

/// <summary>
/// Adds messages to tickets: the one path for agents' replies and notes, the portal and inbound
/// mail. Each message is recorded on the aggregate (history, event, SLA timeline) and stored with
/// it in one transaction. Appending is an intent, not an overwrite, so a lost race is simply
/// retried on a fresh read of the ticket.
/// </summary>
public sealed class ConversationService(
    ITicketStore tickets,
    IConversationStore messages,
    ITicketNumberSequence sequence,
    IOptions<TicketOptions> ticketOptions,
    IOptions<ConversationOptions> options,
    TimeProvider clock)
{
    private const int Attempts = 3;
    private const int MaxNumberAttempts = 5;

    /// <summary>
    /// A customer's message (portal, inbound mail). Null when the ticket does not exist. On a
    /// closed ticket the message opens a follow-up ticket, unless configured otherwise.
    /// </summary>
    public Task<PostedMessage?> AddCustomerMessageAsync(string ticketId, Contact from, string html, IReadOnlyList<string> cc, string source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(from);
        var draft = new MessageDraft(Actor.Customer(from.Id), from.Name ?? from.Email, MessageVisibility.Public, HtmlSanitizer.Sanitize(html), cc, source);
        return AddAsync(ticketId, draft, cancellationToken);
    }

    /// <summary>Adds the draft to the ticket (or to the one it was merged into); null when the ticket does not exist.</summary>
    public async Task<PostedMessage?> AddAsync(string ticketId, MessageDraft draft, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(draft);
        if (draft.Body.IsEmpty)
        {
            throw new DomainValidationException("body", "The message has no content once unsafe HTML is removed.");
        }

        for (var attempt = 1; ; attempt++)
        {
            var ticket = await FindAddressedAsync(ticketId, cancellationToken);
            if (ticket is null)
            {
                return null;
            }

            var now = clock.GetUtcNow();
            if (ticket.Status == TicketStatus.Closed && draft.Author.Type == ActorType.Customer && options.Value.FollowUpOnClosedTicket)
            {
                return await FollowUpAsync(ticket, draft, cancellationToken);
            }

            var message = Build(ticket.Id, draft, now);
            Record(ticket, message, now);
            try
            {
                await messages.SaveAsync(ticket, message, cancellationToken);
                return new PostedMessage(ticket, message);
            }
            catch (ConcurrencyConflictException) when (attempt < Attempts)
            {
            }
        }
    }

    /// <summary>
    /// The ticket a message addressed to <paramref name="ticketId"/> goes to: the ticket itself,
    /// or the one it was merged into (merges are one hop, never chains).
    /// </summary>
    private async Task<Ticket?> FindAddressedAsync(string ticketId, CancellationToken cancellationToken)
    {
        var ticket = await tickets.FindAsync(ticketId, cancellationToken);
        return ticket?.MergedIntoId is { } intoId ? await tickets.FindAsync(intoId, cancellationToken) : ticket;
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
        if (draft.Body.IsEmpty)
        {
            throw new DomainValidationException("body", "The message has no content once unsafe HTML is removed.");
        }

        var description = draft.Body.Text.Length > Ticket.MaxDescriptionLength ? draft.Body.Text[..Ticket.MaxDescriptionLength] : draft.Body.Text;
        return OpenAsync(
            (id, number) => new NewTicket(
                Id: id,
                Number: number,
                Subject: subject,
                Description: description,
                Requester: new Requester(from.Id, from.Email, from.Name),
                AccountId: from.AccountId,
                Priority: priority,
                Type: null,
                Group: null,
                Severity: null,
                Impact: null,
                TeamId: null,
                AssigneeId: null,
                StartAt: null,
                DueAt: null,
                Tags: [],
                NotifyCustomer: true),
            draft,
            cancellationToken);
    }

    /// <summary>A customer wrote to a closed ticket: a new ticket continues it, with their message as the first one.</summary>
    private Task<PostedMessage> FollowUpAsync(Ticket closed, MessageDraft draft, CancellationToken cancellationToken) =>
        OpenAsync(
            (id, number) => new NewTicket(
                Id: id,
                Number: number,
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
                AssigneeId: null,
                StartAt: null,
                DueAt: null,
                Tags: closed.Tags,
                NotifyCustomer: closed.NotifyCustomer,
                FollowUpOfId: closed.Id),
            draft,
            cancellationToken);

    private async Task<PostedMessage> OpenAsync(Func<string, string, NewTicket> describe, MessageDraft draft, CancellationToken cancellationToken)
    {
        var settings = ticketOptions.Value;
        for (var attempt = 1; ; attempt++)
        {
            var now = clock.GetUtcNow();
            var number = settings.NumberFormat.Format(now, await sequence.NextAsync(settings.NumberFormat.SequenceKey(now), cancellationToken));
            var ticket = Ticket.Create(describe(Ids.New("t", clock), number), draft.Author, settings.Settings, now);
            var message = Build(ticket.Id, draft, now);
            Record(ticket, message, now);
            try
            {
                await messages.SaveAsync(ticket, message, cancellationToken);
                return new PostedMessage(ticket, message);
            }
            catch (UniqueConstraintException e) when (e.Field == "number" && attempt < MaxNumberAttempts)
            {
                // The counter is behind the stored numbers: draw the next one (see CreateTicket).
            }
        }
    }

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
            draft.OriginalHtml);
}
