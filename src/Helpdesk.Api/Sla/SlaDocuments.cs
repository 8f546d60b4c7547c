using Helpdesk.Api.Directory;

namespace Helpdesk.Api.Sla;

/// <summary>
/// An SLA policy ("charter"): which tickets it applies to, the targets per priority, the
/// calendar it counts in, what pauses it, and the escalation levels. The first active policy
/// whose conditions match, by <see cref="Order"/>, applies to a ticket.
/// <see cref="DueDateOverridesResolution"/>: a ticket's own due date, when it has one, replaces
/// the resolution target (a deadline agreed with the customer); otherwise the due date is only
/// the ticket's own deadline (the late view) and the SLA keeps its targets.
/// <see cref="ChatFirstResponseMinutes"/>: a ticket the customer opened in a chat is answered
/// within these minutes, whatever its priority, instead of the priority's first-response target
/// (a chat waits for minutes, a mail for hours).
/// </summary>
public sealed record SlaPolicy(
    string Id,
    string Name,
    int Order,
    SlaConditions Conditions,
    string? CalendarId,
    IReadOnlyDictionary<string, SlaTargetMinutes> Targets,
    IReadOnlyList<string> PausingStatuses,
    double WarningThreshold,
    IReadOnlyList<EscalationLevel> Escalations,
    bool Active,
    bool DueDateOverridesResolution = false,
    int? ChatFirstResponseMinutes = null);

/// <summary>Empty or null lists match everything.</summary>
public sealed record SlaConditions(
    IReadOnlyList<string>? TeamIds = null,
    IReadOnlyList<string>? Types = null,
    string? MinimumPriority = null,
    IReadOnlyList<string>? AccountIds = null);

/// <summary>Targets in minutes of the policy's time (business time when it has a calendar).</summary>
public sealed record SlaTargetMinutes(
    int? FirstResponse = null,
    int? NextResponse = null,
    int? Resolution = null,
    int? Idle = null,
    IReadOnlyList<ReachStatusTarget>? ReachStatus = null);

/// <summary>"Reach status X within N minutes" (for example: inProgress within 30).</summary>
public sealed record ReachStatusTarget(string Status, int WithinMinutes);

/// <summary>
/// One escalation level: for a target (or <c>any</c>), fire at warning, at breach, or N minutes
/// after the breach; each level fires once per ticket and target.
/// </summary>
public sealed record EscalationLevel(string Target, string When, int? MinutesAfterBreach, IReadOnlyList<EscalationAction> Actions);

/// <summary>
/// <c>notify</c> (assignee | teamLead | supervisors | team — the ticket's, or <c>teamId</c> | agent
/// — <c>agentId</c> | address — <c>address</c>), <c>reassign</c> (agent and/or team), <c>raisePriority</c>.
/// </summary>
public sealed record EscalationAction(string Type, string? Notify = null, string? AgentId = null, string? TeamId = null, string? Address = null)
{
    /// <summary>
    /// How a notify action travels in the <c>notify</c> list of an SLA event, for the notification
    /// planner: the recipient kind, with the agent, team or address it names after a colon.
    /// </summary>
    public string? NotifyToken => (Type, Notify) switch
    {
        ("notify", "agent") => $"agent:{AgentId}",
        ("notify", "team") when TeamId is not null => $"team:{TeamId}",
        ("notify", "address") => $"address:{Address}",
        ("notify", _) => Notify,
        _ => null,
    };
}

/// <summary>Working hours in a time zone, with holidays; a policy without a calendar counts around the clock.</summary>
public sealed record BusinessCalendarDocument(
    string Id,
    string Name,
    string TimeZone,
    IReadOnlyDictionary<string, IReadOnlyList<WorkingInterval>> Week,
    IReadOnlyList<Holiday> Holidays,
    bool Active);

/// <summary>Local times "HH:mm"; the end may be "24:00".</summary>
public sealed record WorkingInterval(string Start, string End);

/// <summary>A day off (<see cref="From"/>) or a range of days (through <see cref="To"/>), ISO dates.</summary>
public sealed record Holiday(string From, string? To, string? Name);

public static class SlaKinds
{
    public static readonly DirectoryKind<SlaPolicy> Policy = new("slaPolicy", p => p.Id, p => p.Name, "name", _ => []);

    public static readonly DirectoryKind<BusinessCalendarDocument> Calendar = new("calendar", c => c.Id, c => $"{c.Name} {c.TimeZone}", "name", _ => []);
}

public static class SlaDefaults
{
    public const string DefaultPolicyId = "sla_default";

    public static readonly IReadOnlyList<string> Priorities = ["urgent", "high", "normal", "low"];

    public static readonly IReadOnlyList<string> Days = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

    /// <summary>The priority table of FEATURES.md §3, around the clock; editable like any policy.</summary>
    public static SlaPolicy DefaultPolicy { get; } = new(
        DefaultPolicyId,
        "Default (by priority)",
        Order: 1000,
        new SlaConditions(),
        CalendarId: null,
        new Dictionary<string, SlaTargetMinutes>
        {
            ["urgent"] = new(FirstResponse: 60, Resolution: 4 * 60),
            ["high"] = new(FirstResponse: 4 * 60, Resolution: 24 * 60),
            ["normal"] = new(FirstResponse: 8 * 60, Resolution: 72 * 60),
            ["low"] = new(FirstResponse: 24 * 60, Resolution: 7 * 24 * 60),
        },
        PausingStatuses: ["waitingOnCustomer"],
        WarningThreshold: 0.25,
        Escalations: [],
        Active: true);
}
