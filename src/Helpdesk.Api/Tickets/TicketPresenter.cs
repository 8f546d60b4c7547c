using Helpdesk.Api.Common;
using Microsoft.AspNetCore.Http.HttpResults;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Tickets;

/// <summary>Turns tickets into their representation, with the SLA clocks as of now.</summary>
public sealed class TicketPresenter(ITicketSlaClocks clocks, TimeProvider clock)
{
    public async Task<TicketResponse> PresentAsync(Ticket ticket, CancellationToken cancellationToken)
    {
        var slas = await clocks.OfAsync([ticket], clock.GetUtcNow(), cancellationToken);
        return TicketResponse.From(ticket, slas[0]);
    }

    public Task<Page<TicketResponse>> PresentAsync(Page<Ticket> page, CancellationToken cancellationToken) =>
        PresentAsync(page, null, cancellationToken);

    /// <summary>A page with each ticket's search match (<see cref="TicketSearch.MatchAsync"/>, in the page's order).</summary>
    public async Task<Page<TicketResponse>> PresentAsync(Page<Ticket> page, IReadOnlyList<TicketMatch?>? matches, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(page);
        var slas = await clocks.OfAsync(page.Items, clock.GetUtcNow(), cancellationToken);
        return new Page<TicketResponse>([.. page.Items.Select((ticket, i) => TicketResponse.From(ticket, slas[i]) with { Match = matches?[i] })], page.NextCursor);
    }

    /// <summary>The answer of a command on a ticket: the ticket as saved with its ETag, or the problem that refused the command.</summary>
    public Task<Results<Ok<TicketResponse>, ApiProblem>> AnswerAsync(Outcome<Ticket> outcome, HttpResponse response, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        return outcome.ToResultsAsync(async ticket =>
        {
            ETags.Set(response, ticket.Version);
            return TypedResults.Ok(await PresentAsync(ticket, cancellationToken));
        });
    }
}
