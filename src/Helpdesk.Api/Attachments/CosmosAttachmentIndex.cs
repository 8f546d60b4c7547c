using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Tickets;
using Microsoft.Azure.Cosmos;

namespace Helpdesk.Api.Attachments;

/// <summary>A ticket's attachments as items of its partition, keyed by their content hash for the cross-ticket reference check.</summary>
internal sealed class CosmosAttachmentIndex(CosmosTicketItems items) : IAttachmentIndex
{
    private const string Kind = "attachment";

    public Task AddAsync(Ticket ticket, Attachment attachment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        ArgumentNullException.ThrowIfNull(attachment);
        return items.WriteAsync(ticket, ticket.Id, [new ItemWrite(Kind, attachment.Id, 0, attachment, attachment.Hash)], [], cancellationToken);
    }

    public Task RemoveAsync(Ticket ticket, Attachment attachment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        ArgumentNullException.ThrowIfNull(attachment);
        return items.WriteAsync(ticket, ticket.Id, [new ItemWrite(Kind, attachment.Id, null, null)], [], cancellationToken);
    }

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
