using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Privacy;

/// <summary>The tickets a contact asked for, every status, read page by page (export and erasure walk them all).</summary>
public sealed class ContactTickets(ITicketStore store, TimeProvider clock)
{
    private const int PageSize = 100;

    public async IAsyncEnumerable<Ticket> OfAsync(string contactId, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? cursor = null;
        do
        {
            var page = await store.QueryAsync(new TicketQuery(TicketView.All, clock.GetUtcNow(), PageSize, cursor, ContactId: contactId), cancellationToken);
            foreach (var ticket in page.Items)
            {
                yield return ticket;
            }

            cursor = page.NextCursor;
        }
        while (cursor is not null);
    }
}
