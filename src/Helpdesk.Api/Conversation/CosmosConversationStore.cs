using Helpdesk.Api.Common;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Conversation;

/// <summary>Messages as items of their ticket's partition, committed with the ticket change that records them.</summary>
internal sealed class CosmosConversationStore(CosmosTicketItems items) : IConversationStore, IConversationSearch
{
    /// <summary>An internal note or a private message is flagged in the ticket's item index, so the customer's thread skips it unread.</summary>
    public static CosmosItemKind ItemKind { get; } = new(TicketItemKinds.Message)
    {
        Internal = value => !((TicketMessage)value).Visibility.IsCustomerVisible(),
        SearchText = value => ((TicketMessage)value).Text,
    };

    public async Task<Page<TicketMessage>> ListAsync(string ticketId, bool includeInternal, int limit, string? cursor, CancellationToken cancellationToken) =>
        (await items.ListAsync<TicketMessage>(ticketId, TicketItemKinds.Message, r => includeInternal || !r.Internal, limit, cursor, cancellationToken)).Map(m => m.Value);

    public async Task<TicketMessage?> FindAsync(string ticketId, string messageId, CancellationToken cancellationToken) =>
        (await items.FindAsync<TicketMessage>(ticketId, TicketItemKinds.Message, messageId, cancellationToken))?.Value;

    /// <summary>
    /// Per ticket of the page, its document's item index names the newest message whose searched
    /// text (lower-cased, bounded: <see cref="CosmosItemKind.Searchable"/>) holds the term, and that
    /// message is read: two point reads per ticket, the tickets read side by side.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, TicketMessage>> NewestMatchesAsync(IReadOnlyCollection<string> ticketIds, string text, bool includeInternal, CancellationToken cancellationToken)
    {
        var term = text.ToLowerInvariant();
        var found = await Task.WhenAll(ticketIds.Select(async id => (
            Id: id,
            Message: await items.NewestAsync<TicketMessage>(
                id,
                TicketItemKinds.Message,
                r => (includeInternal || !r.Internal) && r.Text?.Contains(term, StringComparison.Ordinal) == true,
                cancellationToken))));
        return found.Where(f => f.Message is not null).ToDictionary(f => f.Id, f => f.Message!.Value, StringComparer.Ordinal);
    }
}
