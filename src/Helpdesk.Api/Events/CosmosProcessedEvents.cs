using System.Net;
using Helpdesk.Api.Storage.Cosmos;
using Helpdesk.Api.Tickets;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Events;

/// <summary>
/// What each consumer already did, in the <c>processedEvents</c> container (id = partition = the
/// hash of consumer + event id), so every Functions instance that takes a redelivered message
/// sees the mark another instance wrote. Marking is a create (409 = marked already); each record
/// carries a TTL of <see cref="EventsOptions.ProcessedRetention"/>, so Cosmos DB forgets it and
/// nothing has to purge.
/// </summary>
internal sealed class CosmosProcessedEvents(CosmosContainers containers, CosmosRetry retry, TimeProvider clock, IOptions<EventsOptions> options) : IProcessedEvents
{
    public async Task<bool> IsProcessedAsync(string consumer, string eventId, CancellationToken cancellationToken)
    {
        var container = await containers.GetAsync(CosmosContainers.ProcessedEvents, cancellationToken);
        var id = IdOf(consumer, eventId);
        try
        {
            await retry.RunAsync(ct => container.ReadItemAsync<ProcessedRecord>(id, new PartitionKey(id), cancellationToken: ct), cancellationToken);
            return true;
        }
        catch (CosmosException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    public async Task<bool> TryMarkAsync(string consumer, string eventId, CancellationToken cancellationToken)
    {
        var container = await containers.GetAsync(CosmosContainers.ProcessedEvents, cancellationToken);
        var now = clock.GetUtcNow();
        var record = new ProcessedRecord(IdOf(consumer, eventId), consumer, eventId, TicketDocument.Time(now), (int)options.Value.ProcessedRetention.TotalSeconds);
        try
        {
            await retry.RunAsync(ct => container.CreateItemAsync(record, new PartitionKey(record.Id), new ItemRequestOptions { EnableContentResponseOnWrite = false }, ct), cancellationToken);
            return true;
        }
        catch (CosmosException e) when (e.StatusCode == HttpStatusCode.Conflict)
        {
            return false;
        }
    }

    /// <summary>Nothing to do: each record's TTL deletes it.</summary>
    public Task<int> PurgeExpiredAsync(CancellationToken cancellationToken) => Task.FromResult(0);

    private static string IdOf(string consumer, string eventId) => CosmosIds.Hash(consumer + "\n" + eventId);

    private sealed record ProcessedRecord(string Id, string Consumer, string EventId, string ProcessedAt, int Ttl);
}
