using System.Globalization;
using System.Text.Json;
using Helpdesk.Api.Storage;
using Helpdesk.Api.Storage.Sqlite;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Events;

/// <summary>
/// Publishes stored events to the queues whose consumers want them. Standalone it moves outbox
/// rows to the local queue; enqueueing and marking the row published commit in one transaction,
/// so a process killed at any point either did both or neither. In Azure the same routing turns
/// change-feed documents into Service Bus output-binding messages (<see cref="QueueTriggers"/>).
/// </summary>
public sealed class OutboxRelay(SqliteDatabase database, IEnumerable<QueueConsumerRegistration> consumers, EventTelemetry telemetry, TimeProvider clock) : IStoredEventSource
{
    private const int BatchSize = 200;
    private readonly QueueConsumerRegistration[] _consumers = [.. consumers];

    /// <summary>The queues an event of this type goes to.</summary>
    public IReadOnlyList<string> QueuesFor(string eventType) =>
        [.. _consumers.Where(c => c.Accepts(eventType)).Select(c => c.Queue).Distinct(StringComparer.Ordinal)];

    /// <summary>Relays every unpublished outbox row; returns how many events were published.</summary>
    public async Task<int> RelayPendingAsync(CancellationToken cancellationToken)
    {
        var total = 0;
        while (true)
        {
            var relayed = await RelayBatchAsync(cancellationToken);
            total += relayed;
            if (relayed < BatchSize)
            {
                return total;
            }
        }
    }

    public async Task<DateTimeOffset?> OldestPendingAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var oldest = connection.Command("SELECT occurred_at FROM outbox WHERE published_at IS NULL ORDER BY seq LIMIT 1");
        return await oldest.ExecuteScalarAsync(cancellationToken) is string at
            ? DateTimeOffset.Parse(at, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal)
            : null;
    }

    /// <summary>
    /// Publishes events stored outside this database (a Cosmos DB ticket document) once per
    /// event id: each is recorded in the outbox as published in the same transaction as its
    /// queue messages, and an event id already there is skipped, so publishing an event again
    /// (after a crash before its source let go of it) enqueues nothing. Returns how many were new.
    /// </summary>
    public async Task<int> PublishAsync(IReadOnlyList<DomainEvent> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        await using var connection = await database.OpenWriterAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction();
        var now = clock.GetUtcNow();
        var published = 0;
        foreach (var stored in events)
        {
            await using var record = connection.Command(
                "INSERT INTO outbox (id, type, ticket_id, occurred_at, doc, published_at) VALUES ($id, $type, $ticket, $at, $doc, $now) ON CONFLICT (id) DO NOTHING",
                transaction,
                ("$id", stored.Id.ToString("D", CultureInfo.InvariantCulture)),
                ("$type", stored.Type),
                ("$ticket", stored.TicketId),
                ("$at", SqliteTime.Format(stored.OccurredAt)),
                ("$doc", StoreJson.Serialize(stored)),
                ("$now", SqliteTime.Format(now)));
            if (await record.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                continue;
            }

            var queues = QueuesFor(stored.Type);
            var message = telemetry.Publish(EventMessage.From(stored), queues);
            foreach (var queue in queues)
            {
                await LocalQueue.EnqueueAsync(connection, transaction, queue, message, now, cancellationToken);
            }

            published++;
        }

        await transaction.CommitAsync(cancellationToken);
        return published;
    }

    private async Task<int> RelayBatchAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenWriterAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction();
        var pending = new List<(long Seq, string Doc)>();
        await using (var select = connection.Command("SELECT seq, doc FROM outbox WHERE published_at IS NULL ORDER BY seq LIMIT $limit", transaction, ("$limit", BatchSize)))
        await using (var reader = await select.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                pending.Add((reader.GetInt64(0), reader.GetString(1)));
            }
        }

        var now = clock.GetUtcNow();
        foreach (var (seq, doc) in pending)
        {
            var stored = StoreJson.Deserialize<DomainEvent>(doc);
            var queues = QueuesFor(stored.Type);
            var message = telemetry.Publish(EventMessage.From(stored), queues);
            foreach (var queue in queues)
            {
                await LocalQueue.EnqueueAsync(connection, transaction, queue, message, now, cancellationToken);
            }

            await using var mark = connection.Command("UPDATE outbox SET published_at = $now WHERE seq = $seq", transaction, ("$now", SqliteTime.Format(now)), ("$seq", seq));
            await mark.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return pending.Count;
    }

    /// <summary>
    /// The events carried by change-feed documents: every document that holds an <c>events</c>
    /// array (the events stored with that write) contributes them; other documents carry none.
    /// </summary>
    public static IEnumerable<EventMessage> EventsIn(JsonElement documents)
    {
        var items = documents.ValueKind switch
        {
            JsonValueKind.Array => documents.EnumerateArray().ToArray(),
            JsonValueKind.Object => [documents],
            _ => throw new InvalidDataException("The change feed delivered neither a document nor an array of documents."),
        };

        foreach (var document in items)
        {
            if (document.ValueKind == JsonValueKind.Object && document.TryGetProperty("events", out var events) && events.ValueKind == JsonValueKind.Array)
            {
                foreach (var stored in events.EnumerateArray())
                {
                    yield return EventMessage.From(stored.Deserialize<DomainEvent>(StoreJson.Options)
                        ?? throw new InvalidDataException("A stored event is empty."));
                }
            }
        }
    }
}
