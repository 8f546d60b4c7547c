using System.Security.Cryptography;
using System.Text;
using Helpdesk.Api.Common;

namespace Helpdesk.Api.Notifications;

/// <summary>Why an entry is in an agent's inbox.</summary>
public enum InboxEntryKind
{
    /// <summary>A <c>popup</c> reminder of an activity the agent owns came due.</summary>
    Reminder,

    /// <summary>The agent was @mentioned in an internal note.</summary>
    Mention,

    /// <summary>The agent was copied on an internal note.</summary>
    Cc,
}

/// <summary>
/// One entry of an agent's notification inbox. <see cref="Title"/> is the activity's title for a
/// reminder, the ticket's subject for a note; <see cref="Snippet"/> the ticket's subject for a
/// reminder, the start of the note's text for a note.
/// </summary>
public sealed record InboxEntry(
    string Id,
    InboxEntryKind Kind,
    string TicketId,
    string TicketNumber,
    string Title,
    string? Snippet,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ReadAt)
{
    public const int MaxSnippetLength = 200;

    /// <summary>Stable per event and agent, so the same event delivered twice writes one entry.</summary>
    public static string IdFor(string eventId, string agentId)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(eventId + "\n" + agentId));
        return "inb_" + Convert.ToHexStringLower(hash)[..24];
    }

    public static string? Shorten(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var flat = string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return flat.Length <= MaxSnippetLength ? flat : flat[..(MaxSnippetLength - 1)] + "…";
    }
}

/// <summary>A page of the caller's inbox, newest first, with how many entries of the whole inbox are unread.</summary>
public sealed record InboxPage(IReadOnlyList<InboxEntry> Items, string? NextCursor, int UnreadCount);

/// <summary>
/// Each agent's notification inbox: entries written once per event and agent (a repeated write
/// of the same id is ignored), listed newest first, marked read one by one or all at once.
/// Entries live and die with their ticket (a purge erases them).
/// </summary>
public interface INotificationInbox
{
    /// <summary>Stores the entry for the agent; an entry already stored with its id is left as it is.</summary>
    Task AddAsync(string agentId, InboxEntry entry, CancellationToken cancellationToken);

    /// <summary>The agent's entries, newest first; only the unread ones when <paramref name="unreadOnly"/>.</summary>
    Task<Page<InboxEntry>> ListAsync(string agentId, bool unreadOnly, int limit, string? cursor, CancellationToken cancellationToken);

    Task<int> UnreadCountAsync(string agentId, CancellationToken cancellationToken);

    /// <summary>Marks one of the agent's entries read (an entry read already keeps its first read time); null when the agent has no such entry.</summary>
    Task<InboxEntry?> MarkReadAsync(string agentId, string id, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Marks every unread entry of the agent read; answers how many were.</summary>
    Task<int> MarkAllReadAsync(string agentId, DateTimeOffset now, CancellationToken cancellationToken);
}
