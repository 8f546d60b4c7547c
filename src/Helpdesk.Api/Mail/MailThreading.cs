using System.Text.RegularExpressions;
using Helpdesk.Api.Conversation;
using Helpdesk.Api.Directory;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Directory;
using Helpdesk.Domain.Tickets;
using Microsoft.Extensions.Options;
using Microsoft.Graph.Models;

namespace Helpdesk.Api.Mail;

/// <summary>The signals that can put an inbound mail on an existing ticket, strongest first.</summary>
public static class ThreadSignals
{
    public const string InReplyTo = "inReplyTo";
    public const string References = "references";

    /// <summary>A reply that arrived first names this mail in its In-Reply-To or References: the late original joins the reply's ticket.</summary>
    public const string CitedBy = "citedBy";
    public const string Token = "token";
    public const string SubjectNumber = "subjectNumber";
    public const string Conversation = "conversationId";

    /// <summary>No signal matched: the mail opened a new ticket.</summary>
    public const string NewTicket = "newTicket";
}

/// <summary>An inbound mail's ticket, the signal that found it, and why, when the signal alone does not say.</summary>
public sealed record Threaded(Ticket Ticket, string Signal, string? Why = null);

/// <summary>
/// Finds the ticket an inbound mail answers. Ranked signals: the Message-IDs the helpdesk sent or
/// received (In-Reply-To, then References), a reply taken in earlier that cites this mail (the
/// original arriving after its reply joins the reply's ticket), the signed reply token put in outbound mail, then — only
/// when the sender is the requester, a cc or an agent of that ticket — the ticket number in the
/// subject, and Graph's conversationId as a weak hint. A stranger quoting a ticket number gets a
/// new ticket, never a seat in someone else's conversation.
/// </summary>
public sealed partial class MailThreading(
    IMailThreadIds store,
    ITicketStore tickets,
    IConversationStore conversation,
    IDirectoryStore directory,
    ReplyTokens tokens,
    IOptions<TicketOptions> ticketOptions)
{
    public async Task<Threaded?> ResolveAsync(string mailbox, string internetMessageId, Message message, string from, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var inReplyTo = InReplyTo(message);
        if (await FindAsync(await TicketOfMessageIdsAsync(mailbox, inReplyTo, cancellationToken), cancellationToken) is { } byReply)
        {
            return new Threaded(byReply, ThreadSignals.InReplyTo);
        }

        var references = References(message);
        references.Reverse();
        if (await FindAsync(await TicketOfMessageIdsAsync(mailbox, references, cancellationToken), cancellationToken) is { } byReference)
        {
            return new Threaded(byReference, ThreadSignals.References);
        }

        var citing = await store.TicketCitingAsync(mailbox, internetMessageId, cancellationToken)
            ?? await TicketOfStoredMailAsync(mailbox, await store.TakingCitingAsync(mailbox, internetMessageId, cancellationToken), cancellationToken);
        if (await FindAsync(citing, cancellationToken) is { } byCiting)
        {
            return new Threaded(byCiting, ThreadSignals.CitedBy, $"Late original: a reply naming {internetMessageId} in its In-Reply-To or References arrived first and opened this ticket.");
        }

        var body = message.Body?.Content ?? string.Empty;
        if (await FindAsync(await tokens.TicketOfAsync(body, cancellationToken), cancellationToken) is { } byToken)
        {
            return new Threaded(byToken, ThreadSignals.Token);
        }

        if (SubjectNumber(message.Subject) is { } number
            && await FindByNumberAsync(number, cancellationToken) is { } byNumber
            && await IsParticipantAsync(byNumber, from, cancellationToken))
        {
            return new Threaded(byNumber, ThreadSignals.SubjectNumber);
        }

        if (message.ConversationId is { Length: > 0 } conversationId
            && await FindAsync(await TicketOfConversationAsync(mailbox, conversationId, internetMessageId, cancellationToken), cancellationToken) is { } byConversation
            && await IsParticipantAsync(byConversation, from, cancellationToken))
        {
            return new Threaded(byConversation, ThreadSignals.Conversation, "Same Graph conversation as a mail taken in earlier for this ticket (whichever was written first), from a participant of the ticket.");
        }

        return null;
    }

    /// <summary>The ticket number written in brackets in a subject (<c>Re: [HD-2026-00042] Printer</c>).</summary>
    public string? SubjectNumber(string? subject)
    {
        if (string.IsNullOrEmpty(subject))
        {
            return null;
        }

        var prefix = Regex.Escape(ticketOptions.Value.NumberPrefix);
        var match = Regex.Match(subject, @"\[(?<n>" + prefix + @"-[0-9]+(?:-[0-9]+)?)\]", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase, TimeSpan.FromMilliseconds(100));
        return match.Success ? match.Groups["n"].Value.ToUpperInvariant() : null;
    }

    /// <summary>
    /// The ticket of the first of these Message-IDs the helpdesk sent or received, else of one whose
    /// mail is stored on a ticket while its ingestion has not settled (its process died in between
    /// and its recovery is still to come): its Message-ID record names no ticket yet, its message does.
    /// Without this a reply taken in before that recovery opened a second ticket.
    /// </summary>
    private async Task<string?> TicketOfMessageIdsAsync(string mailbox, IReadOnlyList<string> messageIds, CancellationToken cancellationToken) =>
        await store.TicketOfMessageIdsAsync(messageIds, cancellationToken) ?? await TicketOfStoredMailAsync(mailbox, messageIds, cancellationToken);

    /// <summary>
    /// The ticket the latest settled mail of the Graph conversation went to, else the one a mail of
    /// the conversation still being taken in is stored on (stopped after its ticket write, as above).
    /// </summary>
    private async Task<string?> TicketOfConversationAsync(string mailbox, string conversationId, string internetMessageId, CancellationToken cancellationToken) =>
        await store.TicketOfConversationAsync(conversationId, cancellationToken)
            ?? await TicketOfStoredMailAsync(mailbox, [.. (await store.TakingInConversationAsync(mailbox, conversationId, cancellationToken)).Where(id => id != internetMessageId)], cancellationToken);

    /// <summary>
    /// The ticket holding the message of the first of these mails (by Message-ID) that is stored.
    /// A mail's conversation message id derives from its Message-ID, so this finds a mail written
    /// to a ticket whose ingestion has not settled: a late original (or a mail of the same
    /// conversation) taken in then joins that ticket instead of opening a second one.
    /// </summary>
    private async Task<string?> TicketOfStoredMailAsync(string mailbox, IReadOnlyList<string> messageIds, CancellationToken cancellationToken)
    {
        foreach (var id in messageIds)
        {
            if (await store.TicketOfStoredMessageAsync(MailIntake.MessageIdFor(mailbox, id), cancellationToken) is { } stored)
            {
                return stored;
            }
        }

        return null;
    }

    private async Task<Ticket?> FindAsync(string? ticketId, CancellationToken cancellationToken) =>
        ticketId is null ? null : await tickets.FindAsync(ticketId, cancellationToken);

    private async Task<Ticket?> FindByNumberAsync(string number, CancellationToken cancellationToken)
    {
        var page = await tickets.QueryAsync(new TicketQuery(TicketView.All, DateTimeOffset.UnixEpoch, 20, null, Text: number), cancellationToken);
        return page.Items.FirstOrDefault(t => string.Equals(t.Number, number, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>The requester, anyone in copy of the ticket's conversation, or an active agent.</summary>
    private async Task<bool> IsParticipantAsync(Ticket ticket, string from, CancellationToken cancellationToken)
    {
        var email = EmailAddresses.Normalize(from);
        if (ticket.Requester is { } requester && EmailAddresses.Normalize(requester.Email) == email)
        {
            return true;
        }

        if (await directory.FindByKeyAsync(DirectoryKinds.Agent, email, cancellationToken) is { Active: true })
        {
            return true;
        }

        var messages = await conversation.ListAsync(ticket.Id, includeInternal: false, 200, null, cancellationToken);
        return messages.Items.Any(m => m.Cc.Contains(email, StringComparer.OrdinalIgnoreCase));
    }

    /// <summary>
    /// The Message-IDs a mail answers (In-Reply-To, then References), without its own: recorded as
    /// cited by its ticket, so an original arriving after this reply joins it.
    /// </summary>
    public static IReadOnlyList<string> Cites(Message message, string internetMessageId)
    {
        ArgumentNullException.ThrowIfNull(message);
        return [.. InReplyTo(message).Concat(References(message)).Where(id => id != internetMessageId).Distinct(StringComparer.Ordinal)];
    }

    private static List<string> InReplyTo(Message message) => Header(message, "In-Reply-To");

    private static List<string> References(Message message) => Header(message, "References");

    private static List<string> Header(Message message, string name) =>
        MessageIds((message.InternetMessageHeaders ?? []).Where(h => string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value));

    /// <summary>Every <c>&lt;id@host&gt;</c> in header values, in order.</summary>
    public static List<string> MessageIds(IEnumerable<string?> values) =>
        [.. values.SelectMany(v => AngleId().Matches(v ?? string.Empty)).Select(m => m.Value)];

    [GeneratedRegex(@"<[^<>\s]+>", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex AngleId();
}
