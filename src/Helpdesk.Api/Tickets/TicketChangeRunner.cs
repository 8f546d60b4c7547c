using Helpdesk.Api.Common;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Tickets;

/// <summary>
/// Load, change through the aggregate, save: the shape of every ticket write. When the client
/// sent If-Match the write is conditional (412 when stale, also if a concurrent writer wins the
/// race). Without it the command is re-applied to a fresh read, which is safe because commands
/// state an intent ("resolve") rather than a state to overwrite. A command that writes rows of
/// its own with the ticket (a message) passes its own <c>save</c>, which must be as atomic.
/// </summary>
public sealed class TicketChangeRunner(ITicketStore store, Caller caller, TicketPresenter presenter, TimeProvider clock)
{
    private const int Attempts = 3;

    public async Task<IResult> RunAsync(
        string id,
        HttpContext http,
        bool requireIfMatch,
        Func<Ticket, Actor, DateTimeOffset, Task> change,
        CancellationToken cancellationToken,
        Func<Ticket, CancellationToken, Task>? save = null)
    {
        for (var attempt = 1; ; attempt++)
        {
            var ticket = await store.FindAsync(id, cancellationToken);
            if (ticket is null)
            {
                return Problems.NotFound("ticket");
            }

            var refused = requireIfMatch
                ? ETags.RequireMatch(http.Request, ticket.Version)
                : ETags.CheckIfSent(http.Request, ticket.Version);
            if (refused is not null)
            {
                return refused;
            }

            await change(ticket, await caller.ActorAsync(cancellationToken), clock.GetUtcNow());
            try
            {
                await (save ?? store.SaveAsync)(ticket, cancellationToken);
            }
            catch (ConcurrencyConflictException) when (attempt < Attempts && http.Request.Headers.IfMatch.Count == 0)
            {
                continue;
            }

            ETags.Set(http.Response, ticket.Version);
            return TypedResults.Ok(await presenter.PresentAsync(ticket, cancellationToken));
        }
    }

    public Task<IResult> RunAsync(string id, HttpContext http, Action<Ticket, Actor, DateTimeOffset> change, CancellationToken cancellationToken) =>
        RunAsync(
            id,
            http,
            requireIfMatch: false,
            (ticket, actor, now) =>
            {
                change(ticket, actor, now);
                return Task.CompletedTask;
            },
            cancellationToken);
}
