using Helpdesk.Api.Tickets;
using Microsoft.Azure.Cosmos;

namespace Helpdesk.Api.Attachments;

/// <summary>A ticket's attachments as items of its partition, keyed by their content hash for the cross-ticket reference check.</summary>
internal sealed class CosmosAttachmentIndex(CosmosTicketItems items) : IAttachmentIndex
{
    private const string Kind = TicketItemKinds.Attachment;

    /// <summary>Keyed by the content hash, for the cross-ticket reference check.</summary>
    public static CosmosItemKind ItemKind { get; } = new(Kind) { Key = value => ((Attachment)value).Hash };

    public async Task<IReadOnlyList<Attachment>> ListAsync(string ticketId, CancellationToken cancellationToken) =>
        [.. (await items.AllAsync<Attachment>(ticketId, Kind, cancellationToken)).Select(a => a.Value)];

    public async Task<Attachment?> FindAsync(string ticketId, string attachmentId, CancellationToken cancellationToken) =>
        (await items.FindAsync<Attachment>(ticketId, Kind, attachmentId, cancellationToken))?.Value;

    public async Task<bool> IsReferencedAsync(string hash, CancellationToken cancellationToken)
    {
        var query = new QueryDefinition($"SELECT * FROM c WHERE c.type = '{CosmosTicketItems.ItemType}' AND c.kind = '{Kind}' AND c.key = @hash").WithParameter("@hash", hash);
        await foreach (var _ in items.QueryAsync<Attachment>(query, cancellationToken))
        {
            return true;
        }

        return false;
    }
}
