using Helpdesk.Api.Common;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Conversation;

/// <summary>Messages as items of their ticket's partition, committed with the ticket change that records them.</summary>
internal sealed class CosmosConversationStore(CosmosTicketItems items) : IConversationStore
{
    internal const string Kind = "message";

    public Task SaveAsync(Ticket ticket, TicketMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        ArgumentNullException.ThrowIfNull(message);
        return items.WriteAsync(ticket, ticket.Id, [new ItemWrite(Kind, message.Id, 0, message, Internal: message.Visibility == MessageVisibility.Internal)], [], cancellationToken);
    }

    public async Task<Page<TicketMessage>> ListAsync(string ticketId, bool includeInternal, int limit, string? cursor, CancellationToken cancellationToken) =>
        (await items.ListAsync<TicketMessage>(ticketId, Kind, r => includeInternal || !r.Internal, limit, cursor, cancellationToken)).Map(m => m.Value);

    public async Task<TicketMessage?> FindAsync(string ticketId, string messageId, CancellationToken cancellationToken) =>
        (await items.FindAsync<TicketMessage>(ticketId, Kind, messageId, cancellationToken))?.Value;
}
