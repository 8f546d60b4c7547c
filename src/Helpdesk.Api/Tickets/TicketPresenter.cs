using Helpdesk.Api.Common;
using Helpdesk.Api.Sla;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Tickets;

/// <summary>Turns tickets into their representation, with the SLA clocks as of now.</summary>
public sealed class TicketPresenter(SlaCatalog catalog, TimeProvider clock)
{
    public async Task<TicketResponse> PresentAsync(Ticket ticket, CancellationToken cancellationToken)
    {
        var settings = await catalog.GetAsync(cancellationToken);
        return Present(ticket, settings, clock.GetUtcNow());
    }

    public async Task<Page<TicketResponse>> PresentAsync(Page<Ticket> page, CancellationToken cancellationToken)
    {
        var settings = await catalog.GetAsync(cancellationToken);
        var now = clock.GetUtcNow();
        return page.Map(ticket => Present(ticket, settings, now));
    }

    private static TicketResponse Present(Ticket ticket, SlaSettings settings, DateTimeOffset now) =>
        TicketResponse.From(ticket, settings.StatusOf(ticket, now) is { } status ? TicketSlaResponse.From(status) : null);

    /// <summary>The answer of a command on a ticket: the ticket as saved with its ETag, or the problem that refused the command.</summary>
    public async Task<IResult> AnswerAsync(Outcome<Ticket> outcome, HttpResponse response, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (!outcome.Succeeded)
        {
            return TypedResults.Problem(outcome.Problem);
        }

        ETags.Set(response, outcome.Value.Version);
        return TypedResults.Ok(await PresentAsync(outcome.Value, cancellationToken));
    }
}
