namespace Helpdesk.Domain.Tickets;

/// <summary>
/// One SLA-relevant fact about a ticket, kept on the ticket itself: a status, priority, type or
/// team change, an agent's public reply, a customer message. SLA clocks are a pure function of
/// this timeline, the policy and now, so they can be recomputed for any ticket from its document.
/// </summary>
public sealed record TimelineMark(DateTimeOffset At, string Kind, string? Value = null);

public static class TimelineKinds
{
    public const string Status = "status";
    public const string Priority = "priority";
    public const string Type = "type";
    public const string Team = "team";
    public const string AgentReplied = "agentReplied";
    public const string CustomerMessage = "customerMessage";

    /// <summary>A private message (to chosen recipients, or their answer by mail): no SLA clock sees it.</summary>
    public const string PrivateMessage = "privateMessage";
}

/// <summary>History actions that the SLA engine reads as replies and messages.</summary>
public static class MessageActions
{
    public const string AgentReplied = "agentReplied";
    public const string NoteAdded = "noteAdded";
    public const string CustomerMessage = "customerMessage";

    /// <summary>A private message (to chosen recipients, or their answer by mail): no SLA clock sees it.</summary>
    public const string PrivateMessage = "privateMessage";
}
