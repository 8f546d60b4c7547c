using Helpdesk.Api.Auth;
using Helpdesk.Api.Common;
using Microsoft.AspNetCore.Http.HttpResults;
using Helpdesk.Api.Storage;
using Helpdesk.Api.Storage.Sqlite;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Deletion;

/// <summary>
/// Deleting tickets. <c>DELETE /api/tickets/{id}</c> (supervisor) soft-deletes: the ticket
/// vanishes from every route, view, search and report (404) and <c>POST /api/tickets/{id}/restore</c>
/// (supervisor) brings it back. <c>POST /api/tickets/{id}/purge</c> (admin) erases it for good,
/// deleted or not, with its files unless another ticket carries the same bytes, and with the
/// tickets merged into it.
/// </summary>
public static class DeletionEndpoints
{
    public static IServiceCollection AddDeletion(this IServiceCollection services) =>
        services
            .AddSqliteMigration(SqliteTicketPurge.Migration.Name, SqliteTicketPurge.Migration.Sql)
            .AddSingleton<SqliteTicketPurge>()
            .AddScoped<TicketPurges>()
            .AddSingleton(StoreSelection.Of<ITicketPurge, SqliteTicketPurge, CosmosTicketPurge>());

    public static RouteGroupBuilder MapDeletionEndpoints(this RouteGroupBuilder api)
    {
        var tickets = api.MapGroup("/tickets/{id}").WithTags("tickets");
        tickets.MapDelete("/", DeleteAsync).RequireAuthorization(Policies.Supervisor).WithName("DeleteTicket");
        tickets.MapPost("/restore", RestoreAsync).RequireAuthorization(Policies.Supervisor).WithName("RestoreTicket");
        tickets.MapPost("/purge", PurgeAsync).RequireAuthorization(Policies.Admin).WithName("PurgeTicket");
        return api;
    }

    private static async Task<Results<NoContent, ApiProblem>> DeleteAsync(string id, HttpContext http, TicketRunner runner, Caller caller, CancellationToken cancellationToken) =>
        await (await runner.RunAsync(id, await caller.ActorAsync(cancellationToken), TicketPrecondition.IfSent(http.Request), c => c.Ticket.Delete(c.Actor, c.Now), cancellationToken))
            .ToResultsAsync(_ => Task.FromResult(TypedResults.NoContent()));

    private static async Task<Results<Ok<TicketResponse>, ApiProblem>> RestoreAsync(string id, TicketRunner runner, Caller caller, TicketPresenter presenter, HttpContext http, CancellationToken cancellationToken) =>
        await presenter.AnswerAsync(
            await runner.RunAsync<Ticket>(
                id,
                await caller.ActorAsync(cancellationToken),
                TicketPrecondition.IfSent(http.Request),
                c =>
                {
                    c.Ticket.Restore(c.Actor, c.Now);
                    return c.Ticket;
                },
                cancellationToken,
                TicketLookup.IncludingDeleted),
            http.Response,
            cancellationToken);

    private static async Task<Results<NoContent, ApiProblem>> PurgeAsync(
        string id,
        ITicketStore store,
        TicketPurges purges,
        Caller caller,
        TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var ticket = await store.FindIncludingDeletedAsync(id, cancellationToken);
        if (ticket is null)
        {
            return new ApiProblem(Problems.Missing("ticket"));
        }

        if (ticket.MergedIntoId is not null)
        {
            return new ApiProblem(Problems.Create(
                StatusCodes.Status409Conflict,
                ProblemTypes.Rule("ticket-merged"),
                "A merged ticket is purged with the ticket it was merged into.",
                $"Ticket {ticket.Number} was merged into another ticket, which now holds its content: purge that one (it takes this one along), or undo the merge first."));
        }

        await purges.PurgeAsync(ticket, await caller.ActorAsync(cancellationToken), clock.GetUtcNow(), cancellationToken);
        return TypedResults.NoContent();
    }
}
