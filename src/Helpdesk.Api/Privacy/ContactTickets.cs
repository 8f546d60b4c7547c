using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Directory;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Privacy;

/// <summary>A ticket holding a contact's data: one they asked for, or one where a message copied them.</summary>
public sealed record ContactTicket(Ticket Ticket, bool Requested);

/// <summary>
/// The tickets that hold a contact's data, every status, soft-deleted ones too (export and erasure
/// walk them all): those they asked for, then those a message copied them on.
/// </summary>
public sealed class ContactTickets(IPersonTicketIndex index, ITicketStore store)
{
    public async IAsyncEnumerable<ContactTicket> OfAsync(Contact contact, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(contact);
        foreach (var id in await index.TicketIdsAsync(contact.Id, EmailAddresses.Normalize(contact.Email), cancellationToken))
        {
            if (await store.FindIncludingDeletedAsync(id, cancellationToken) is { } ticket)
            {
                yield return new ContactTicket(ticket, ticket.Requester?.ContactId == contact.Id);
            }
        }
    }
}
