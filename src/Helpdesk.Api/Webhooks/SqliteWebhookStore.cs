using Helpdesk.Api.Storage;
using Helpdesk.Api.Storage.Sqlite;

namespace Helpdesk.Api.Webhooks;

/// <summary>Webhook subscriptions and delivery records in the embedded SQLite file.</summary>
public sealed class SqliteWebhookStore(SqliteDatabase database) : IWebhookStore
{
    public static SqliteMigration Migration { get; } = new(
        "0300-webhooks",
        """
        CREATE TABLE webhook_subscriptions (
            seq              INTEGER PRIMARY KEY AUTOINCREMENT,
            id               TEXT NOT NULL UNIQUE,
            event            TEXT NOT NULL,
            doc              TEXT NOT NULL
        );
        CREATE INDEX ix_webhook_subscriptions_event ON webhook_subscriptions (event);

        CREATE TABLE webhook_deliveries (
            event_id     TEXT NOT NULL,
            hook_id      TEXT NOT NULL,
            outcome      TEXT NOT NULL,
            at           TEXT NOT NULL,
            PRIMARY KEY (event_id, hook_id)
        ) WITHOUT ROWID;
        """);

    /// <summary>The retention purge reads delivery records by age.</summary>
    public static SqliteMigration RetentionIndex { get; } = new(
        "0300-webhooks-retention",
        "CREATE INDEX ix_webhook_deliveries_at ON webhook_deliveries (at);");

    public async Task CreateAsync(WebhookSubscription subscription, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenWriterAsync(cancellationToken);
        await using var insert = connection.Command(
            "INSERT INTO webhook_subscriptions (id, event, doc) VALUES ($id, $event, $doc)",
            null,
            ("$id", subscription.Id),
            ("$event", subscription.Event),
            ("$doc", StoreJson.Serialize(subscription)));
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<WebhookSubscription?> FindAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var select = connection.Command("SELECT doc FROM webhook_subscriptions WHERE id = $id", null, ("$id", id));
        return await select.ExecuteScalarAsync(cancellationToken) is string doc ? StoreJson.Deserialize<WebhookSubscription>(doc) : null;
    }

    public async Task<IReadOnlyList<WebhookSubscription>> ForEventAsync(string eventName, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var select = connection.Command("SELECT doc FROM webhook_subscriptions WHERE event = $event ORDER BY seq", null, ("$event", eventName));
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        var hooks = new List<WebhookSubscription>();
        while (await reader.ReadAsync(cancellationToken))
        {
            hooks.Add(StoreJson.Deserialize<WebhookSubscription>(reader.GetString(0)));
        }

        return hooks;
    }

    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenWriterAsync(cancellationToken);
        await using var delete = connection.Command("DELETE FROM webhook_subscriptions WHERE id = $id", null, ("$id", id));
        return await delete.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task<bool> WasServedAsync(string eventId, string hookId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var select = connection.Command("SELECT 1 FROM webhook_deliveries WHERE event_id = $event AND hook_id = $hook", null, ("$event", eventId), ("$hook", hookId));
        return await select.ExecuteScalarAsync(cancellationToken) is not null;
    }

    public async Task<int> PurgeServedAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenWriterAsync(cancellationToken);
        await using var delete = connection.Command(
            """
            DELETE FROM webhook_deliveries
            WHERE at < $before
              AND NOT EXISTS (SELECT 1 FROM queue_messages q WHERE q.queue = $queue AND q.message_id = webhook_deliveries.event_id)
            """,
            null,
            ("$before", SqliteTime.Format(before)),
            ("$queue", Events.QueueNames.Webhooks));
        return await delete.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task RecordAsync(string eventId, string hookId, string outcome, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenWriterAsync(cancellationToken);
        await using var insert = connection.Command(
            "INSERT INTO webhook_deliveries (event_id, hook_id, outcome, at) VALUES ($event, $hook, $outcome, $at) ON CONFLICT DO NOTHING",
            null,
            ("$event", eventId),
            ("$hook", hookId),
            ("$outcome", outcome),
            ("$at", SqliteTime.Format(now)));
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }
}
