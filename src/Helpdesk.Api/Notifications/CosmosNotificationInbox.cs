using System.Globalization;
using System.Net;
using Helpdesk.Api.Common;
using Helpdesk.Api.Storage.Cosmos;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Common;
using Microsoft.Azure.Cosmos;

namespace Helpdesk.Api.Notifications;

/// <summary>
/// The agents' inboxes in the <c>notifications</c> container, each entry in the partition of its
/// ticket, so the GDPR purge of a ticket (which empties the ticket's partition there) erases the
/// entries about it too. An agent's list is therefore a cross-partition query on the indexed
/// <c>type</c>, <c>agentId</c>, <c>state</c> (unread or read) and <c>seq</c>: it costs a fan-out
/// over the container's physical partitions, a few RU each, in exchange for no second copy to
/// purge. Writes create the entry if absent (409 = written already).
/// </summary>
internal sealed class CosmosNotificationInbox(CosmosContainers containers, CosmosSequence sequence, CosmosRetry retry) : INotificationInbox
{
    private const string EntryType = "inboxEntry";
    private const string Unread = "unread";
    private const string Read = "read";
    private const string OrderSequence = "order:inbox";

    public async Task AddAsync(string agentId, InboxEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var container = await containers.GetAsync(CosmosContainers.Notifications, cancellationToken);
        var document = new EntryDocument(
            CosmosIds.Safe(entry.Id),
            entry.Id,
            entry.TicketId,
            EntryType,
            agentId,
            await sequence.NextAsync(OrderSequence, cancellationToken),
            Names.Of(entry.Kind),
            entry.TicketNumber,
            entry.Title,
            entry.Snippet,
            TicketDocument.Time(entry.CreatedAt),
            Unread,
            null);
        try
        {
            await retry.RunAsync(ct => container.CreateItemAsync(document, new PartitionKey(document.TicketId), new ItemRequestOptions { EnableContentResponseOnWrite = false }, ct), cancellationToken);
        }
        catch (CosmosException e) when (e.StatusCode == HttpStatusCode.Conflict)
        {
            // Written by an earlier delivery of the same event: the first entry stands.
        }
    }

    public async Task<Page<InboxEntry>> ListAsync(string agentId, bool unreadOnly, int limit, string? cursor, CancellationToken cancellationToken)
    {
        var query = new QueryDefinition(
                $"SELECT * FROM c WHERE c.type = @type AND c.agentId = @agent AND c.seq < @before{(unreadOnly ? " AND c.state = @unread" : string.Empty)} ORDER BY c.seq DESC")
            .WithParameter("@type", EntryType)
            .WithParameter("@agent", agentId)
            .WithParameter("@before", cursor is null ? long.MaxValue : Paging.DecodeKey(cursor))
            .WithParameter("@unread", Unread);
        var container = await containers.GetAsync(CosmosContainers.Notifications, cancellationToken);
        var rows = await CosmosQueries.TakeAsync<EntryDocument>(container, query, limit + 1, partitionKey: null, retry, cancellationToken);
        return new Page<InboxEntry>([.. rows.Take(limit).Select(Entry)], rows.Count > limit ? Paging.EncodeKey(rows[limit - 1].Seq) : null);
    }

    public async Task<int> UnreadCountAsync(string agentId, CancellationToken cancellationToken)
    {
        var query = new QueryDefinition("SELECT VALUE COUNT(1) FROM c WHERE c.type = @type AND c.agentId = @agent AND c.state = @unread")
            .WithParameter("@type", EntryType)
            .WithParameter("@agent", agentId)
            .WithParameter("@unread", Unread);
        var container = await containers.GetAsync(CosmosContainers.Notifications, cancellationToken);
        var count = await CosmosQueries.TakeAsync<int>(container, query, 1, partitionKey: null, retry, cancellationToken);
        return count.Count == 0 ? 0 : count[0];
    }

    public async Task<InboxEntry?> MarkReadAsync(string agentId, string id, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var query = new QueryDefinition("SELECT * FROM c WHERE c.type = @type AND c.id = @id AND c.agentId = @agent")
            .WithParameter("@type", EntryType)
            .WithParameter("@id", CosmosIds.Safe(id))
            .WithParameter("@agent", agentId);
        var container = await containers.GetAsync(CosmosContainers.Notifications, cancellationToken);
        var found = await CosmosQueries.TakeAsync<EntryDocument>(container, query, 1, partitionKey: null, retry, cancellationToken);
        if (found.Count == 0)
        {
            return null;
        }

        return Entry(found[0].State == Read ? found[0] : await MarkAsync(container, found[0], now, cancellationToken));
    }

    public async Task<int> MarkAllReadAsync(string agentId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var query = new QueryDefinition("SELECT * FROM c WHERE c.type = @type AND c.agentId = @agent AND c.state = @unread")
            .WithParameter("@type", EntryType)
            .WithParameter("@agent", agentId)
            .WithParameter("@unread", Unread);
        var container = await containers.GetAsync(CosmosContainers.Notifications, cancellationToken);
        using var iterator = container.GetItemQueryIterator<EntryDocument>(query);
        var marked = 0;
        while (iterator.HasMoreResults)
        {
            foreach (var document in await retry.RunAsync(iterator.ReadNextAsync, cancellationToken))
            {
                await MarkAsync(container, document, now, cancellationToken);
                marked++;
            }
        }

        return marked;
    }

    /// <summary>
    /// Sets the read time, guarded by the entry's ETag: a concurrent read that won keeps its
    /// (first) read time, which the loser reads back.
    /// </summary>
    private async Task<EntryDocument> MarkAsync(Container container, EntryDocument document, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var partition = new PartitionKey(document.TicketId);
        while (true)
        {
            ItemResponse<EntryDocument> current;
            try
            {
                current = await retry.RunAsync(ct => container.ReadItemAsync<EntryDocument>(document.Id, partition, cancellationToken: ct), cancellationToken);
            }
            catch (CosmosException e) when (e.StatusCode == HttpStatusCode.NotFound)
            {
                // Purged with its ticket meanwhile.
                return document;
            }

            if (current.Resource.State == Read)
            {
                return current.Resource;
            }

            var read = current.Resource with { State = Read, ReadAt = TicketDocument.Time(now) };
            try
            {
                await retry.RunAsync(
                    ct => container.ReplaceItemAsync(read, read.Id, partition, new ItemRequestOptions { IfMatchEtag = current.ETag, EnableContentResponseOnWrite = false }, ct),
                    cancellationToken);
                return read;
            }
            catch (CosmosException e) when (e.StatusCode == HttpStatusCode.PreconditionFailed)
            {
                // Changed meanwhile: read it again.
            }
        }
    }

    private static InboxEntry Entry(EntryDocument d) =>
        new(
            d.EntryId,
            Names.TryParse<InboxEntryKind>(d.Kind, out var kind) ? kind : throw new InvalidDataException($"Unknown inbox entry kind {d.Kind}."),
            d.TicketId,
            d.TicketNumber,
            d.Title,
            d.Snippet,
            Time(d.CreatedAt),
            d.ReadAt is null ? null : Time(d.ReadAt));

    private static DateTimeOffset Time(string value) =>
        DateTimeOffset.Parse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    private sealed record EntryDocument(
        string Id,
        string EntryId,
        string TicketId,
        string Type,
        string AgentId,
        long Seq,
        string Kind,
        string TicketNumber,
        string Title,
        string? Snippet,
        string CreatedAt,
        string State,
        string? ReadAt);
}
