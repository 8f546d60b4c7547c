using Helpdesk.Api.Common;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Conversation;

/// <summary>Messages as items of their ticket's partition, committed with the ticket change that records them.</summary>
internal sealed class CosmosConversationStore(CosmosTicketItems items) : IConversationStore
{
    /// <summary>An internal note or a private message is flagged in the ticket's item index, so the customer's thread skips it unread.</summary>
    public static CosmosItemKind ItemKind { get; } = new(TicketItemKinds.Message) { Internal = value => !((TicketMessage)value).Visibility.IsCustomerVisible() };

    public async Task<Page<TicketMessage>> ListAsync(string ticketId, bool includeInternal, int limit, string? cursor, CancellationToken cancellationToken) =>
        (await items.ListAsync<TicketMessage>(ticketId, TicketItemKinds.Message, r => includeInternal || !r.Internal, limit, cursor, cancellationToken)).Map(m => m.Value);

    public async Task<TicketMessage?> FindAsync(string ticketId, string messageId, CancellationToken cancellationToken) =>
        (await items.FindAsync<TicketMessage>(ticketId, TicketItemKinds.Message, messageId, cancellationToken))?.Value;
}
