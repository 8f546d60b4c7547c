using System.Text;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Tickets;

/// <summary>
/// What <see cref="TicketQuery.Text"/> looks in. Every scope reads the ticket's number, subject,
/// description and its requester's name and email; the conversation scopes add the messages'
/// text: the public ones for a customer, internal notes too for staff.
/// </summary>
public enum TicketTextScope
{
    /// <summary>The ticket's own fields only (mail threading looks a number up this way).</summary>
    Ticket,

    /// <summary>And its public messages: what the customer sees in the portal.</summary>
    PublicConversation,

    /// <summary>And every message, internal notes included: staff lists.</summary>
    Conversation,
}

/// <summary>Where a search hit was found.</summary>
public enum TicketMatchField
{
    Number,
    Subject,
    Description,

    /// <summary>The requester's name or email.</summary>
    Contact,

    /// <summary>A public message of the conversation.</summary>
    Message,

    /// <summary>An internal note (staff only).</summary>
    Note,
}

/// <summary>Where the searched text stands in a snippet: its first character (from 0) and its length.</summary>
public sealed record TextRange(int Start, int Length);

/// <summary>
/// Why a ticket is in a searched list: where the text was found, a short excerpt of that place
/// (whitespace folded, cut at word boundaries with an ellipsis), each occurrence of the text in
/// the excerpt (highlights: offsets into the snippet), and the message's id when it was found in
/// the conversation.
/// </summary>
public sealed record TicketMatch(TicketMatchField Field, string Snippet, IReadOnlyList<TextRange> Highlights, string? MessageId = null);

/// <summary>
/// The messages of a conversation that hold a searched text, for the snippets of a page of
/// tickets. Declared here, implemented by the conversation's stores (Conversation/).
/// </summary>
public interface IConversationSearch
{
    /// <summary>
    /// For each of <paramref name="ticketIds"/> with a message whose text holds
    /// <paramref name="text"/> (letter case aside), its newest such message; internal notes only
    /// with <paramref name="includeInternal"/>.
    /// </summary>
    Task<IReadOnlyDictionary<string, TicketMessage>> NewestMatchesAsync(IReadOnlyCollection<string> ticketIds, string text, bool includeInternal, CancellationToken cancellationToken);
}

/// <summary>
/// The search of ticket lists (<c>q</c>): its limits and the match each listed ticket carries.
/// The stores decide which tickets match (SQLite FTS5 trigram tables, Cosmos DB CONTAINS over
/// the ticket document; docs/adr/0014-conversation-search.md); this finds where, for the page only.
/// </summary>
public sealed class TicketSearch(IConversationSearch conversations)
{
    /// <summary>Longer text is refused (400 on <c>q</c>): a search is a few words, and the engines' cost grows with it.</summary>
    public const int MaxTextLength = 200;

    public const string TooLong = "The search text (q) is at most 200 characters.";

    /// <summary>Characters of context kept before the first occurrence, and the snippet's length at most (besides the ellipses).</summary>
    private const int Before = 60;
    private const int Length = 200;

    /// <summary>The problem with <paramref name="q"/>, or null when it can be searched (or is absent).</summary>
    public static string? Refusal(string? q) => q is not null && q.Trim().Length > MaxTextLength ? TooLong : null;

    /// <summary>
    /// The match of each ticket of a page, in its order (null without a search text, or for a
    /// ticket matched by something the snippet cannot show). The ticket's own fields first, then
    /// its newest matching message or note.
    /// </summary>
    public async Task<IReadOnlyList<TicketMatch?>> MatchAsync(IReadOnlyList<Ticket> tickets, string? text, TicketTextScope scope, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tickets);
        if (string.IsNullOrWhiteSpace(text))
        {
            return new TicketMatch?[tickets.Count];
        }

        var q = text.Trim();
        var matches = tickets.Select(t => OwnMatch(t, q)).ToArray();
        var rest = tickets.Where((_, i) => matches[i] is null).Select(t => t.Id).ToArray();
        if (rest.Length == 0 || scope == TicketTextScope.Ticket)
        {
            return matches;
        }

        var messages = await conversations.NewestMatchesAsync(rest, q, scope == TicketTextScope.Conversation, cancellationToken);
        for (var i = 0; i < tickets.Count; i++)
        {
            if (matches[i] is null && messages.TryGetValue(tickets[i].Id, out var message))
            {
                var field = message.Visibility == MessageVisibility.Public ? TicketMatchField.Message : TicketMatchField.Note;
                matches[i] = Excerpt(field, message.Text, q, message.Id);
            }
        }

        return matches;
    }

    private static TicketMatch? OwnMatch(Ticket ticket, string q) =>
        Excerpt(TicketMatchField.Number, ticket.Number, q)
        ?? Excerpt(TicketMatchField.Subject, ticket.Subject, q)
        ?? Excerpt(TicketMatchField.Contact, ticket.Requester is { } r ? $"{r.Name} <{r.Email}>".TrimStart() : null, q)
        ?? Excerpt(TicketMatchField.Description, ticket.Description, q);

    /// <summary>The excerpt of <paramref name="source"/> around the first occurrence of <paramref name="q"/>, or null when it holds none.</summary>
    public static TicketMatch? Excerpt(TicketMatchField field, string? source, string q, string? messageId = null)
    {
        ArgumentNullException.ThrowIfNull(q);
        if (string.IsNullOrEmpty(source) || q.Length == 0)
        {
            return null;
        }

        var folded = Fold(source);
        var needle = Fold(q);
        var first = folded.IndexOf(needle, StringComparison.OrdinalIgnoreCase);
        if (first < 0)
        {
            return null;
        }

        var start = Math.Max(0, first - Before);
        if (start > 0)
        {
            var space = folded.IndexOf(' ', start);
            start = space >= 0 && space < first ? space + 1 : start;
        }

        var end = Math.Min(folded.Length, Math.Max(start + Length, first + needle.Length));
        if (end < folded.Length)
        {
            var space = folded.LastIndexOf(' ', end - 1, end - (first + needle.Length));
            end = space >= first + needle.Length ? space : end;
        }

        var prefix = start > 0 ? "…" : string.Empty;
        var snippet = prefix + folded[start..end] + (end < folded.Length ? "…" : string.Empty);
        var highlights = new List<TextRange>();
        for (var at = first; at >= 0 && at + needle.Length <= end; at = folded.IndexOf(needle, at + needle.Length, StringComparison.OrdinalIgnoreCase))
        {
            highlights.Add(new TextRange(at - start + prefix.Length, needle.Length));
        }

        return new TicketMatch(field, snippet, highlights, messageId);
    }

    /// <summary>Every run of whitespace (line breaks of a mail) as one space, trimmed.</summary>
    private static string Fold(string text)
    {
        var folded = new StringBuilder(text.Length);
        foreach (var c in text.AsSpan().Trim())
        {
            if (!char.IsWhiteSpace(c))
            {
                folded.Append(c);
            }
            else if (folded.Length > 0 && folded[^1] != ' ')
            {
                folded.Append(' ');
            }
        }

        return folded.ToString();
    }
}
