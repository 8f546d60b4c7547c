using System.Text.Json.Nodes;
using Helpdesk.Api.Common;
using Helpdesk.Api.Storage.Cosmos;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;
using Microsoft.Azure.Cosmos;

namespace Helpdesk.Api.Tickets;

/// <summary>
/// An item moved by a merge (or back by its undo): its kind and id, and the document that holds
/// it on the ticket that receives it (merge: the copy in the target's partition; undo: the
/// target's document that the undo takes away), with the version and visibility of its ref.
/// </summary>
internal sealed record MergeMove(string Kind, string Id, string Doc, long Version, bool Internal, string? Text = null);

/// <summary>
/// The record of a merge (or of its undo) on the source ticket, written with the source's own
/// commit: what the target's commit still has to do, by whom and when.
/// </summary>
internal sealed record MergeRecord(bool Undo, string TargetId, Actor By, DateTimeOffset At, IReadOnlyList<MergeMove> Moves);

/// <summary>
/// A merge on Cosmos DB touches two partitions, and there is no transaction across them
/// (docs/adr/0007-merge-delete-purge.md). The source's commit comes first and decides it: the
/// source's document becomes the tombstone (or, for an undo, the live ticket again), with the
/// moved items taken out of (or put back into) its index and a <em>pending</em> merge record
/// naming the target and the moved items. The target's commit follows, then the record is
/// marked done. Whoever reads the source next (any read: the API, a message addressed to it, a
/// retried merge or undo) finds a pending record and completes it first, so a process that
/// died between the two commits leaves nothing half-done for longer than that.
/// </summary>
public sealed partial class CosmosTicketStore
{
    internal const string MergeKind = "merge";
    internal const string PendingMergeId = "pending";
    internal const string DoneMergeId = "done";

    private static bool IsPendingMerge(ItemRef r) => r.Kind == MergeKind && r.Id == PendingMergeId;

    /// <summary>
    /// Completes the merge or undo recorded as pending on <paramref name="sourceId"/>: the target's
    /// side of the domain change and its item index, the claims of moved running timers, then the
    /// record marked done. Every step checks what is already stored, so running it again (after a
    /// crash half-way, or by two readers at once) changes nothing twice.
    /// </summary>
    internal async Task CompleteMergeAsync(string sourceId, CancellationToken cancellationToken)
    {
        var container = await containers.GetAsync(CosmosContainers.Tickets, cancellationToken);
        var source = await ReadAsync(container, sourceId, cancellationToken);
        if (source?.Document.ItemRefs.FirstOrDefault(IsPendingMerge) is not { } pending)
        {
            return;
        }

        var record = (await retry.RunAsync(ct => container.ReadItemAsync<ItemDocument<MergeRecord>>(pending.Doc, new PartitionKey(sourceId), cancellationToken: ct), cancellationToken)).Resource.Value;
        var sourceTicket = Ticket.Rehydrate(source.Document.Snapshot, source.Document.Version);
        var dropped = await CommitTargetAsync(container, sourceTicket, record, cancellationToken);

        foreach (var moved in record.Moves)
        {
            if (_kinds.GetValueOrDefault(moved.Kind)?.Guard is { } guard)
            {
                var (from, to) = record.Undo ? (record.TargetId, sourceId) : (sourceId, record.TargetId);
                await guard.MovedAsync(moved.Id, from, to, cancellationToken);
            }
        }

        await CommitAsync(
            null,
            sourceId,
            d =>
            {
                var refs = d.ItemRefs.Where(r => !IsPendingMerge(r)).ToList();
                if (!record.Undo && d.ItemRefs.FirstOrDefault(IsPendingMerge) is { } stillPending)
                {
                    refs.Add(stillPending with { Id = DoneMergeId });
                }

                return d with { Items = refs };
            },
            cancellationToken);

        await DeleteQuietlyAsync(container, record.TargetId, dropped, cancellationToken);
        if (record.Undo)
        {
            await DeleteQuietlyAsync(container, sourceId, [pending.Doc], cancellationToken);
        }
    }

    /// <summary>Best effort: a document no index points at is never read; one left behind costs storage only.</summary>
    private static async Task DeleteQuietlyAsync(Container container, string ticketId, IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        foreach (var id in ids)
        {
            try
            {
                using var deleted = await container.DeleteItemStreamAsync(id, new PartitionKey(ticketId), cancellationToken: cancellationToken);
            }
            catch (CosmosException)
            {
                // Left for storage only, as above.
            }
        }
    }

    /// <summary>
    /// The target's commit: its side of the merge (or undo) applied to the target as it is now,
    /// and the moved items added to (or taken from) its index. Returns the target's documents no
    /// index points at any more. A target that was purged meanwhile has nothing to receive.
    /// </summary>
    private Task<IReadOnlyList<string>> CommitTargetAsync(Container container, Ticket source, MergeRecord record, CancellationToken cancellationToken) =>
        TicketRunner.RetryAsync<IReadOnlyList<string>>(
            async ct =>
            {
                // Read on each attempt: a target that moved on since gets its side applied to what is stored now.
                var loaded = await ReadAsync(container, record.TargetId, ct);
                if (loaded is null)
                {
                    return [];
                }

                var target = Ticket.Rehydrate(loaded.Document.Snapshot, loaded.Document.Version);
                _loaded.AddOrUpdate(target, loaded);
                if (record.Undo)
                {
                    target.RecordMergeUndone(source, record.By, record.At);
                }
                else
                {
                    target.RecordMergedIn(source, record.By, record.At);
                }

                IReadOnlyList<string> dropped = [];
                await CommitAsync(
                    target,
                    record.TargetId,
                    d =>
                    {
                        var (next, gone) = record.Undo ? WithoutMoved(d, record.Moves) : WithMoved(d, record.Moves);
                        dropped = gone;
                        return next;
                    },
                    ct);
                return dropped;
            },
            cancellationToken);

    /// <summary>
    /// The index with the moved items added, each kind's items interleaved with the target's own
    /// in the order of their time-ordered ids (a thread stays chronological), renumbered. An item
    /// already there (the same document: a repeated completion) is not added twice; a target's
    /// own item of the same kind and id (an agent's stopped timer slot) gives way.
    /// </summary>
    private static (TicketDocument Next, IReadOnlyList<string> Dropped) WithMoved(TicketDocument document, IReadOnlyList<MergeMove> moves)
    {
        var present = document.ItemRefs.Select(r => r.Doc).ToHashSet(StringComparer.Ordinal);
        var incoming = moves.Where(m => !present.Contains(m.Doc)).Select(m => new ItemRef(m.Kind, m.Id, m.Doc, m.Version, 0, m.Internal, m.Text)).ToList();
        if (incoming.Count == 0)
        {
            return (document, []);
        }

        var replaced = document.ItemRefs.Where(r => incoming.Any(m => m.Kind == r.Kind && m.Id == r.Id)).ToList();
        var kept = document.ItemRefs.Except(replaced).ToList();
        var refs = new List<ItemRef>();
        foreach (var kind in kept.Concat(incoming).Select(r => r.Kind).Distinct(StringComparer.Ordinal))
        {
            refs.AddRange(Interleave(kept.Where(r => r.Kind == kind).ToList(), incoming.Where(r => r.Kind == kind).ToList()));
        }

        var renumbered = refs.Select((r, i) => r with { Seq = i + 1 }).ToList();
        return (document with { Items = renumbered, ItemSeq = Math.Max(document.ItemSeq, renumbered.Count) }, [.. replaced.Select(r => r.Doc)]);
    }

    private static (TicketDocument Next, IReadOnlyList<string> Dropped) WithoutMoved(TicketDocument document, IReadOnlyList<MergeMove> moves)
    {
        var gone = document.ItemRefs.Where(r => moves.Any(m => m.Kind == r.Kind && m.Id == r.Id)).ToList();
        return gone.Count == 0 ? (document, []) : (document with { Items = [.. document.ItemRefs.Except(gone)] }, [.. gone.Select(r => r.Doc)]);
    }

    /// <summary>Two lists each in their own order, merged by the time part of their ids.</summary>
    private static IEnumerable<ItemRef> Interleave(List<ItemRef> first, List<ItemRef> second)
    {
        int i = 0, j = 0;
        while (i < first.Count || j < second.Count)
        {
            if (j >= second.Count || (i < first.Count && string.CompareOrdinal(TimePart(first[i].Id), TimePart(second[j].Id)) <= 0))
            {
                yield return first[i++];
            }
            else
            {
                yield return second[j++];
            }
        }
    }

    /// <summary>Ids are <c>{prefix}_{version-7 GUID}</c> (Ids.New): the part after the prefix sorts by creation time.</summary>
    internal static string TimePart(string id) => id.IndexOf('_', StringComparison.Ordinal) is var at and >= 0 ? id[(at + 1)..] : id;

    public async Task MergeAsync(Ticket source, Ticket target, CancellationToken cancellationToken)
    {
        await WriteMergeSourceAsync(source, target, cancellationToken);
        await CompleteMergeAsync(source.Id, cancellationToken);
    }

    public async Task UndoMergeAsync(Ticket source, Ticket target, CancellationToken cancellationToken)
    {
        await WriteUndoSourceAsync(source, target, cancellationToken);
        await CompleteMergeAsync(source.Id, cancellationToken);
    }

    /// <summary>The first write of a merge: the copies in the target's partition, then the source's commit with its pending record.</summary>
    internal async Task WriteMergeSourceAsync(Ticket source, Ticket target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        var container = await containers.GetAsync(CosmosContainers.Tickets, cancellationToken);
        var document = await ReadDocumentAsync(source.Id, cancellationToken) ?? throw new ConcurrencyConflictException($"Ticket {source.Number} no longer exists.");
        var refs = document.ItemRefs.Where(r => TicketItemKinds.MovedByMerge.Contains(r.Kind)).ToArray();
        var values = await ReadValuesAsync(container, retry, source.Id, refs, cancellationToken);
        var moves = new List<MergeMove>();
        var writes = new List<ItemWrite>();
        var copies = new List<string>();
        try
        {
            foreach (var r in refs)
            {
                if (!values.TryGetValue(r.Doc, out var value) || (r.Kind == TicketItemKinds.Timer && value.Value["running"] is null))
                {
                    continue;
                }

                var copy = await CopyAsync(container, retry, value, target.Id, cancellationToken);
                copies.Add(copy);
                moves.Add(new MergeMove(r.Kind, r.Id, copy, r.Version, r.Internal, r.Text));
                writes.Add(new ItemWrite(r.Kind, r.Id, r.Version, null));
            }

            var merge = source.MergedInto!;
            writes.Add(new ItemWrite(MergeKind, PendingMergeId, null, new MergeRecord(false, target.Id, source.PendingHistory[^1].Actor, merge.At, moves)));
            await WriteItemsAsync(source, source.Id, writes, cancellationToken);
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
        var merged = await items.FindAsync<MergeRecord>(source.Id, MergeKind, DoneMergeId, cancellationToken)
            ?? throw new InvalidOperationException($"Ticket {source.Id} has no record of its merge into {target.Id}.");
        var record = merged.Value;
        var held = (await ReadDocumentAsync(target.Id, cancellationToken))?.ItemRefs ?? [];
        var refs = held.Where(r => record.Moves.Any(m => m.Kind == r.Kind && m.Id == r.Id)).ToArray();
        var values = await ReadValuesAsync(container, retry, target.Id, refs, cancellationToken);
        var back = new List<MergeMove>();
        var writes = new List<ItemWrite>();
        foreach (var r in refs.OrderBy(r => TimePart(r.Id), StringComparer.Ordinal))
        {
            if (!values.TryGetValue(r.Doc, out var value) || (r.Kind == TicketItemKinds.Timer && (value.Value["running"]?["startedAt"] is not { } started || started.GetValue<DateTimeOffset>() > record.At)))
            {
                // Gone meanwhile, or a timer started on the target after the merge: it stays there.
                continue;
            }

            Repoint(value.Value, r.Kind, source.Id);
            back.Add(new MergeMove(r.Kind, r.Id, r.Doc, r.Version, r.Internal, r.Text));
            writes.Add(new ItemWrite(r.Kind, r.Id, null, value.Value, value.Key, r.Internal, r.Text));
        }

        var undone = source.PendingHistory[^1];
        writes.Add(new ItemWrite(MergeKind, DoneMergeId, null, null));
        writes.Add(new ItemWrite(MergeKind, PendingMergeId, null, new MergeRecord(true, target.Id, undone.Actor, undone.At, back)));
        await WriteItemsAsync(source, source.Id, writes, cancellationToken);
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
        if ((kind == TicketItemKinds.Timer ? value["running"] : value) is JsonObject owner)
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
