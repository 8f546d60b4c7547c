using Helpdesk.Api.Common;
using Helpdesk.Api.Merge;
using Helpdesk.Api.Storage.Cosmos;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Tickets;
using Microsoft.Azure.Cosmos;

namespace Helpdesk.Api.Conversation;

/// <summary>
/// Moves and splits on Cosmos DB, without a transaction across the two tickets' partitions, in
/// the write order of merges (docs/adr/0007-merge-delete-purge.md): the message and its files
/// are copied into the target's partition first (invisible: no index names them), a split's new
/// ticket number is claimed, then the source's commit decides the move (the items out of its
/// index, its history and event, a pending move record), and
/// <see cref="CosmosTicketStore.CompleteMovesAsync"/> does the target's side. A refused source
/// commit deletes the copies and changes nothing; a crash after it is completed by the next
/// read of the source.
/// </summary>
internal sealed class CosmosMessageMoves(CosmosContainers containers, CosmosTicketStore tickets, CosmosTicketItems items, CosmosUniqueKeys keys, CosmosRetry retry) : IMessageMoves
{
    private const string MessageKind = "message";
    private const string AttachmentKind = "attachment";

    public async Task MoveAsync(Ticket source, Ticket target, string messageId, CancellationToken cancellationToken)
    {
        await WriteSourceAsync(source, target, messageId, cancellationToken);
        await tickets.CompleteMovesAsync(source.Id, cancellationToken);
        target.MarkSaved((await tickets.ReadDocumentAsync(target.Id, cancellationToken))?.Version ?? target.Version + 1);
    }

    /// <summary>The first write of a move: the copies in the target's partition, a split's number claimed, then the source's commit with its pending record.</summary>
    internal async Task WriteSourceAsync(Ticket source, Ticket target, string messageId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        var container = await containers.GetAsync(CosmosContainers.Tickets, cancellationToken);
        var document = await tickets.ReadDocumentAsync(source.Id, cancellationToken) ?? throw new ConcurrencyConflictException($"Ticket {source.Number} no longer exists.");
        var message = document.ItemRefs.FirstOrDefault(r => r.Kind == MessageKind && r.Id == messageId)
            ?? throw new ConcurrencyConflictException($"Message {messageId} is no longer on ticket {source.Id}.");
        var files = document.ItemRefs.Where(r => r.Kind == AttachmentKind).ToArray();
        var values = await CosmosTicketMerges.ReadValuesAsync(container, retry, source.Id, [message, .. files], cancellationToken);
        ItemRef[] refs = [message, .. files.Where(f => values.TryGetValue(f.Doc, out var file) && file.Value["messageId"]?.GetValue<string>() == messageId)];

        var split = target.Version == 0;
        if (split && !await keys.ClaimAsync(CosmosTicketStore.NumberKind, target.Number, target.Id, async (owner, ct) => await tickets.ReadDocumentAsync(owner, ct) is { } other && other.Number == target.Number, cancellationToken))
        {
            throw new UniqueConstraintException("number", $"Ticket number {target.Number} is already taken.");
        }

        var copies = new List<string>();
        try
        {
            var moves = new List<MergeMove>();
            var writes = new List<ItemWrite>();
            foreach (var r in refs)
            {
                if (!values.TryGetValue(r.Doc, out var value))
                {
                    throw new ConcurrencyConflictException($"Message {messageId} changed while it was being moved.");
                }

                var copy = await CosmosTicketMerges.CopyAsync(container, retry, value, target.Id, cancellationToken);
                copies.Add(copy);
                moves.Add(new MergeMove(r.Kind, r.Id, copy, r.Version, r.Internal));
                writes.Add(new ItemWrite(r.Kind, r.Id, r.Version, null));
            }

            // The arrival the domain recorded on the target: what the completion applies to the target as it is then.
            var arrival = target.PendingEvents[^1];
            var record = new MoveRecord(
                target.Id,
                messageId,
                target.PendingHistory[^1].Action,
                arrival.Data["visibility"]!,
                arrival.Data["authorType"]!,
                arrival.Actor,
                arrival.OccurredAt,
                moves,
                split ? new NewTicketState(target.ToSnapshot(), [.. target.PendingHistory], [.. target.PendingEvents]) : null);
            writes.Add(new ItemWrite(CosmosTicketStore.MoveKind, messageId, null, record));
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
}
