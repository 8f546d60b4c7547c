namespace Helpdesk.Api.Sla;

/// <summary>
/// One target on a ticket representation. <see cref="RemainingSeconds"/> is business time left,
/// negative once breached (how late); <see cref="DueAt"/> is null while paused or once met.
/// </summary>
public sealed record SlaTargetResponse(DateTimeOffset? DueAt, SlaState State, long RemainingSeconds)
{
    public static SlaTargetResponse From(SlaTargetClock clock) =>
        new(clock.DueAt, clock.State, (long)Math.Floor((clock.Goal - clock.Elapsed).TotalSeconds));
}

public sealed record ReachStatusResponse(string Status, DateTimeOffset? DueAt, SlaState State, long RemainingSeconds);

/// <summary>The <c>sla</c> block of every ticket representation (API.md).</summary>
public sealed record TicketSlaResponse(
    string PolicyId,
    SlaTargetResponse? FirstResponse,
    SlaTargetResponse? NextResponse,
    SlaTargetResponse? Resolution,
    SlaTargetResponse? Idle,
    IReadOnlyList<ReachStatusResponse> ReachStatus,
    SlaColor Color)
{
    public static TicketSlaResponse From(SlaStatus status)
    {
        SlaTargetResponse? Of(string target) => status.Find(target) is { } clock ? SlaTargetResponse.From(clock) : null;
        return new TicketSlaResponse(
            status.PolicyId,
            Of(SlaClock.FirstResponse),
            Of(SlaClock.NextResponse),
            Of(SlaClock.Resolution),
            Of(SlaClock.Idle),
            [.. status.Targets.Where(t => t.Target == SlaClock.ReachStatus).Select(t => SlaTargetResponse.From(t) is var r ? new ReachStatusResponse(t.Status!, r.DueAt, r.State, r.RemainingSeconds) : null!)],
            status.Color);
    }
}
