using System.Net;
using Helpdesk.Api.Common;
using Helpdesk.Api.Storage.Cosmos;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;
using Microsoft.Azure.Cosmos;

namespace Helpdesk.Api.Tickets;

/// <summary>
/// The receiving ticket's side of a message move: the domain change to apply to it as it is
/// then (<see cref="Ticket.RecordMessageMovedIn"/>), and for a split, the new ticket itself as
/// the request built it (snapshot, history and events of its creation and of the message's arrival).
/// </summary>
internal sealed record MoveRecord(string TargetId, string MessageId, string Action, string Visibility, string AuthorType, Actor By, DateTimeOffset At, IReadOnlyList<MergeMove> Moves, NewTicketState? Created);

/// <summary>A ticket not stored yet: what its creating write will hold.</summary>
internal sealed record NewTicketState(TicketSnapshot Snapshot, IReadOnlyList<HistoryEntry> History, IReadOnlyList<DomainEvent> Events);

/// <summary>
/// A message move or split on Cosmos DB touches two partitions, like a merge, and is written in
/// the same order (docs/adr/0007-merge-delete-purge.md): the source's commit decides it (the
/// message and its files out of its index, its history and event, a pending move record), the
/// target's commit follows (the copies into its index with its own history and event, or for a
/// split the new ticket created with them), then the mail threading records follow the message
/// and the record is removed. Any read of the source completes a pending move first.
/// </summary>
public sealed partial class CosmosTicketStore
{
    internal const string MoveKind = "move";

    private static bool IsPendingMove(ItemRef r) => r.Kind == MoveKind;

    /// <summary>
    /// Completes every move recorded as pending on <paramref name="sourceId"/>. Each step checks
    /// what is stored first (the target already lists the moved message's document → its side is
    /// done; the new ticket already exists → created), so running it twice changes nothing twice.
    /// </summary>
    internal async Task CompleteMovesAsync(string sourceId, CancellationToken cancellationToken)
    {
        var container = await containers.GetAsync(CosmosContainers.Tickets, cancellationToken);
        var source = await ReadAsync(container, sourceId, cancellationToken);
        foreach (var pending in source?.Document.ItemRefs.Where(IsPendingMove).ToArray() ?? [])
        {
            MoveRecord record;
            try
            {
                record = (await retry.RunAsync(ct => container.ReadItemAsync<ItemDocument<MoveRecord>>(pending.Doc, new PartitionKey(sourceId), cancellationToken: ct), cancellationToken)).Resource.Value;
            }
            catch (CosmosException e) when (e.StatusCode == HttpStatusCode.NotFound)
            {
                // Completed and removed by another reader meanwhile.
                continue;
            }

            var dropped = record.Created is null
                ? await CommitMoveTargetAsync(container, source!.Document, record, cancellationToken)
                : await CreateSplitTargetAsync(container, record, cancellationToken);
            await FollowMailAsync(record.MessageId, sourceId, record.TargetId, cancellationToken);
            await CommitAsync(null, sourceId, d => d with { Items = [.. d.ItemRefs.Where(r => r.Doc != pending.Doc)] }, cancellationToken);
            await DeleteQuietlyAsync(container, record.TargetId, dropped, cancellationToken);
            await DeleteQuietlyAsync(container, sourceId, [pending.Doc], cancellationToken);
        }
    }

    /// <summary>The moved message's document on the target: present once the target's side is committed.</summary>
    private static bool Received(TicketDocument target, MoveRecord record) =>
        target.ItemRefs.Any(r => r.Doc == record.Moves[0].Doc);

    private Task<IReadOnlyList<string>> CommitMoveTargetAsync(Container container, TicketDocument source, MoveRecord record, CancellationToken cancellationToken) =>
        TicketRunner.RetryAsync<IReadOnlyList<string>>(
            async ct =>
            {
                // Read on each attempt: the target may have moved on, or another completion received the message.
                var loaded = await ReadAsync(container, record.TargetId, ct);
                if (loaded is null || Received(loaded.Document, record))
                {
                    // Purged meanwhile (nothing to receive), or received by an earlier completion.
                    return [];
                }

                var times = await ItemTimesAsync(container, loaded.Document, record, ct);
                var target = Ticket.Rehydrate(loaded.Document.Snapshot, loaded.Document.Version);
                _loaded.AddOrUpdate(target, loaded);
                target.RecordMessageMovedIn(record.Action, record.MessageId, record.Visibility, record.AuthorType, source.Id, source.Number, record.By, record.At);
                IReadOnlyList<string> dropped = [];
                await CommitAsync(
                    target,
                    record.TargetId,
                    d =>
                    {
                        var (next, gone) = WithArrived(d, record.Moves, times);
                        dropped = gone;
                        return next;
                    },
                    ct);
                return dropped;
            },
            cancellationToken);

    /// <summary>
    /// When each of the target's items of the moved kinds, and each moved copy, was written (their
    /// <c>at</c>), by document: mail-derived message ids are hashes, so ids do not give the order.
    /// One single-partition query; moves are rare and a thread is read whole anyway.
    /// </summary>
    private async Task<Dictionary<string, DateTimeOffset>> ItemTimesAsync(Container container, TicketDocument target, MoveRecord record, CancellationToken cancellationToken)
    {
        var kinds = record.Moves.Select(m => m.Kind).ToHashSet(StringComparer.Ordinal);
        ItemRef[] refs =
        [
            .. target.ItemRefs.Where(r => kinds.Contains(r.Kind)),
            .. record.Moves.Select(m => new ItemRef(m.Kind, m.Id, m.Doc, m.Version, 0, m.Internal, m.Text)),
        ];
        var values = await ReadValuesAsync(container, retry, record.TargetId, refs, cancellationToken);
        return values.Where(v => v.Value.Value["at"] is not null).ToDictionary(v => v.Key, v => v.Value.Value["at"]!.GetValue<DateTimeOffset>(), StringComparer.Ordinal);
    }

    /// <summary>
    /// The index with the moved items placed among the target's own of the same kind by when they
    /// were written (an item of unknown time, written meanwhile, counts as newest), renumbered. A
    /// target's own item of the same kind and id gives way; one already there is not added twice.
    /// </summary>
    private static (TicketDocument Next, IReadOnlyList<string> Dropped) WithArrived(TicketDocument document, IReadOnlyList<MergeMove> moves, Dictionary<string, DateTimeOffset> times)
    {
        var present = document.ItemRefs.Select(r => r.Doc).ToHashSet(StringComparer.Ordinal);
        var incoming = moves.Where(m => !present.Contains(m.Doc)).Select(m => new ItemRef(m.Kind, m.Id, m.Doc, m.Version, 0, m.Internal, m.Text)).ToList();
        var replaced = document.ItemRefs.Where(r => incoming.Any(m => m.Kind == r.Kind && m.Id == r.Id)).ToList();
        var refs = document.ItemRefs.Except(replaced).ToList();
        DateTimeOffset TimeOf(ItemRef r) => times.TryGetValue(r.Doc, out var at) ? at : DateTimeOffset.MaxValue;
        foreach (var item in incoming)
        {
            var at = refs.FindIndex(r => r.Kind == item.Kind && TimeOf(r) > TimeOf(item));
            refs.Insert(at < 0 ? refs.Count : at, item);
        }

        var renumbered = refs.Select((r, i) => r with { Seq = i + 1 }).ToList();
        return (document with { Items = renumbered, ItemSeq = Math.Max(document.ItemSeq, renumbered.Count) }, [.. replaced.Select(r => r.Doc)]);
    }

    /// <summary>Creates the split's new ticket with the moved items in its index, unless an earlier completion did.</summary>
    private async Task<IReadOnlyList<string>> CreateSplitTargetAsync(Container container, MoveRecord record, CancellationToken cancellationToken)
    {
        var created = record.Created!;
        if (await ReadAsync(container, record.TargetId, cancellationToken) is not null)
        {
            return [];
        }

        var claimed = await keys.ClaimAsync(
            NumberKind,
            created.Snapshot.Number,
            record.TargetId,
            async (owner, ct) => await ReadAsync(container, owner, ct) is { } other && other.Document.Number == created.Snapshot.Number,
            cancellationToken);
        if (!claimed)
        {
            throw new InvalidOperationException($"The number {created.Snapshot.Number} of split ticket {record.TargetId} was taken meanwhile.");
        }

        var seq = await sequence.NextAsync(OrderSequence, cancellationToken);
        var schedule = await scheduler.ScheduleAsync(Ticket.Rehydrate(created.Snapshot, 1), cancellationToken);
        var document = WithMoved(TicketDocument.Of(created.Snapshot, schedule, seq, 1, created.History, created.Events), record.Moves).Next;
        try
        {
            await retry.RunAsync(ct => container.CreateItemAsync(document, new PartitionKey(document.TicketId), new ItemRequestOptions { EnableContentResponseOnWrite = false }, ct), cancellationToken);
        }
        catch (CosmosException e) when (e.StatusCode == HttpStatusCode.Conflict)
        {
            // Created by another completion meanwhile.
        }

        return [];
    }

    /// <summary>
    /// The records that follow the message (the threading ids of its mail, <see cref="ICosmosMessageFollower"/>),
    /// so a later reply threads to where the message is now. Repeating it finds nothing left on the source.
    /// </summary>
    private async Task FollowMailAsync(string messageId, string fromTicket, string toTicket, CancellationToken cancellationToken)
    {
        foreach (var follower in messageFollowers)
        {
            await follower.FollowAsync(messageId, fromTicket, toTicket, cancellationToken);
        }
    }

    public async Task MoveMessageAsync(Ticket source, Ticket target, string messageId, CancellationToken cancellationToken)
    {
        await WriteMoveSourceAsync(source, target, messageId, cancellationToken);
        await CompleteMovesAsync(source.Id, cancellationToken);
        target.MarkSaved((await ReadDocumentAsync(target.Id, cancellationToken))?.Version ?? target.Version + 1);
    }

    /// <summary>The first write of a move: the copies in the target's partition, a split's number claimed, then the source's commit with its pending record.</summary>
    internal async Task WriteMoveSourceAsync(Ticket source, Ticket target, string messageId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        var container = await containers.GetAsync(CosmosContainers.Tickets, cancellationToken);
        var document = await ReadDocumentAsync(source.Id, cancellationToken) ?? throw new ConcurrencyConflictException($"Ticket {source.Number} no longer exists.");
        var message = document.ItemRefs.FirstOrDefault(r => r.Kind == TicketItemKinds.Message && r.Id == messageId)
            ?? throw new ConcurrencyConflictException($"Message {messageId} is no longer on ticket {source.Id}.");
        var files = document.ItemRefs.Where(r => r.Kind == TicketItemKinds.Attachment).ToArray();
        var values = await ReadValuesAsync(container, retry, source.Id, [message, .. files], cancellationToken);
        ItemRef[] refs = [message, .. files.Where(f => values.TryGetValue(f.Doc, out var file) && file.Value["messageId"]?.GetValue<string>() == messageId)];

        var split = target.Version == 0;
        if (split && !await keys.ClaimAsync(NumberKind, target.Number, target.Id, async (owner, ct) => await ReadDocumentAsync(owner, ct) is { } other && other.Number == target.Number, cancellationToken))
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

                var copy = await CopyAsync(container, retry, value, target.Id, cancellationToken);
                copies.Add(copy);
                moves.Add(new MergeMove(r.Kind, r.Id, copy, r.Version, r.Internal, r.Text));
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
                split ? new NewTicketState(target.ToSnapshot(), [.. target.PendingHistory], target.PendingEvents.Traced()) : null);
            writes.Add(new ItemWrite(MoveKind, messageId, null, record));
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
}
