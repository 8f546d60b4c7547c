using System.Net;
using Helpdesk.Api.Knowledge;
using Helpdesk.Api.Storage.Cosmos;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;
using Microsoft.Azure.Cosmos;

namespace Helpdesk.Api.Deletion;

/// <summary>
/// The GDPR purge on Cosmos DB (docs/adr/0007-merge-delete-purge.md). Without a transaction
/// across containers, the order makes it safe to repeat: the audit record first (one per ticket
/// number, a repeat finds it), then the ticket's claims (its number, its agents' running timers),
/// the stored idempotent responses that name it, the knowledge articles' link to it, its rows in
/// the embedded file (queue, outbox: what is still there in Cosmos mode), its partition in the
/// other containers partitioned by ticket (notifications), its mail journal rows and
/// Message-IDs, every document of its partition
/// (its resolution among them), and the ticket document last. A process that dies half-way leaves the ticket readable by the
/// admin, and purging it again finishes the job.
/// </summary>
internal sealed class CosmosTicketPurge(CosmosContainers containers, CosmosUniqueKeys keys, SqliteTicketPurge sqlite, CosmosRetry retry) : ITicketPurge
{
    /// <summary>The containers other than <c>tickets</c> partitioned by ticket id: a purge empties the ticket's partition in each.</summary>
    private static readonly string[] TicketPartitioned = [CosmosContainers.Notifications];

    /// <summary>Containers partitioned by their own id that index <c>ticketId</c>: the ticket's documents are found by that index.</summary>
    private static readonly string[] TicketIndexed = [CosmosContainers.MailInbound, CosmosContainers.MailMessageIds];

    public async Task<PurgeResult> PurgeAsync(IReadOnlyList<Ticket> tickets, Actor by, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tickets);
        ArgumentNullException.ThrowIfNull(by);
        var container = await containers.GetAsync(CosmosContainers.Tickets, cancellationToken);
        var hashes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var ticket in tickets)
        {
            var partition = new PartitionKey(ticket.Id);
            var documents = await QueryAsync<PartitionRow>(container, new QueryDefinition("SELECT c.id, c.type, c.kind, c.itemId, c.key FROM c WHERE c.ticketId = @id").WithParameter("@id", ticket.Id), partition, cancellationToken);
            hashes.UnionWith(documents.Where(d => d.Type == CosmosTicketItems.ItemType && d.Kind == TicketItemKinds.Attachment && d.Key is not null).Select(d => d.Key!));

            await AuditAsync(ticket, by, now, cancellationToken);
            await keys.ReleaseAsync(CosmosTicketStore.NumberKind, ticket.Number, ticket.Id, cancellationToken);
            foreach (var agentId in documents.Where(d => d.Type == CosmosTicketItems.ItemType && d.Kind == TicketItemKinds.Timer && d.ItemId is not null).Select(d => d.ItemId!).Distinct(StringComparer.Ordinal))
            {
                await keys.ReleaseAsync(TicketItemKinds.Timer, agentId, ticket.Id, cancellationToken);
            }

            await ForgetResponsesAsync(ticket.Id, cancellationToken);
            await CosmosKnowledgeStore.ForgetSourceAsync(containers, retry, ticket.Id, cancellationToken);
            await sqlite.EraseRowsAsync(ticket.Id, cancellationToken);
            foreach (var name in TicketPartitioned)
            {
                await ErasePartitionAsync(name, ticket.Id, cancellationToken);
            }

            foreach (var name in TicketIndexed)
            {
                await EraseIndexedAsync(name, ticket.Id, cancellationToken);
            }

            foreach (var document in documents.OrderBy(d => d.Id == ticket.Id))
            {
                try
                {
                    await retry.RunAsync(ct => container.DeleteItemAsync<PartitionRow>(document.Id, partition, cancellationToken: ct), cancellationToken);
                }
                catch (CosmosException e) when (e.StatusCode == HttpStatusCode.NotFound)
                {
                    // Deleted by an earlier, interrupted purge.
                }
            }
        }

        return new PurgeResult([.. hashes]);
    }

    private async Task ErasePartitionAsync(string name, string ticketId, CancellationToken cancellationToken)
    {
        var container = await containers.GetAsync(name, cancellationToken);
        var partition = new PartitionKey(ticketId);
        foreach (var row in await QueryAsync<PartitionRow>(container, new QueryDefinition("SELECT c.id FROM c"), partition, cancellationToken))
        {
            using var deleted = await container.DeleteItemStreamAsync(row.Id, partition, cancellationToken: cancellationToken);
            if (!deleted.IsSuccessStatusCode && deleted.StatusCode != HttpStatusCode.NotFound)
            {
                throw new CosmosException($"Purging {name}/{row.Id} failed.", deleted.StatusCode, 0, deleted.Headers.ActivityId, deleted.Headers.RequestCharge);
            }
        }
    }

    private async Task EraseIndexedAsync(string name, string ticketId, CancellationToken cancellationToken)
    {
        var container = await containers.GetAsync(name, cancellationToken);
        foreach (var row in await QueryAsync<PartitionRow>(container, new QueryDefinition("SELECT c.id FROM c WHERE c.ticketId = @id").WithParameter("@id", ticketId), null, cancellationToken))
        {
            using var deleted = await container.DeleteItemStreamAsync(row.Id, new PartitionKey(row.Id), cancellationToken: cancellationToken);
            if (!deleted.IsSuccessStatusCode && deleted.StatusCode != HttpStatusCode.NotFound)
            {
                throw new CosmosException($"Purging {name}/{row.Id} failed.", deleted.StatusCode, 0, deleted.Headers.ActivityId, deleted.Headers.RequestCharge);
            }
        }
    }

    private async Task AuditAsync(Ticket ticket, Actor by, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var purges = await containers.GetAsync(CosmosContainers.Purges, cancellationToken);
        var hash = SqliteTicketPurge.NumberHash(ticket.Number);
        try
        {
            await retry.RunAsync(ct => purges.CreateItemAsync(new PurgeRecord(hash, hash, SqliteTicketPurge.PurgedBy(by), TicketDocument.Time(now)), new PartitionKey(hash), cancellationToken: ct), cancellationToken);
        }
        catch (CosmosException e) when (e.StatusCode == HttpStatusCode.Conflict)
        {
            // Recorded by an earlier, interrupted purge of the same ticket.
        }
    }

    /// <summary>
    /// Stored idempotent responses that point at the ticket (their Location names it). The
    /// container indexes nothing (it is read by id), so this one query scans it: a purge is rare
    /// and the container holds one day of keys.
    /// </summary>
    private async Task ForgetResponsesAsync(string ticketId, CancellationToken cancellationToken)
    {
        var idempotency = await containers.GetAsync(CosmosContainers.Idempotency, cancellationToken);
        var query = new QueryDefinition("SELECT c.id FROM c WHERE IS_STRING(c.response.location) AND CONTAINS(c.response.location, @id)").WithParameter("@id", ticketId);
        foreach (var row in await QueryAsync<PartitionRow>(idempotency, query, null, cancellationToken))
        {
            using var deleted = await idempotency.DeleteItemStreamAsync(row.Id, new PartitionKey(row.Id), cancellationToken: cancellationToken);
        }
    }

    private async Task<List<T>> QueryAsync<T>(Container container, QueryDefinition query, PartitionKey? partition, CancellationToken cancellationToken)
    {
        using var iterator = container.GetItemQueryIterator<T>(query, requestOptions: new QueryRequestOptions { PartitionKey = partition, EnableScanInQuery = true });
        var rows = new List<T>();
        while (iterator.HasMoreResults)
        {
            rows.AddRange(await retry.RunAsync(iterator.ReadNextAsync, cancellationToken));
        }

        return rows;
    }

    private sealed record PartitionRow(string Id, string? Type, string? Kind, string? ItemId, string? Key);

    private sealed record PurgeRecord(string Id, string NumberHash, string PurgedBy, string PurgedAt);
}
