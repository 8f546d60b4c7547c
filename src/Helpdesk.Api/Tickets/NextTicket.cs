using Helpdesk.Api.Auth;
using Helpdesk.Api.Common;
using Helpdesk.Domain.Tickets;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Helpdesk.Api.Tickets;

/// <summary>
/// "Next ticket" (Axelor's <i>Choisir le prochain ticket</i>): the calling agent takes the most
/// urgent ticket waiting in their queue — open, unassigned, not waiting on its customer, of one of
/// their teams or of none — by SLA due (soonest first), then priority, then age. Each candidate
/// is taken through <see cref="TicketRunner"/>, whose write is guarded by the version read (an
/// ETag on Cosmos DB); an agent who loses the race reads the ticket again, finds it taken and
/// moves on to the next, so two agents never get the same ticket.
/// </summary>
internal static class NextTicket
{
    private static readonly ProblemDetails NoLongerQueued =
        Problems.Create(StatusCodes.Status409Conflict, ProblemTypes.Rule("no-longer-queued"), "The ticket left the queue.", "Someone else took or changed it first.");

    public static async Task<Results<Ok<TicketResponse>, NoContent, ApiProblem>> HandleAsync(
        HttpContext http,
        ITicketStore store,
        TicketRunner runner,
        Caller caller,
        TicketPresenter presenter,
        CancellationToken ct)
    {
        var agent = await caller.AgentAsync(ct);
        if (agent is null)
        {
            return new ApiProblem(Problems.Create(StatusCodes.Status409Conflict, ProblemTypes.Rule("not-an-agent"), "Only an active agent of the directory can take a ticket.", $"No active agent has the email {caller.User.Email}."));
        }

        var actor = await caller.ActorAsync(ct);
        var queue = await store.UnassignedQueueAsync(agent.TeamIds, ct);
        foreach (var candidate in queue.Order(QueuedTicket.MostUrgentFirst))
        {
            var outcome = await runner.RunAsync<Ticket>(
                candidate.Id,
                actor,
                TicketPrecondition.None,
                c =>
                {
                    if (!StillQueued(c.Ticket, agent.TeamIds))
                    {
                        return NoLongerQueued;
                    }

                    c.Ticket.TakeOwnership(agent.Id, c.Actor, c.Now);
                    return c.Ticket;
                },
                ct);
            if (outcome.Succeeded)
            {
                ETags.Set(http.Response, outcome.Value.Version);
                return TypedResults.Ok(await presenter.PresentAsync(outcome.Value, ct));
            }

            // Taken or deleted since the queue was read: the next one. Anything else (a retried
            // request whose first attempt took a ticket) is the answer.
            if (outcome.Problem != NoLongerQueued && outcome.Problem.Status != StatusCodes.Status404NotFound)
            {
                return new ApiProblem(outcome.Problem);
            }
        }

        return TypedResults.NoContent();
    }

    private static bool StillQueued(Ticket ticket, IReadOnlyList<string> teamIds) =>
        ticket.AssigneeId is null
        && ticket.Status.IsActive()
        && ticket.Status != TicketStatus.WaitingOnCustomer
        && (ticket.TeamId is null || teamIds.Contains(ticket.TeamId));
}
