using System.Net;
using System.Runtime.CompilerServices;
using Helpdesk.Api.Common;
using Helpdesk.Api.Storage.Cosmos;
using Microsoft.Azure.Cosmos;

namespace Helpdesk.Api.Tickets;

/// <summary>
/// A committed item of a ticket's partition, as the ticket document's index lists it: which
/// document holds its current value, its version and its place in the ticket's order.
/// <see cref="Internal"/> is the one attribute a list filters on without reading the item (an
/// internal note is left out of the customer's thread). <see cref="Text"/> is what a ticket
/// search reads of the item (a message's text, lower-cased and bounded:
/// <see cref="CosmosItemKind.Searchable"/>), so a search reads the ticket documents only.
/// </summary>
internal sealed record ItemRef(string Kind, string Id, string Doc, long Version, long Seq, bool Internal, string? Text = null);

/// <summary>
/// One value of an item, immutable once written. <see cref="Key"/> is the one indexed column a
/// cross-ticket query needs (a work date, a pending reminder's time, an attachment's hash).
/// </summary>
internal sealed record ItemDocument<T>(string Id, string TicketId, string Type, string Kind, string ItemId, string? Key, T Value);

/// <summary>
/// One change of an item: the version it was read at (0 = new, null = unchecked) and its new
/// value, or null to remove it.
/// </summary>
internal sealed record ItemWrite(string Kind, string Id, long? Expected, object? Value, string? Key = null, bool Internal = false, string? Text = null);

/// <summary>
/// Reads the items of a ticket (messages, time entries, cost lines, activities, attachments), which
/// live in the ticket's logical partition (docs/adr/0004-cosmos-containers.md). Each value of an
/// item is an immutable document; the ticket document's item index names the current ones, so a
/// read goes through the index and never sees a value whose ticket write did not land. Writes go
/// through <see cref="CosmosTicketStore.SaveAsync"/> only.
/// </summary>
public sealed class CosmosTicketItems(CosmosContainers containers, CosmosRetry retry)
{
    internal const string ItemType = "item";

    /// <summary>The stored document of a ticket (its item index, query columns), or null.</summary>
    internal async Task<TicketDocument?> ReadDocumentAsync(string ticketId, CancellationToken cancellationToken)
    {
        var container = await containers.GetAsync(CosmosContainers.Tickets, cancellationToken);
        try
        {
            return (await retry.RunAsync(ct => container.ReadItemAsync<TicketDocument>(ticketId, new PartitionKey(ticketId), cancellationToken: ct), cancellationToken)).Resource;
        }
        catch (CosmosException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    internal async Task<Versioned<T>?> FindAsync<T>(string ticketId, string kind, string id, CancellationToken cancellationToken)
    {
        var document = await ReadDocumentAsync(ticketId, cancellationToken);
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
        var document = await ReadDocumentAsync(ticketId, cancellationToken);
        var refs = (document?.ItemRefs ?? []).Where(r => r.Kind == kind && r.Seq > after && filter(r)).Take(limit + 1).ToArray();
        var items = await ReadAsync<T>(ticketId, refs.Take(limit).ToArray(), cancellationToken);
        return new Page<Versioned<T>>(items, refs.Length > limit ? Paging.EncodeKey(refs[limit - 1].Seq) : null);
    }

    /// <summary>The newest item of a kind of one ticket that <paramref name="filter"/> keeps (by its index entry), or null.</summary>
    internal async Task<Versioned<T>?> NewestAsync<T>(string ticketId, string kind, Func<ItemRef, bool> filter, CancellationToken cancellationToken)
    {
        var document = await ReadDocumentAsync(ticketId, cancellationToken);
        if ((document?.ItemRefs ?? []).LastOrDefault(r => r.Kind == kind && filter(r)) is not { } newest)
        {
            return null;
        }

        var read = await ReadAsync<T>(ticketId, [newest], cancellationToken);
        return read.Count == 0 ? null : read[0];
    }

    /// <summary>Every item of a kind of one ticket, oldest first.</summary>
    internal async Task<IReadOnlyList<Versioned<T>>> AllAsync<T>(string ticketId, string kind, CancellationToken cancellationToken)
    {
        var document = await ReadDocumentAsync(ticketId, cancellationToken);
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
                    ticket = await ReadDocumentAsync(item.TicketId, cancellationToken);
                    ticketDocuments[item.TicketId] = ticket;
                }

                if (ticket?.ItemRefs.FirstOrDefault(r => r.Doc == item.Id) is { } committed)
                {
                    yield return (new Versioned<T>(item.Value, committed.Version), ticket);
                }
            }
        }
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
}
