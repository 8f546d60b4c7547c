using Helpdesk.Api.Common;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Conversation;

/// <summary>
/// Reads a ticket's messages. A message is only ever written with the ticket change that records
/// it (history entry, event, timeline), through <see cref="ITicketStore.SaveAsync"/> (kind
/// <see cref="TicketItemKinds.Message"/>).
/// </summary>
public interface IConversationStore
{
    /// <summary>Oldest first. Without <paramref name="includeInternal"/> only public messages are read.</summary>
    Task<Page<TicketMessage>> ListAsync(string ticketId, bool includeInternal, int limit, string? cursor, CancellationToken cancellationToken);

    Task<TicketMessage?> FindAsync(string ticketId, string messageId, CancellationToken cancellationToken);
}
