using Helpdesk.Api.Common;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Conversation;

/// <summary>
/// Where a ticket's messages live. A message is only ever written together with the ticket change
/// that records it (history entry, event, timeline), in one atomic step guarded by the ticket's version.
/// </summary>
public interface IConversationStore
{
    /// <summary>
    /// Stores the message with the ticket's pending changes: an update guarded by the version the
    /// ticket was read at, or an insert when the ticket is new (version 0). Throws
    /// <see cref="ConcurrencyConflictException"/> when the stored ticket moved on.
    /// </summary>
    Task SaveAsync(Ticket ticket, TicketMessage message, CancellationToken cancellationToken);

    /// <summary>Oldest first. Without <paramref name="includeInternal"/> only public messages are read.</summary>
    Task<Page<TicketMessage>> ListAsync(string ticketId, bool includeInternal, int limit, string? cursor, CancellationToken cancellationToken);

    Task<TicketMessage?> FindAsync(string ticketId, string messageId, CancellationToken cancellationToken);
}
