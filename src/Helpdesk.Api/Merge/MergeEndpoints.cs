using FluentValidation;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Common;
using Helpdesk.Api.Storage;
using Helpdesk.Api.Storage.Sqlite;
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
/// Writes a merge or its undo atomically: both tickets (guarded by their versions) and the
/// re-pointing of the source's messages, files, time, cost lines and activities.
/// </summary>
public interface ITicketMerges
{
    /// <summary>Throws <see cref="ConcurrencyConflictException"/> when either ticket moved on since it was read.</summary>
    Task MergeAsync(Ticket source, Ticket target, CancellationToken cancellationToken);

    /// <summary>Moves back exactly what the merge moved; throws <see cref="ConcurrencyConflictException"/> like a merge.</summary>
    Task UndoAsync(Ticket source, Ticket target, CancellationToken cancellationToken);
}

/// <summary>
/// <c>POST /api/tickets/{id}/merge</c> <c>{ intoId }</c> merges ticket {id} into another;
/// <c>POST /api/tickets/{id}/merge/undo</c> gives it back within <c>Tickets:MergeUndoMinutes</c>.
/// Both answer the ticket {id} (a tombstone after a merge, showing <c>mergedIntoId</c>). Tickets
/// of different accounts are merged by supervisors only. Later messages to the tombstone (API,
/// portal, mail) land on the target: see <see cref="Conversation.ConversationService"/>.
/// </summary>
public static class MergeEndpoints
{
    private const int Attempts = 3;

    public static IServiceCollection AddMerge(this IServiceCollection services) =>
        services
            .AddSqliteMigration(SqliteTicketMerges.Migration.Name, SqliteTicketMerges.Migration.Sql)
            .AddSingleton(StoreSelection.Of<ITicketMerges, SqliteTicketMerges, CosmosTicketMerges>())
            .AddSingleton<IValidator<MergeRequest>, MergeValidator>();

    public static RouteGroupBuilder MapMergeEndpoints(this RouteGroupBuilder api)
    {
        var tickets = api.MapGroup("/tickets/{id}").WithTags("tickets").RequireAuthorization(Policies.Staff);
        tickets.MapPost("/merge", MergeAsync).Validate<MergeRequest>().WithName("MergeTicket");
        tickets.MapPost("/merge/undo", UndoAsync).WithName("UndoTicketMerge");
        return api;
    }

    private static async Task<IResult> MergeAsync(
        string id,
        MergeRequest request,
        ITicketStore store,
        ITicketMerges merges,
        Caller caller,
        TicketPresenter presenter,
        TimeProvider clock,
        HttpContext http,
        CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var source = await store.FindAsync(id, cancellationToken);
            if (source is null)
            {
                return Problems.NotFound("ticket");
            }

            var target = await store.FindAsync(request.IntoId!, cancellationToken);
            if (target is null)
            {
                return Problems.Result(Problems.Validation("intoId", "No ticket has this id."));
            }

            if (ETags.CheckIfSent(http.Request, source.Version) is { } refused)
            {
                return refused;
            }

            if (source.AccountId != target.AccountId && !caller.User.IsSupervisor)
            {
                return Problems.Result(Problems.Create(
                    StatusCodes.Status403Forbidden,
                    ProblemTypes.Rule("merge-across-accounts"),
                    "Only a supervisor merges tickets of different accounts.",
                    $"Ticket {source.Number} and ticket {target.Number} belong to different accounts."));
            }

            source.MergeInto(target, await caller.ActorAsync(cancellationToken), clock.GetUtcNow());
            try
            {
                await merges.MergeAsync(source, target, cancellationToken);
            }
            catch (ConcurrencyConflictException) when (attempt < Attempts && http.Request.Headers.IfMatch.Count == 0)
            {
                continue;
            }

            ETags.Set(http.Response, source.Version);
            return TypedResults.Ok(await presenter.PresentAsync(source, cancellationToken));
        }
    }

    private static async Task<IResult> UndoAsync(
        string id,
        ITicketStore store,
        ITicketMerges merges,
        Caller caller,
        TicketPresenter presenter,
        IOptions<TicketOptions> options,
        TimeProvider clock,
        HttpContext http,
        CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var source = await store.FindAsync(id, cancellationToken);
            if (source is null)
            {
                return Problems.NotFound("ticket");
            }

            if (ETags.CheckIfSent(http.Request, source.Version) is { } refused)
            {
                return refused;
            }

            var target = source.MergedIntoId is { } intoId ? await store.FindIncludingDeletedAsync(intoId, cancellationToken) : null;
            if (target is null)
            {
                return Problems.Result(Problems.Create(StatusCodes.Status409Conflict, ProblemTypes.Rule("not-merged"), "The ticket is not merged.", $"Ticket {source.Number} is not merged into another ticket."));
            }

            source.UndoMerge(target, TimeSpan.FromMinutes(options.Value.MergeUndoMinutes), await caller.ActorAsync(cancellationToken), clock.GetUtcNow());
            try
            {
                await merges.UndoAsync(source, target, cancellationToken);
            }
            catch (ConcurrencyConflictException) when (attempt < Attempts && http.Request.Headers.IfMatch.Count == 0)
            {
                continue;
            }

            ETags.Set(http.Response, source.Version);
            return TypedResults.Ok(await presenter.PresentAsync(source, cancellationToken));
        }
    }
}
