using Helpdesk.Api.Common;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Time;

/// <summary>What one attempt of a time-tracking write works with.</summary>
public sealed record WorkContext(Ticket Ticket, Actor Actor, DateTimeOffset Now, bool IsSupervisor)
{
    /// <summary>An entry is changed by its author or by a supervisor.</summary>
    public bool MayChange(string agentId) => IsSupervisor || agentId == Actor.Id;
}

/// <summary>
/// Load the ticket, run one attempt, write everything in one transaction. A write that lost a
/// race with another change of the ticket (or of the timer) is tried again on fresh data; a
/// stale If-Match on an entry is still refused, because every attempt checks it again.
/// </summary>
public sealed class TimeWork(ITicketStore tickets, Caller caller, TimeProvider clock, IOptions<TimeOptions> options)
{
    private const int Attempts = 3;

    public TimeOptions Options => options.Value;

    public async Task<IResult> RunAsync(string ticketId, Func<WorkContext, Task<IResult>> attempt, CancellationToken cancellationToken)
    {
        for (var i = 1; ; i++)
        {
            var ticket = await tickets.FindAsync(ticketId, cancellationToken);
            if (ticket is null)
            {
                return Problems.NotFound("ticket");
            }

            var context = new WorkContext(ticket, await caller.ActorAsync(cancellationToken), clock.GetUtcNow(), caller.User.IsSupervisor);
            try
            {
                return await attempt(context);
            }
            catch (ConcurrencyConflictException) when (i < Attempts)
            {
                // Somebody changed the ticket or the timer meanwhile: read again and retry.
            }
        }
    }

    public static IResult NotAuthor() =>
        Problems.Result(Problems.Create(StatusCodes.Status403Forbidden, ProblemTypes.Rule("not-entry-author"), "Only the author of an entry or a supervisor may change it.", null));
}
