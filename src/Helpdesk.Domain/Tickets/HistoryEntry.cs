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
