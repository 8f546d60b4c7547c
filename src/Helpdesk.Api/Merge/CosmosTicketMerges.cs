using System.Text.Json.Nodes;
using Helpdesk.Api.Common;
using Helpdesk.Api.Storage.Cosmos;
using Helpdesk.Api.Tickets;
using Helpdesk.Api.Time;
using Helpdesk.Domain.Tickets;
using Microsoft.Azure.Cosmos;

namespace Helpdesk.Api.Merge;

/// <summary>
/// Merges and their undo on Cosmos DB, without a transaction across the two tickets' partitions
/// (docs/adr/0007-merge-delete-purge.md): the moved items are copied into the receiving
/// partition first (invisible: no index points at them yet), then the source's commit decides
/// the merge, and <see cref="CosmosTicketStore.CompleteMergeAsync"/> does the target's commit.
/// A source commit that is refused (something moved on) deletes the copies and changes nothing.
/// </summary>
internal sealed class CosmosTicketMerges(CosmosContainers containers, CosmosTicketStore tickets, CosmosTicketItems items, CosmosRetry retry) : ITicketMerges
{
    /// <summary>The kinds of items a merge moves: the thread, the files and the work, and agents' running timers.</summary>
    private static readonly HashSet<string> MovedKinds = new(["message", "attachment", "time", "cost", "activity", CosmosTimeStore.TimerKind], StringComparer.Ordinal);

    public async Task MergeAsync(Ticket source, Ticket target, CancellationToken cancellationToken)
    {
        await WriteSourceAsync(source, target, cancellationToken);
        await tickets.CompleteMergeAsync(source.Id, cancellationToken);
    }

    public async Task UndoAsync(Ticket source, Ticket target, CancellationToken cancellationToken)
    {
        await WriteUndoSourceAsync(source, target, cancellationToken);
        await tickets.CompleteMergeAsync(source.Id, cancellationToken);
    }

    /// <summary>The first write of a merge: the copies in the target's partition, then the source's commit with its pending record.</summary>
    internal async Task WriteSourceAsync(Ticket source, Ticket target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        var container = await containers.GetAsync(CosmosContainers.Tickets, cancellationToken);
        var document = await tickets.ReadDocumentAsync(source.Id, cancellationToken) ?? throw new ConcurrencyConflictException($"Ticket {source.Number} no longer exists.");
        var refs = document.ItemRefs.Where(r => MovedKinds.Contains(r.Kind)).ToArray();
        var values = await ReadValuesAsync(container, retry, source.Id, refs, cancellationToken);
        var moves = new List<MergeMove>();
        var writes = new List<ItemWrite>();
        var copies = new List<string>();
        try
        {
            foreach (var r in refs)
            {
                if (!values.TryGetValue(r.Doc, out var value) || (r.Kind == CosmosTimeStore.TimerKind && value.Value["running"] is null))
                {
                    continue;
                }

                var copy = await CopyAsync(container, retry, value, target.Id, cancellationToken);
                copies.Add(copy);
                moves.Add(new MergeMove(r.Kind, r.Id, copy, r.Version, r.Internal));
                writes.Add(new ItemWrite(r.Kind, r.Id, r.Version, null));
            }

            var merge = source.MergedInto!;
            writes.Add(new ItemWrite(CosmosTicketStore.MergeKind, CosmosTicketStore.PendingMergeId, null, new MergeRecord(false, target.Id, source.PendingHistory[^1].Actor, merge.At, moves)));
            await items.WriteAsync(source, source.Id, writes, [], cancellationToken);
        }
        catch
        {
            foreach (var copy in copies)
            {
                using var deleted = await container.DeleteItemStreamAsync(copy, new PartitionKey(target.Id), cancellationToken: CancellationToken.None);
            }

            throw;
        }
    }

    /// <summary>
    /// The first write of an undo: what the merge moved and the target still holds (a timer only
    /// if it is still the one that was moved) copied back into the source's partition and
    /// committed with the source's own change and the pending undo record.
    /// </summary>
    internal async Task WriteUndoSourceAsync(Ticket source, Ticket target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        var container = await containers.GetAsync(CosmosContainers.Tickets, cancellationToken);
        var merged = await items.FindAsync<MergeRecord>(source.Id, CosmosTicketStore.MergeKind, CosmosTicketStore.DoneMergeId, cancellationToken)
            ?? throw new InvalidOperationException($"Ticket {source.Id} has no record of its merge into {target.Id}.");
        var record = merged.Value;
        var held = (await tickets.ReadDocumentAsync(target.Id, cancellationToken))?.ItemRefs ?? [];
        var refs = held.Where(r => record.Moves.Any(m => m.Kind == r.Kind && m.Id == r.Id)).ToArray();
        var values = await ReadValuesAsync(container, retry, target.Id, refs, cancellationToken);
        var back = new List<MergeMove>();
        var writes = new List<ItemWrite>();
        foreach (var r in refs.OrderBy(r => CosmosTicketStore.TimePart(r.Id), StringComparer.Ordinal))
        {
            if (!values.TryGetValue(r.Doc, out var value) || (r.Kind == CosmosTimeStore.TimerKind && (value.Value["running"]?["startedAt"] is not { } started || started.GetValue<DateTimeOffset>() > record.At)))
            {
                // Gone meanwhile, or a timer started on the target after the merge: it stays there.
                continue;
            }

            Repoint(value.Value, r.Kind, source.Id);
            back.Add(new MergeMove(r.Kind, r.Id, r.Doc, r.Version, r.Internal));
            writes.Add(new ItemWrite(r.Kind, r.Id, null, value.Value, value.Key, r.Internal));
        }

        var undone = source.PendingHistory[^1];
        writes.Add(new ItemWrite(CosmosTicketStore.MergeKind, CosmosTicketStore.DoneMergeId, null, null));
        writes.Add(new ItemWrite(CosmosTicketStore.MergeKind, CosmosTicketStore.PendingMergeId, null, new MergeRecord(true, target.Id, undone.Actor, undone.At, back)));
        await items.WriteAsync(source, source.Id, writes, [], cancellationToken);
    }

    /// <summary>A copy of an item's value in another ticket's partition, pointing at that ticket; invisible until that ticket's index names it.</summary>
    internal static async Task<string> CopyAsync(Container container, CosmosRetry retry, ItemDocument<JsonNode> value, string ticketId, CancellationToken cancellationToken)
    {
        Repoint(value.Value, value.Kind, ticketId);
        var copy = value with { Id = $"{value.Kind}:{value.ItemId}:{Guid.NewGuid():N}", TicketId = ticketId };
        await retry.RunAsync(ct => container.CreateItemAsync(copy, new PartitionKey(ticketId), new ItemRequestOptions { EnableContentResponseOnWrite = false }, ct), cancellationToken);
        return copy.Id;
    }

    /// <summary>Points a value's <c>ticketId</c> (a timer slot's: its running timer's) at another ticket.</summary>
    private static void Repoint(JsonNode value, string kind, string ticketId)
    {
        if ((kind == CosmosTimeStore.TimerKind ? value["running"] : value) is JsonObject owner)
        {
            owner["ticketId"] = ticketId;
        }
    }

    /// <summary>The documents of <paramref name="refs"/> in one ticket's partition, by document id (one single-partition query).</summary>
    internal static async Task<Dictionary<string, ItemDocument<JsonNode>>> ReadValuesAsync(Container container, CosmosRetry retry, string ticketId, ItemRef[] refs, CancellationToken cancellationToken)
    {
        if (refs.Length == 0)
        {
            return new(StringComparer.Ordinal);
        }

        var query = new QueryDefinition("SELECT * FROM c WHERE c.ticketId = @ticket AND ARRAY_CONTAINS(@ids, c.id)")
            .WithParameter("@ticket", ticketId)
            .WithParameter("@ids", refs.Select(r => r.Doc).ToArray());
        var rows = await CosmosQueries.TakeAsync<ItemDocument<JsonNode>>(container, query, refs.Length, new PartitionKey(ticketId), retry, cancellationToken);
        return rows.ToDictionary(r => r.Id, StringComparer.Ordinal);
    }
}
