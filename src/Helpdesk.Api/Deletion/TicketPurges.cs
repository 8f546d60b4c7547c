using Helpdesk.Api.Attachments;
using Helpdesk.Api.Calendar;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Deletion;

/// <summary>
/// The one way a ticket is purged for good, by an admin (<c>POST /api/tickets/{id}/purge</c>) or by
/// the retention timer: the tombstones merged into it go with it (their content is on it now), the
/// Outlook events of its on-site visits are removed first (nothing would point at them any more),
/// then <see cref="ITicketPurge"/> erases it with its audit row, and the files it carried are
/// forgotten unless another ticket has the same bytes.
/// </summary>
public sealed class TicketPurges(ITicketStore store, ITicketPurge purge, AttachmentContents contents, CalendarCleanup calendar)
{
    /// <summary>Purges <paramref name="ticket"/>, which must not be merged into another ticket (that one takes it along).</summary>
    public async Task PurgeAsync(Ticket ticket, Actor by, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        if (ticket.MergedIntoId is not null)
        {
            throw new InvalidOperationException($"Ticket {ticket.Id} is merged into {ticket.MergedIntoId}: purge that one.");
        }

        var group = new List<Ticket> { ticket };
        foreach (var fromId in ticket.MergedFromIds)
        {
            if (await store.FindIncludingDeletedAsync(fromId, cancellationToken) is { } tombstone)
            {
                group.Add(tombstone);
            }
        }

        foreach (var erased in group)
        {
            await calendar.RemoveVisitsOfAsync(erased.Id, cancellationToken);
        }

        var purged = await purge.PurgeAsync(group, by, now, cancellationToken);
        foreach (var hash in purged.AttachmentHashes)
        {
            await contents.ForgetUnlessReferencedAsync(hash, cancellationToken);
        }
    }
}
