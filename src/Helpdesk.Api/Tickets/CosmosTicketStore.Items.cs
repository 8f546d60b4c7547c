using System.Net;
using Helpdesk.Api.Common;
using Helpdesk.Api.Storage.Cosmos;
using Helpdesk.Domain.Tickets;
using Microsoft.Azure.Cosmos;

namespace Helpdesk.Api.Tickets;

/// <summary>
/// The write of a ticket with its items, without TransactionalBatch
/// (docs/adr/0004-cosmos-containers.md, docs/adr/0008-one-write-path.md). Each new value of an
/// item is a new immutable document with a fresh id; the write then replaces the ticket document,
/// guarded by its ETag, with the item index pointing at the new documents plus the ticket's
/// history and events. That replace is the commit: readers go through the index only, so a value
/// whose ticket write never landed (a refused write, a crash in between) is never seen, and every
/// item change carries its events atomically. Replaced and refused values are deleted afterwards
/// on a best-effort basis; one left behind by a crash costs storage only.
/// </summary>
public sealed partial class CosmosTicketStore
{
    private readonly Dictionary<string, CosmosItemKind> _kinds = itemKinds.ToDictionary(k => k.Kind, StringComparer.Ordinal);

    /// <summary>Writes one ticket after the other, in the order given: each is one guarded commit of its partition.</summary>
    public async Task SaveAsync(IReadOnlyList<TicketWrite> writes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(writes);
        foreach (var write in writes)
        {
            var ticket = write.Ticket;
            if (ticket.Version > 0 && !ticket.HasChanges && ticket.PendingNotes.Count == 0 && ticket.PendingEvents.Count == 0 && write.Items.Count == 0)
            {
                continue;
            }

            var prepared = new List<ItemWrite>(write.Items.Count);
            foreach (var item in write.Items)
            {
                var kind = Kind(item.Kind);
                var stored = kind.Guard is { } guard ? await guard.BeforeAsync(ticket.Id, item, cancellationToken) : item;
                prepared.Add(new ItemWrite(
                    stored.Kind,
                    stored.Id,
                    stored.Expected,
                    stored.Value,
                    stored.Value is null ? null : kind.Key(stored.Value),
                    stored.Value is not null && kind.Internal(stored.Value),
                    stored.Value is null ? null : CosmosItemKind.Searchable(kind.SearchText(stored.Value))));
            }

            await WriteItemsAsync(ticket, ticket.Id, prepared, cancellationToken, write.Receipt);
            foreach (var item in write.Items)
            {
                if (Kind(item.Kind).Guard is { } guard)
                {
                    await guard.AfterAsync(ticket.Id, item, cancellationToken);
                }
            }
        }
    }

    private CosmosItemKind Kind(string kind) =>
        _kinds.TryGetValue(kind, out var found) ? found : throw new InvalidOperationException($"No Cosmos DB item kind '{kind}' is registered.");

    /// <summary>
    /// Writes the items' new values, then commits them with the ticket's pending changes (or,
    /// with no ticket change, its events and notes) and the receipt of the request that made them. Throws <see cref="ConcurrencyConflictException"/>
    /// when an item or the ticket moved on.
    /// </summary>
    private async Task WriteItemsAsync(Ticket? ticket, string ticketId, List<ItemWrite> writes, CancellationToken cancellationToken, TicketReceipt? receipt = null)
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
                var item = new ItemDocument<object>(doc, ticketId, CosmosTicketItems.ItemType, w.Kind, w.Id, w.Key, w.Value!);
                // An upsert, not a create: the id is new, and a retry after a lost answer must not fail on the first attempt's document.
                await retry.RunAsync(ct => container.UpsertItemAsync(item, partition, new ItemRequestOptions { EnableContentResponseOnWrite = false }, ct), cancellationToken);
                created.Add(doc);
            }

            await CommitAsync(
                ticket,
                ticketId,
                d =>
                {
                    var (next, old) = Apply(d, writes, docs);
                    replaced = old;
                    return next.WithReceipt(receipt);
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

    private static (TicketDocument Next, IReadOnlyList<string> Replaced) Apply(TicketDocument document, List<ItemWrite> writes, string?[] docs)
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
                refs.Add(new ItemRef(w.Kind, w.Id, doc, 1, ++seq, w.Internal, w.Text));
            }
            else
            {
                refs[at] = current with { Doc = doc, Version = current.Version + 1, Internal = w.Internal, Text = w.Text };
            }
        }

        return (document with { Items = refs, ItemSeq = seq }, replaced);
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
            stored = await ReadDocumentAsync(ticketId, CancellationToken.None);
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
