using System.Net;
using System.Runtime.CompilerServices;
using Helpdesk.Api.Common;
using Helpdesk.Api.Storage.Cosmos;
using Helpdesk.Domain.Tickets;
using Microsoft.Azure.Cosmos;

namespace Helpdesk.Api.Tickets;

/// <summary>
/// A committed item of a ticket's partition, as the ticket document's index lists it: which
/// document holds its current value, its version and its place in the ticket's order.
/// <see cref="Internal"/> is the one attribute a list filters on without reading the item (an
/// internal note is left out of the customer's thread).
/// </summary>
internal sealed record ItemRef(string Kind, string Id, string Doc, long Version, long Seq, bool Internal);

/// <summary>
/// One value of an item, immutable once written. <see cref="Key"/> is the one indexed column a
/// cross-ticket query needs (a work date, a pending reminder's time, an attachment's hash).
/// </summary>
internal sealed record ItemDocument<T>(string Id, string TicketId, string Type, string Kind, string ItemId, string? Key, T Value);

/// <summary>
/// One change of an item: the version it was read at (0 = new, null = unchecked) and its new
/// value, or null to remove it.
/// </summary>
internal sealed record ItemWrite(string Kind, string Id, long? Expected, object? Value, string? Key = null, bool Internal = false);

/// <summary>
/// The items of a ticket (messages, time entries, cost lines, activities, attachments) in the
/// ticket's logical partition, written together with the ticket without TransactionalBatch
/// (docs/adr/0004-cosmos-containers.md). Each value of an item is a new immutable document with
/// a fresh id; the write then replaces the ticket document, guarded by its ETag, with the item
/// index pointing at the new documents plus the ticket's history and events. That replace is
/// the commit: readers go through the index only, so a value whose ticket write never landed
/// (a refused write, a crash in between) is never seen, and every item change carries its
/// events atomically. Replaced and refused values are deleted afterwards on a best-effort basis;
/// one left behind by a crash costs storage only.
/// </summary>
public sealed class CosmosTicketItems(CosmosContainers containers, CosmosTicketStore tickets, CosmosRetry retry, ILogger<CosmosTicketItems> logger)
{
    internal const string ItemType = "item";

    /// <summary>
    /// Writes the items' new values, then commits them with the ticket's pending changes (or, with
    /// no ticket change, with <paramref name="events"/> alone). Throws
    /// <see cref="ConcurrencyConflictException"/> when an item or the ticket moved on.
    /// </summary>
    internal async Task WriteAsync(Ticket? ticket, string ticketId, IReadOnlyList<ItemWrite> writes, IReadOnlyList<DomainEvent> events, CancellationToken cancellationToken)
    {
        var container = await containers.GetAsync(CosmosContainers.Tickets, cancellationToken);
        var partition = new PartitionKey(ticketId);
        var docs = writes.Select(w => w.Value is null ? null : $"{w.Kind}:{w.Id}:{Guid.NewGuid():N}").ToArray();
        var created = new List<string>();
        IReadOnlyList<string> replaced = [];
        try
        {
            for (var i = 0; i < writes.Count; i++)
            {
                if (docs[i] is not { } doc)
                {
                    continue;
                }

                var w = writes[i];
                var item = new ItemDocument<object>(doc, ticketId, ItemType, w.Kind, w.Id, w.Key, w.Value!);
                // An upsert, not a create: the id is new, and a retry after a lost answer must not fail on the first attempt's document.
                await retry.RunAsync(ct => container.UpsertItemAsync(item, partition, new ItemRequestOptions { EnableContentResponseOnWrite = false }, ct), cancellationToken);
                created.Add(doc);
            }

            await tickets.CommitAsync(
                ticket,
                ticketId,
                d =>
                {
                    var (next, old) = Apply(d, writes, docs);
                    replaced = old;
                    return next.WithEvents(events);
                },
                cancellationToken);
        }
        catch
        {
            await DeleteUnreferencedAsync(container, ticketId, partition, created);
            throw;
        }

        await DeleteAsync(container, partition, replaced);
    }

    internal async Task<bool> TicketExistsAsync(string ticketId, CancellationToken cancellationToken) =>
        await tickets.ReadDocumentAsync(ticketId, cancellationToken) is not null;

    internal async Task<Versioned<T>?> FindAsync<T>(string ticketId, string kind, string id, CancellationToken cancellationToken)
    {
        var document = await tickets.ReadDocumentAsync(ticketId, cancellationToken);
        if (document?.ItemRefs.FirstOrDefault(r => r.Kind == kind && r.Id == id) is not { } found)
        {
            return null;
        }

        var read = await ReadAsync<T>(ticketId, [found], cancellationToken);
        return read.Count == 0 ? null : read[0];
    }

    /// <summary>Oldest first, keyset-paged on the item's place in the ticket.</summary>
    internal async Task<Page<Versioned<T>>> ListAsync<T>(string ticketId, string kind, Func<ItemRef, bool> filter, int limit, string? cursor, CancellationToken cancellationToken)
    {
        var after = cursor is null ? 0 : Paging.DecodeKey(cursor);
        var document = await tickets.ReadDocumentAsync(ticketId, cancellationToken);
        var refs = (document?.ItemRefs ?? []).Where(r => r.Kind == kind && r.Seq > after && filter(r)).Take(limit + 1).ToArray();
        var items = await ReadAsync<T>(ticketId, refs.Take(limit).ToArray(), cancellationToken);
        return new Page<Versioned<T>>(items, refs.Length > limit ? Paging.EncodeKey(refs[limit - 1].Seq) : null);
    }

    /// <summary>Every item of a kind of one ticket, oldest first.</summary>
    internal async Task<IReadOnlyList<Versioned<T>>> AllAsync<T>(string ticketId, string kind, CancellationToken cancellationToken)
    {
        var document = await tickets.ReadDocumentAsync(ticketId, cancellationToken);
        return await ReadAsync<T>(ticketId, (document?.ItemRefs ?? []).Where(r => r.Kind == kind).ToArray(), cancellationToken);
    }

    /// <summary>
    /// The committed items among the results of a cross-ticket query over item documents (it
    /// selects whole documents), each with its version and its ticket's document: a result the
    /// ticket's index does not point at (an old value, a write that never landed) is skipped.
    /// </summary>
    internal async IAsyncEnumerable<(Versioned<T> Item, TicketDocument Ticket)> QueryAsync<T>(QueryDefinition query, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var container = await containers.GetAsync(CosmosContainers.Tickets, cancellationToken);
        var ticketDocuments = new Dictionary<string, TicketDocument?>(StringComparer.Ordinal);
        using var iterator = container.GetItemQueryIterator<ItemDocument<T>>(query);
        while (iterator.HasMoreResults)
        {
            foreach (var item in await retry.RunAsync(iterator.ReadNextAsync, cancellationToken))
            {
                if (!ticketDocuments.TryGetValue(item.TicketId, out var ticket))
                {
                    ticket = await tickets.ReadDocumentAsync(item.TicketId, cancellationToken);
                    ticketDocuments[item.TicketId] = ticket;
                }

                if (ticket?.ItemRefs.FirstOrDefault(r => r.Doc == item.Id) is { } committed)
                {
                    yield return (new Versioned<T>(item.Value, committed.Version), ticket);
                }
            }
        }
    }

    private static (TicketDocument Next, IReadOnlyList<string> Replaced) Apply(TicketDocument document, IReadOnlyList<ItemWrite> writes, string?[] docs)
    {
        var refs = document.ItemRefs.ToList();
        var seq = document.ItemSeq;
        var replaced = new List<string>();
        for (var i = 0; i < writes.Count; i++)
        {
            var w = writes[i];
            var at = refs.FindIndex(r => r.Kind == w.Kind && r.Id == w.Id);
            var current = at < 0 ? null : refs[at];
            if (w.Expected is { } expected && (current?.Version ?? 0) != expected)
            {
                throw new ConcurrencyConflictException($"The {w.Kind} {w.Id} changed since it was read.");
            }

            if (current is not null)
            {
                replaced.Add(current.Doc);
            }

            if (docs[i] is not { } doc)
            {
                if (at >= 0)
                {
                    refs.RemoveAt(at);
                }
            }
            else if (current is null)
            {
                refs.Add(new ItemRef(w.Kind, w.Id, doc, 1, ++seq, w.Internal));
            }
            else
            {
                refs[at] = current with { Doc = doc, Version = current.Version + 1, Internal = w.Internal };
            }
        }

        return (document with { Items = refs, ItemSeq = seq }, replaced);
    }

    /// <summary>The values the refs point at, in the refs' order (one single-partition query).</summary>
    private async Task<IReadOnlyList<Versioned<T>>> ReadAsync<T>(string ticketId, ItemRef[] refs, CancellationToken cancellationToken)
    {
        if (refs.Length == 0)
        {
            return [];
        }

        var container = await containers.GetAsync(CosmosContainers.Tickets, cancellationToken);
        var query = new QueryDefinition("SELECT * FROM c WHERE c.ticketId = @ticket AND ARRAY_CONTAINS(@ids, c.id)")
            .WithParameter("@ticket", ticketId)
            .WithParameter("@ids", refs.Select(r => r.Doc).ToArray());
        var rows = await CosmosQueries.TakeAsync<ItemDocument<T>>(container, query, refs.Length, new PartitionKey(ticketId), retry, cancellationToken);
        var byId = rows.ToDictionary(r => r.Id, StringComparer.Ordinal);
        return [.. refs.Where(r => byId.ContainsKey(r.Doc)).Select(r => new Versioned<T>(byId[r.Doc].Value, r.Version))];
    }

    /// <summary>
    /// After a failed write: deletes the documents it created that the stored index does not name.
    /// A write can fail after its commit landed (its answer lost past every retry), and then the
    /// index names them; when even the re-read fails, nothing is deleted (a leftover costs storage
    /// only, a deleted committed value would lose data).
    /// </summary>
    private async Task DeleteUnreferencedAsync(Container container, string ticketId, PartitionKey partition, List<string> created)
    {
        if (created.Count == 0)
        {
            return;
        }

        TicketDocument? stored;
        try
        {
            stored = await tickets.ReadDocumentAsync(ticketId, CancellationToken.None);
        }
        catch (Exception e) when (e is CosmosException or HttpRequestException or OperationCanceledException)
        {
            logger.LogWarning(e, "Ticket {TicketId} could not be read after a failed write; its {Count} new item documents are kept", ticketId, created.Count);
            return;
        }

        var named = (stored?.ItemRefs ?? []).Select(r => r.Doc).ToHashSet(StringComparer.Ordinal);
        await DeleteAsync(container, partition, [.. created.Where(doc => !named.Contains(doc))]);
    }

    /// <summary>Best effort: a document left behind is never read (the index does not point at it).</summary>
    private async Task DeleteAsync(Container container, PartitionKey partition, IReadOnlyList<string> ids)
    {
        foreach (var id in ids)
        {
            try
            {
                using var deleted = await container.DeleteItemStreamAsync(id, partition);
                if (!deleted.IsSuccessStatusCode && deleted.StatusCode != HttpStatusCode.NotFound)
                {
                    logger.LogWarning("Unreferenced item document {DocumentId} was not deleted: {Status}", id, deleted.StatusCode);
                }
            }
            catch (CosmosException e)
            {
                logger.LogWarning(e, "Unreferenced item document {DocumentId} was not deleted", id);
            }
        }
    }
}
