using System.Globalization;
using Helpdesk.Api.Common;
using Helpdesk.Api.Mail;
using Helpdesk.Api.Storage;
using Helpdesk.Api.Storage.Sqlite;
using Helpdesk.Domain.Common;

namespace Helpdesk.Api.Notifications;

/// <summary>
/// The notifications in the embedded file: planned once per id, then marked sent or digested.
/// </summary>
public sealed class SqliteNotificationStore(SqliteDatabase database, TimeProvider clock) : INotificationStore
{
    public static SqliteMigration Migration { get; } = new(
        "0300-notifications",
        """
        CREATE TABLE notifications (
            seq         INTEGER PRIMARY KEY AUTOINCREMENT,
            id          TEXT NOT NULL UNIQUE,
            event_id    TEXT NOT NULL,
            ticket_id   TEXT,
            trigger     TEXT NOT NULL,
            channel     TEXT NOT NULL,
            recipient   TEXT NOT NULL,
            agent_id    TEXT,
            state       TEXT NOT NULL,
            email       TEXT NOT NULL,
            created_at  TEXT NOT NULL,
            sent_at     TEXT
        );
        CREATE INDEX ix_notifications_event  ON notifications (event_id);
        CREATE INDEX ix_notifications_ticket ON notifications (ticket_id, seq);
        CREATE INDEX ix_notifications_digest ON notifications (agent_id, created_at) WHERE state = 'digest';

        CREATE TABLE notification_digests (
            agent_id     TEXT PRIMARY KEY,
            last_sent_at TEXT NOT NULL
        ) WITHOUT ROWID;
        """);

    public async Task PlanAsync(IReadOnlyList<PlannedNotification> planned, CancellationToken cancellationToken)
    {
        if (planned.Count == 0)
        {
            return;
        }

        var now = SqliteTime.Format(clock.GetUtcNow());
        await using var connection = await database.OpenWriterAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction();
        foreach (var n in planned)
        {
            await using var insert = connection.Command(
                """
                INSERT INTO notifications (id, event_id, ticket_id, trigger, channel, recipient, agent_id, state, email, created_at)
                VALUES ($id, $event, $ticket, $trigger, 'email', $recipient, $agent, $state, $email, $now)
                ON CONFLICT (id) DO NOTHING
                """,
                transaction,
                ("$id", n.Id),
                ("$event", n.EventId),
                ("$ticket", n.TicketId),
                ("$trigger", n.Trigger),
                ("$recipient", n.Recipient),
                ("$agent", n.AgentId),
                ("$state", Names.Of(n.State)),
                ("$email", StoreJson.Serialize(n.Email)),
                ("$now", now));
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<(string Id, string? TicketId, EmailMessage Email)>> PendingAsync(string eventId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var select = connection.Command(
            "SELECT id, ticket_id, email FROM notifications WHERE event_id = $event AND state = 'pending' ORDER BY id", null, ("$event", eventId));
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        var pending = new List<(string, string?, EmailMessage)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            pending.Add((reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), StoreJson.Deserialize<EmailMessage>(reader.GetString(2))));
        }

        return pending;
    }

    public async Task MarkSentAsync(string id, string? ticketId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenWriterAsync(cancellationToken);
        await using var update = connection.Command(
            "UPDATE notifications SET state = 'sent', sent_at = $now WHERE id = $id AND state = 'pending'",
            null,
            ("$now", SqliteTime.Format(clock.GetUtcNow())),
            ("$id", id));
        await update.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<Page<NotificationRecord>> ForTicketAsync(string ticketId, int limit, string? cursor, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var select = connection.Command(
            """
            SELECT seq, id, event_id, ticket_id, trigger, channel, recipient, state, email, created_at, sent_at FROM notifications
            WHERE ticket_id = $ticket AND seq > $after ORDER BY seq LIMIT $limit
            """,
            null,
            ("$ticket", ticketId),
            ("$after", cursor is null ? 0 : Paging.DecodeKey(cursor)),
            ("$limit", limit + 1));
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        var items = new List<NotificationRecord>();
        long last = 0;
        while (items.Count < limit && await reader.ReadAsync(cancellationToken))
        {
            last = reader.GetInt64(0);
            var state = Names.TryParse<NotificationState>(reader.GetString(7), out var parsed) ? parsed : throw new InvalidDataException($"Unknown notification state {reader.GetString(7)}.");
            items.Add(new NotificationRecord(
                reader.GetString(1),
                reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.GetString(4),
                reader.GetString(5),
                reader.GetString(6),
                state,
                StoreJson.Deserialize<EmailMessage>(reader.GetString(8)).Subject,
                Parse(reader.GetString(9)),
                reader.IsDBNull(10) ? null : Parse(reader.GetString(10))));
        }

        var more = items.Count == limit && await reader.ReadAsync(cancellationToken);
        return new Page<NotificationRecord>(items, more ? Paging.EncodeKey(last) : null);
    }

    public async Task<IReadOnlyList<(string AgentId, DateTimeOffset? LastSentAt)>> DigestRecipientsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var select = connection.Command(
            """
            SELECT n.agent_id, d.last_sent_at FROM (SELECT DISTINCT agent_id FROM notifications WHERE state = 'digest') n
            LEFT JOIN notification_digests d ON d.agent_id = n.agent_id
            """);
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        var result = new List<(string, DateTimeOffset?)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add((reader.GetString(0), reader.IsDBNull(1) ? null : Parse(reader.GetString(1))));
        }

        return result;
    }

    public async Task<IReadOnlyList<(string Id, string? TicketId, EmailMessage Email)>> DigestOfAsync(string agentId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var select = connection.Command(
            "SELECT id, ticket_id, email FROM notifications WHERE agent_id = $agent AND state = 'digest' ORDER BY created_at, id LIMIT 200", null, ("$agent", agentId));
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        var items = new List<(string, string?, EmailMessage)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add((reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), StoreJson.Deserialize<EmailMessage>(reader.GetString(2))));
        }

        return items;
    }

    public async Task MarkDigestSentAsync(string agentId, IReadOnlyList<(string Id, string? TicketId, EmailMessage Email)> items, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(items);
        var now = clock.GetUtcNow();
        await using var connection = await database.OpenWriterAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction();
        foreach (var (id, _, _) in items)
        {
            await using var update = connection.Command(
                "UPDATE notifications SET state = 'digested', sent_at = $now WHERE id = $id AND state = 'digest'",
                transaction,
                ("$now", SqliteTime.Format(now)),
                ("$id", id));
            await update.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var stamp = connection.Command(
            "INSERT INTO notification_digests (agent_id, last_sent_at) VALUES ($agent, $now) ON CONFLICT (agent_id) DO UPDATE SET last_sent_at = $now",
            transaction,
            ("$agent", agentId),
            ("$now", SqliteTime.Format(now)));
        await stamp.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    private static DateTimeOffset Parse(string value) =>
        DateTimeOffset.Parse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}
