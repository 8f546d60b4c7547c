using System.Net;
using Helpdesk.Api.Storage.Cosmos;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Tickets;
using Microsoft.Azure.Cosmos;

namespace Helpdesk.Api.Events;

/// <summary>
/// The relay of Cosmos DB mode when the app runs on its own (in Azure, the change feed runs
/// <c>RelayOutbox</c> instead): it finds the ticket documents that hold events (the indexed
/// <c>hasEvents</c> column), publishes their events to the local queue through
/// <see cref="OutboxRelay.PublishAsync"/> (once per event id), and only then removes them from
/// the document, guarded by its ETag. A write in between makes the removal fail; the document is
/// read again and its events, old and new, published again (the old ones are skipped as already
/// published). A crash between publishing and removing leaves events in the document that the
/// next sweep skips the same way: none lost, none repeated, and a drained document keeps no
/// events at all.
/// </summary>
public sealed class CosmosEventRelay(CosmosContainers containers, OutboxRelay outbox, CosmosRetry retry) : IStoredEventSource
{
    public async Task<int> RelayPendingAsync(CancellationToken cancellationToken)
    {
        var container = await containers.GetAsync(CosmosContainers.Tickets, cancellationToken);
        var ids = new List<string>();
        using (var iterator = container.GetItemQueryIterator<IdRow>(new QueryDefinition("SELECT c.id FROM c WHERE c.type = 'ticket' AND c.hasEvents = true")))
        {
            while (iterator.HasMoreResults)
            {
                ids.AddRange((await retry.RunAsync(iterator.ReadNextAsync, cancellationToken)).Select(r => r.Id));
            }
        }

        var published = 0;
        foreach (var id in ids)
        {
            published += await DrainAsync(container, id, cancellationToken);
        }

        return published;
    }

    public async Task<DateTimeOffset?> OldestPendingAsync(CancellationToken cancellationToken)
    {
        var container = await containers.GetAsync(CosmosContainers.Tickets, cancellationToken);
        DateTimeOffset? oldest = null;
        using var iterator = container.GetItemQueryIterator<EventsRow>(new QueryDefinition("SELECT c.events FROM c WHERE c.type = 'ticket' AND c.hasEvents = true"));
        while (iterator.HasMoreResults)
        {
            foreach (var row in await retry.RunAsync(iterator.ReadNextAsync, cancellationToken))
            {
                foreach (var pending in row.Events)
                {
                    oldest = oldest is null || pending.OccurredAt < oldest ? pending.OccurredAt : oldest;
                }
            }
        }

        return oldest;
    }

    private async Task<int> DrainAsync(Container container, string id, CancellationToken cancellationToken)
    {
        var published = 0;
        while (true)
        {
            ItemResponse<TicketDocument> read;
            try
            {
                read = await retry.RunAsync(ct => container.ReadItemAsync<TicketDocument>(id, new PartitionKey(id), cancellationToken: ct), cancellationToken);
            }
            catch (CosmosException e) when (e.StatusCode == HttpStatusCode.NotFound)
            {
                return published;
            }

            var document = read.Resource;
            if (document.Events.Count == 0)
            {
                return published;
            }

            published += await outbox.PublishAsync(document.Events, cancellationToken);
            try
            {
                await retry.RunAsync(
                    ct => container.ReplaceItemAsync(document with { Events = [] }, id, new PartitionKey(id), new ItemRequestOptions { IfMatchEtag = read.ETag, EnableContentResponseOnWrite = false }, ct),
                    cancellationToken);
                return published;
            }
            catch (CosmosException e) when (e.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.NotFound)
            {
                // Written meanwhile: read it again, with the events of that write.
            }
        }
    }

    private sealed record IdRow(string Id);

    private sealed record EventsRow(IReadOnlyList<DomainEvent> Events);
}
