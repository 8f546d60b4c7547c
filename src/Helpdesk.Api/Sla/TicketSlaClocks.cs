using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Sla;

/// <summary>The <c>sla</c> block of ticket representations: each ticket's clocks under the policy that applies to it, as of now.</summary>
internal sealed class TicketSlaClocks(SlaCatalog catalog) : ITicketSlaClocks
{
    public async ValueTask<IReadOnlyList<TicketSlaResponse?>> OfAsync(IReadOnlyList<Ticket> tickets, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var settings = await catalog.GetAsync(cancellationToken);
        return [.. tickets.Select(ticket => settings.StatusOf(ticket, now) is { } status ? Response(status) : null)];
    }

    internal static TicketSlaResponse Response(SlaStatus status)
    {
        SlaTargetResponse? Of(string target) => status.Find(target) is { } clock ? Target(clock) : null;
        return new TicketSlaResponse(
            status.PolicyId,
            Of(SlaClock.FirstResponse),
            Of(SlaClock.NextResponse),
            Of(SlaClock.Resolution),
            Of(SlaClock.Idle),
            [.. status.Targets.Where(t => t.Target == SlaClock.ReachStatus).Select(t => Target(t) is var r ? new ReachStatusResponse(t.Status!, r.DueAt, r.State, r.RemainingSeconds) : null!)],
            status.Color,
            status.ChatFirstResponse);
    }

    private static SlaTargetResponse Target(SlaTargetClock clock) =>
        new(clock.DueAt, clock.State, (long)Math.Floor((clock.Goal - clock.Elapsed).TotalSeconds));
}
