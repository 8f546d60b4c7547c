using System.Net;
using Helpdesk.Api.Events;
using Helpdesk.Api.Storage.Cosmos;
using Helpdesk.Api.Tickets;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Webhooks;

/// <summary>
/// Webhook subscriptions in the <c>webhooks</c> container (one document each, partition = id, with its place in the order of subscribing from a counter) and
/// the records of served hooks in <c>webhookDeliveries</c> (partition = the event id, id = the
/// hook id, so "was this hook served this event" is one point read). Every Functions instance
/// sees the same subscriptions and records, which a per-instance SQLite file could not give.
/// A record carries a TTL as a backstop for when the hourly purge does not run: the purge deletes
/// it once it is older than <c>KeepDeliveredDays</c> and its event left the queue, which happens
/// at the latest about a day of retries plus <c>KeepDeadDays</c> after it was written; the TTL
/// (<c>KeepDeliveredDays + KeepDeadDays + 2</c> days) is past both.
/// </summary>
internal sealed class CosmosWebhookStore(CosmosContainers containers, CosmosSequence sequence, LocalQueue queue, IOptions<WebhookRetentionOptions> retention, CosmosRetry retry) : IWebhookStore
{
    /// <summary>The order subscriptions were made in (a counter, as SQLite's rowid): ids made in the same millisecond do not sort by time.</summary>
    private const string OrderSequence = "order:webhooks";

    public async Task CreateAsync(WebhookSubscription subscription, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        var container = await containers.GetAsync(CosmosContainers.Webhooks, cancellationToken);
        var document = new SubscriptionDocument(subscription.Id, subscription.Event, await sequence.NextAsync(OrderSequence, cancellationToken), subscription);
        await retry.RunAsync(ct => container.CreateItemAsync(document, new PartitionKey(subscription.Id), cancellationToken: ct), cancellationToken);
    }

    public async Task<WebhookSubscription?> FindAsync(string id, CancellationToken cancellationToken)
    {
        var container = await containers.GetAsync(CosmosContainers.Webhooks, cancellationToken);
        var safe = CosmosIds.Safe(id);
        try
        {
            var read = await retry.RunAsync(ct => container.ReadItemAsync<SubscriptionDocument>(safe, new PartitionKey(safe), cancellationToken: ct), cancellationToken);
            return read.Resource.Subscription;
        }
        catch (CosmosException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<IReadOnlyList<WebhookSubscription>> ForEventAsync(string eventName, CancellationToken cancellationToken)
    {
        var container = await containers.GetAsync(CosmosContainers.Webhooks, cancellationToken);
        var query = new QueryDefinition("SELECT * FROM c WHERE c.event = @event").WithParameter("@event", eventName);
        var hooks = new List<SubscriptionDocument>();
        using var iterator = container.GetItemQueryIterator<SubscriptionDocument>(query);
        while (iterator.HasMoreResults)
        {
            hooks.AddRange(await retry.RunAsync(iterator.ReadNextAsync, cancellationToken));
        }

        // A handful per event: sorted here rather than by an ORDER BY that needs its own index.
        return [.. hooks.OrderBy(h => h.Seq).Select(h => h.Subscription)];
    }

    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken)
    {
        var container = await containers.GetAsync(CosmosContainers.Webhooks, cancellationToken);
        var safe = CosmosIds.Safe(id);
        try
        {
            await retry.RunAsync(ct => container.DeleteItemAsync<SubscriptionDocument>(safe, new PartitionKey(safe), cancellationToken: ct), cancellationToken);
            return true;
        }
        catch (CosmosException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    public async Task<bool> WasServedAsync(string eventId, string hookId, CancellationToken cancellationToken)
    {
        var container = await containers.GetAsync(CosmosContainers.WebhookDeliveries, cancellationToken);
        try
        {
            await retry.RunAsync(ct => container.ReadItemAsync<DeliveryDocument>(CosmosIds.Safe(hookId), new PartitionKey(eventId), cancellationToken: ct), cancellationToken);
            return true;
        }
        catch (CosmosException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    public async Task RecordAsync(string eventId, string hookId, string outcome, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var container = await containers.GetAsync(CosmosContainers.WebhookDeliveries, cancellationToken);
        var days = retention.Value.KeepDeliveredDays + retention.Value.KeepDeadDays + 2;
        var record = new DeliveryDocument(CosmosIds.Safe(hookId), eventId, outcome, TicketDocument.Time(now), (int)TimeSpan.FromDays(days).TotalSeconds);
        try
        {
            await retry.RunAsync(ct => container.CreateItemAsync(record, new PartitionKey(eventId), cancellationToken: ct), cancellationToken);
        }
        catch (CosmosException e) when (e.StatusCode == HttpStatusCode.Conflict)
        {
            // Already recorded by an earlier delivery of the same event: the first record stands.
        }
    }

    public async Task<int> PurgeServedAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        var container = await containers.GetAsync(CosmosContainers.WebhookDeliveries, cancellationToken);
        var query = new QueryDefinition("SELECT c.id, c.eventId FROM c WHERE c.at < @before").WithParameter("@before", TicketDocument.Time(before));
        var old = new List<DeliveryKey>();
        using (var iterator = container.GetItemQueryIterator<DeliveryKey>(query))
        {
            while (iterator.HasMoreResults)
            {
                old.AddRange(await retry.RunAsync(iterator.ReadNextAsync, cancellationToken));
            }
        }

        var purged = 0;
        foreach (var record in old)
        {
            if (await queue.HoldsAsync(QueueNames.Webhooks, record.EventId, cancellationToken))
            {
                continue;
            }

            try
            {
                await retry.RunAsync(ct => container.DeleteItemAsync<DeliveryDocument>(record.Id, new PartitionKey(record.EventId), cancellationToken: ct), cancellationToken);
                purged++;
            }
            catch (CosmosException e) when (e.StatusCode == HttpStatusCode.NotFound)
            {
                // Purged by another instance, or expired, meanwhile.
            }
        }

        return purged;
    }

    private sealed record SubscriptionDocument(string Id, string Event, long Seq, WebhookSubscription Subscription);

    private sealed record DeliveryDocument(string Id, string EventId, string Outcome, string At, int Ttl);

    private sealed record DeliveryKey(string Id, string EventId);
}
