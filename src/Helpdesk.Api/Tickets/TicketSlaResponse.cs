using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Tickets;

/// <summary>The state of one SLA target of a ticket.</summary>
public enum SlaState
{
    Running,
    Paused,
    Met,
    Warning,
    Breached,
}

/// <summary>The colour a list shows for a ticket's SLA: the worst of its targets.</summary>
public enum SlaColor
{
    Green,
    Orange,
    Red,
}

/// <summary>
/// One target on a ticket representation. <see cref="RemainingSeconds"/> is business time left,
/// negative once breached (how late); <see cref="DueAt"/> is null while paused or once met.
/// </summary>
public sealed record SlaTargetResponse(DateTimeOffset? DueAt, SlaState State, long RemainingSeconds);

public sealed record ReachStatusResponse(string Status, DateTimeOffset? DueAt, SlaState State, long RemainingSeconds);

/// <summary>
/// The <c>sla</c> block of every ticket representation (API.md), computed by the SLA capability
/// (<see cref="ITicketSlaClocks"/>). <see cref="ChatFirstResponse"/>: the ticket was opened in a
/// chat and <see cref="FirstResponse"/> counts to the policy's chat target, not the priority's.
/// </summary>
public sealed record TicketSlaResponse(
    string PolicyId,
    SlaTargetResponse? FirstResponse,
    SlaTargetResponse? NextResponse,
    SlaTargetResponse? Resolution,
    SlaTargetResponse? Idle,
    IReadOnlyList<ReachStatusResponse> ReachStatus,
    SlaColor Color,
    bool ChatFirstResponse);

/// <summary>
/// The SLA clocks of tickets as their representation shows them, as of <c>now</c>: the seam
/// through which the SLA capability (policies, calendars, clocks) serves ticket responses
/// without the Tickets folder depending on it.
/// </summary>
public interface ITicketSlaClocks
{
    /// <summary>One entry per ticket, in order: null for a ticket no policy applies to.</summary>
    ValueTask<IReadOnlyList<TicketSlaResponse?>> OfAsync(IReadOnlyList<Ticket> tickets, DateTimeOffset now, CancellationToken cancellationToken);
}
