using System.Globalization;
using Helpdesk.Api.Common;
using Helpdesk.Api.Storage.Sqlite;
using Helpdesk.Domain.Common;
using Microsoft.Data.Sqlite;

namespace Helpdesk.Api.Notifications;

/// <summary>The agents' inboxes in the embedded file: one row per entry, read through the agent's index (unread ones through a partial index).</summary>
public sealed class SqliteNotificationInbox(SqliteDatabase database) : INotificationInbox
{
    public static SqliteMigration Migration { get; } = new(
        "notify-20-1-inbox",
        """
        CREATE TABLE notification_inbox (
            seq           INTEGER PRIMARY KEY AUTOINCREMENT,
            id            TEXT NOT NULL UNIQUE,
            agent_id      TEXT NOT NULL,
            kind          TEXT NOT NULL,
            ticket_id     TEXT NOT NULL,
            ticket_number TEXT NOT NULL,
            title         TEXT NOT NULL,
            snippet       TEXT,
            created_at    TEXT NOT NULL,
            read_at       TEXT
        );
        CREATE INDEX ix_notification_inbox_agent  ON notification_inbox (agent_id, seq);
        CREATE INDEX ix_notification_inbox_unread ON notification_inbox (agent_id, seq) WHERE read_at IS NULL;

        CREATE TABLE sms_deliveries (
            id        TEXT PRIMARY KEY,
            ticket_id TEXT NOT NULL,
            sent_at   TEXT NOT NULL
        ) WITHOUT ROWID;
        """);

    private const string Columns = "seq, id, kind, ticket_id, ticket_number, title, snippet, created_at, read_at";

    public async Task AddAsync(string agentId, InboxEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        await using var connection = await database.OpenWriterAsync(cancellationToken);
        await using var insert = connection.Command(
            """
            INSERT INTO notification_inbox (id, agent_id, kind, ticket_id, ticket_number, title, snippet, created_at, read_at)
            VALUES ($id, $agent, $kind, $ticket, $number, $title, $snippet, $created, NULL)
            ON CONFLICT (id) DO NOTHING
            """,
            null,
            ("$id", entry.Id),
            ("$agent", agentId),
            ("$kind", Names.Of(entry.Kind)),
            ("$ticket", entry.TicketId),
            ("$number", entry.TicketNumber),
            ("$title", entry.Title),
            ("$snippet", entry.Snippet),
            ("$created", SqliteTime.Format(entry.CreatedAt)));
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<Page<InboxEntry>> ListAsync(string agentId, bool unreadOnly, int limit, string? cursor, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var select = connection.Command(
            $"""
            SELECT {Columns} FROM notification_inbox
            WHERE agent_id = $agent AND seq < $before{(unreadOnly ? " AND read_at IS NULL" : string.Empty)}
            ORDER BY seq DESC LIMIT $limit
            """,
            null,
            ("$agent", agentId),
            ("$before", cursor is null ? long.MaxValue : Paging.DecodeKey(cursor)),
            ("$limit", limit + 1));
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        var items = new List<InboxEntry>();
        long last = 0;
        while (items.Count < limit && await reader.ReadAsync(cancellationToken))
        {
            last = reader.GetInt64(0);
            items.Add(Read(reader));
        }

        var more = items.Count == limit && await reader.ReadAsync(cancellationToken);
        return new Page<InboxEntry>(items, more ? Paging.EncodeKey(last) : null);
    }

    public async Task<int> UnreadCountAsync(string agentId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var count = connection.Command("SELECT COUNT(*) FROM notification_inbox WHERE agent_id = $agent AND read_at IS NULL", null, ("$agent", agentId));
        return Convert.ToInt32(await count.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    public async Task<InboxEntry?> MarkReadAsync(string agentId, string id, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenWriterAsync(cancellationToken);
        await using var update = connection.Command(
            $"UPDATE notification_inbox SET read_at = coalesce(read_at, $now) WHERE id = $id AND agent_id = $agent RETURNING {Columns}",
            null,
            ("$now", SqliteTime.Format(now)),
            ("$id", id),
            ("$agent", agentId));
        await using var reader = await update.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    public async Task<int> MarkAllReadAsync(string agentId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenWriterAsync(cancellationToken);
        await using var update = connection.Command(
            "UPDATE notification_inbox SET read_at = $now WHERE agent_id = $agent AND read_at IS NULL",
            null,
            ("$now", SqliteTime.Format(now)),
            ("$agent", agentId));
        return await update.ExecuteNonQueryAsync(cancellationToken);
    }

    private static InboxEntry Read(SqliteDataReader reader) =>
        new(
            reader.GetString(1),
            Names.TryParse<InboxEntryKind>(reader.GetString(2), out var kind) ? kind : throw new InvalidDataException($"Unknown inbox entry kind {reader.GetString(2)}."),
            reader.GetString(3),
            reader.GetString(4),
            reader.GetString(5),
            reader.IsDBNull(6) ? null : reader.GetString(6),
            Parse(reader.GetString(7)),
            reader.IsDBNull(8) ? null : Parse(reader.GetString(8)));

    private static DateTimeOffset Parse(string value) =>
        DateTimeOffset.Parse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}
