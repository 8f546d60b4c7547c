using Helpdesk.Domain.Common;

namespace Helpdesk.Domain.Tickets;

public sealed record FieldChange(string Field, string? From, string? To);

/// <summary>One line of a ticket's history: who did what, when, and which fields changed.</summary>
public sealed record HistoryEntry(
    DateTimeOffset At,
    Actor Actor,
    string Action,
    IReadOnlyList<FieldChange> Changes,
    string? Note);

/// <summary>
/// A history line of something done about a ticket that changes nothing on it (a notification
/// sent): stored with the ticket's history once per <see cref="Key"/>, without a new version, so
/// the ETags clients hold stay valid and a retried act is not recorded twice.
/// </summary>
public sealed record HistoryNote(string Key, HistoryEntry Entry);
