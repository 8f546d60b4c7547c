using Helpdesk.Api.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Events;

/// <summary>
/// What each consumer already did, by event id, kept for <see cref="EventsOptions.ProcessedRetention"/>
/// (far longer than any redelivery can come), so a redelivered event is dropped. In Azure several
/// instances take messages from the same queue, so with Cosmos DB selected the records live there.
/// </summary>
public interface IProcessedEvents
{
    Task<bool> IsProcessedAsync(string consumer, string eventId, CancellationToken cancellationToken);

    /// <summary>Records the event as processed by this consumer; false when it already was.</summary>
    Task<bool> TryMarkAsync(string consumer, string eventId, CancellationToken cancellationToken);

    /// <summary>Forgets records past their expiry; returns how many.</summary>
    Task<int> PurgeExpiredAsync(CancellationToken cancellationToken);
}

/// <summary>
/// The processed-event records in the embedded file, kept for <see cref="EventsOptions.ProcessedRetention"/>
/// (far longer than any redelivery can come). A consumer whose effect is a write marks the event
/// inside that write's transaction (<see cref="TryMarkAsync(SqliteConnection, SqliteTransaction, string, string, DateTimeOffset, TimeSpan, CancellationToken)"/>),
/// so the effect and the mark commit together and a redelivery finds the mark.
/// </summary>
public sealed class ProcessedEvents(SqliteDatabase database, TimeProvider clock, IOptions<EventsOptions> options) : IProcessedEvents
{
    public async Task<bool> IsProcessedAsync(string consumer, string eventId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command(
            "SELECT 1 FROM processed_events WHERE consumer = $consumer AND event_id = $event", null, ("$consumer", consumer), ("$event", eventId));
        return await command.ExecuteScalarAsync(cancellationToken) is not null;
    }

    public async Task<bool> TryMarkAsync(string consumer, string eventId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenWriterAsync(cancellationToken);
        return await TryMarkAsync(connection, null, consumer, eventId, cancellationToken);
    }

    /// <summary>Records the event as processed by this consumer; false when it already was.</summary>
    public Task<bool> TryMarkAsync(SqliteConnection connection, SqliteTransaction? transaction, string consumer, string eventId, CancellationToken cancellationToken) =>
        TryMarkAsync(connection, transaction, consumer, eventId, clock.GetUtcNow(), options.Value.ProcessedRetention, cancellationToken);

    public static async Task<bool> TryMarkAsync(SqliteConnection connection, SqliteTransaction? transaction, string consumer, string eventId, DateTimeOffset now, TimeSpan retention, CancellationToken cancellationToken)
    {
        await using var insert = connection.Command(
            """
            INSERT INTO processed_events (consumer, event_id, processed_at, expires_at) VALUES ($consumer, $event, $now, $expires)
            ON CONFLICT (consumer, event_id) DO NOTHING
            """,
            transaction,
            ("$consumer", consumer),
            ("$event", eventId),
            ("$now", SqliteTime.Format(now)),
            ("$expires", SqliteTime.Format(now + retention)));
        return await insert.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task<int> PurgeExpiredAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenWriterAsync(cancellationToken);
        await using var delete = connection.Command(
            "DELETE FROM processed_events WHERE expires_at <= $now", null, ("$now", SqliteTime.Format(clock.GetUtcNow())));
        return await delete.ExecuteNonQueryAsync(cancellationToken);
    }
}

public sealed class EventsOptions
{
    public const string Section = "Events";

    /// <summary>How long a consumer remembers an event it processed.</summary>
    public TimeSpan ProcessedRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How often the standalone runner sweeps the outbox and the queue when nothing wakes it.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(5);
}
