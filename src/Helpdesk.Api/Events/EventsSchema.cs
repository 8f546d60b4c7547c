using Helpdesk.Api.Storage.Sqlite;

namespace Helpdesk.Api.Events;

/// <summary>
/// The local queue and the consumers' memory of what they already did. A queue row is a message
/// waiting (<c>ready</c>, visible from <c>visible_at</c>) or given up on (<c>dead</c>); a delivered
/// message is deleted. <c>lease</c> names the delivery holding it, so a worker that lost the
/// message to the visibility timeout cannot settle it afterwards.
/// </summary>
internal static class EventsSchema
{
    public static SqliteMigration Queue { get; } = new(
        "0300-events-queue",
        """
        CREATE TABLE queue_messages (
            seq             INTEGER PRIMARY KEY AUTOINCREMENT,
            queue           TEXT    NOT NULL,
            message_id      TEXT    NOT NULL,
            body            TEXT    NOT NULL,
            state           TEXT    NOT NULL,
            attempts        INTEGER NOT NULL DEFAULT 0,
            enqueued_at     TEXT    NOT NULL,
            visible_at      TEXT    NOT NULL,
            lease           TEXT,
            last_error      TEXT,
            dead_at         TEXT,
            UNIQUE (queue, message_id)
        );
        CREATE INDEX ix_queue_messages_due  ON queue_messages (visible_at) WHERE state = 'ready';
        CREATE INDEX ix_queue_messages_dead ON queue_messages (queue, seq) WHERE state = 'dead';

        CREATE TABLE processed_events (
            consumer     TEXT NOT NULL,
            event_id     TEXT NOT NULL,
            processed_at TEXT NOT NULL,
            expires_at   TEXT NOT NULL,
            PRIMARY KEY (consumer, event_id)
        ) WITHOUT ROWID;
        CREATE INDEX ix_processed_events_expiry ON processed_events (expires_at);
        """);

    /// <summary>The process holding a leased message (<see cref="Common.ClaimOwner"/>), so a restarted one takes it over at once.</summary>
    public static SqliteMigration QueueLeaseHolder { get; } = new(
        "0301-events-queue-lease-holder",
        "ALTER TABLE queue_messages ADD COLUMN leased_by TEXT;");
}
