using FluentValidation;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Common;
using Microsoft.AspNetCore.Http.HttpResults;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Tickets;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Merge;

public sealed record MergeRequest(string? IntoId);

internal sealed class MergeValidator : AbstractValidator<MergeRequest>
{
    public MergeValidator() => RuleFor(r => r.IntoId).NotEmpty();
}

/// <summary>
/// <c>POST /api/tickets/{id}/merge</c> <c>{ intoId }</c> merges ticket {id} into another;
/// <c>POST /api/tickets/{id}/merge/undo</c> gives it back within <c>Tickets:MergeUndoMinutes</c>.
/// Both answer the ticket {id} (a tombstone after a merge, showing <c>mergedIntoId</c>). Tickets
/// of different accounts are merged by supervisors only. Later messages to the tombstone (API,
/// portal, mail) land on the target (TicketLookup.FollowMerge).
/// </summary>
public static class MergeEndpoints
{
    public static RouteGroupBuilder MapMergeEndpoints(this RouteGroupBuilder api)
    {
        var tickets = api.MapGroup("/tickets/{id}").WithTags("tickets").RequireAuthorization(Policies.Staff);
        tickets.MapPost("/merge", MergeAsync).Validate<MergeRequest>().WithName("MergeTicket").ProducesCommandProblems(StatusCodes.Status400BadRequest, StatusCodes.Status403Forbidden);
        tickets.MapPost("/merge/undo", UndoAsync).WithName("UndoTicketMerge").ProducesCommandProblems();
        return api;
    }

    private static async Task<Results<Ok<TicketResponse>, ApiProblem>> MergeAsync(string id, MergeRequest request, TicketRunner runner, Caller caller, TicketPresenter presenter, HttpContext http, CancellationToken cancellationToken) =>
        await presenter.AnswerAsync(
            await runner.RunAsync<Ticket>(
                id,
                await caller.ActorAsync(cancellationToken),
                TicketPrecondition.IfSent(http.Request),
                async c =>
                {
                    var target = await c.FindAsync(request.IntoId!, cancellationToken);
                    if (target is null)
                    {
                        return Problems.Validation("intoId", "No ticket has this id.");
                    }

                    if (c.Ticket.AccountId != target.AccountId && !caller.User.IsSupervisor)
                    {
                        return Problems.Create(
                            StatusCodes.Status403Forbidden,
                            ProblemTypes.Rule("merge-across-accounts"),
                            "Only a supervisor merges tickets of different accounts.",
                            $"Ticket {c.Ticket.Number} and ticket {target.Number} belong to different accounts.");
                    }

                    c.Ticket.MergeInto(target, c.Actor, c.Now);
                    c.Merge(target);
                    return c.Ticket;
                },
                cancellationToken),
            http.Response,
            cancellationToken);

    private static async Task<Results<Ok<TicketResponse>, ApiProblem>> UndoAsync(string id, TicketRunner runner, Caller caller, TicketPresenter presenter, IOptions<TicketOptions> options, HttpContext http, CancellationToken cancellationToken) =>
        await presenter.AnswerAsync(
            await runner.RunAsync<Ticket>(
                id,
                await caller.ActorAsync(cancellationToken),
                TicketPrecondition.IfSent(http.Request),
                async c =>
                {
                    var target = c.Ticket.MergedIntoId is { } intoId ? await c.FindAsync(intoId, cancellationToken, TicketLookup.IncludingDeleted) : null;
                    if (target is null)
                    {
                        return Problems.Create(StatusCodes.Status409Conflict, ProblemTypes.Rule("not-merged"), "The ticket is not merged.", $"Ticket {c.Ticket.Number} is not merged into another ticket.");
                    }

                    c.Ticket.UndoMerge(target, TimeSpan.FromMinutes(options.Value.MergeUndoMinutes), c.Actor, c.Now);
                    c.UndoMerge(target);
                    return c.Ticket;
                },
                cancellationToken),
            http.Response,
            cancellationToken);
}
