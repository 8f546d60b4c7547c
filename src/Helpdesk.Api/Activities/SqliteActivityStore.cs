using Helpdesk.Api.Common;
using Helpdesk.Api.Storage;
using Helpdesk.Api.Storage.Sqlite;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Work;
using Microsoft.Data.Sqlite;

namespace Helpdesk.Api.Activities;

/// <summary>
/// Activities. <c>remind_at</c> is set only while a reminder waits to fire (not sent, activity not
/// done), so the reminder scan reads a partial index of pending reminders and nothing else.
/// </summary>
internal sealed class SqliteActivityStore(SqliteDatabase database) : IActivityStore
{
    public static SqliteMigration Schema { get; } = new(
        "0202-activities",
        """
        CREATE TABLE activities (
            seq        INTEGER PRIMARY KEY AUTOINCREMENT,
            id         TEXT    NOT NULL UNIQUE,
            ticket_id  TEXT    NOT NULL,
            owner_id   TEXT    NOT NULL,
            remind_at  TEXT,
            version    INTEGER NOT NULL,
            doc        TEXT    NOT NULL
        );
        CREATE INDEX ix_activities_ticket    ON activities (ticket_id, seq);
        CREATE INDEX ix_activities_reminders ON activities (remind_at) WHERE remind_at IS NOT NULL;
        """);

    public static SqliteItemTable Table { get; } = new(
        TicketItemKinds.Activity,
        "activities",
        value => Columns((Activity)value));

    private static IReadOnlyList<(string, object?)> Columns(Activity a) =>
        [("owner_id", a.Details.OwnerId), ("remind_at", SqliteTime.Format(ActivityReminders.PendingAt(a)))];

    public async Task<Versioned<Activity>?> FindAsync(string ticketId, string activityId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command(
            "SELECT version, doc FROM activities WHERE id = $id AND ticket_id = $ticket", null, ("$id", activityId), ("$ticket", ticketId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader, 0) : null;
    }

    public async Task<Page<Versioned<Activity>>> ListAsync(string ticketId, int limit, string? cursor, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command(
            "SELECT seq, version, doc FROM activities WHERE ticket_id = $ticket AND seq > $after ORDER BY seq LIMIT $limit",
            null,
            ("$ticket", ticketId),
            ("$after", cursor is null ? 0 : Paging.DecodeKey(cursor)),
            ("$limit", limit + 1));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var items = new List<Versioned<Activity>>();
        long lastSeq = 0;
        while (items.Count < limit && await reader.ReadAsync(cancellationToken))
        {
            lastSeq = reader.GetInt64(0);
            items.Add(Read(reader, 1));
        }

        var hasMore = items.Count == limit && await reader.ReadAsync(cancellationToken);
        return new Page<Versioned<Activity>>(items, hasMore ? Paging.EncodeKey(lastSeq) : null);
    }

    public async Task<IReadOnlyList<Versioned<Activity>>> DueRemindersAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command(
            "SELECT version, doc FROM activities WHERE remind_at IS NOT NULL AND remind_at <= $now ORDER BY remind_at LIMIT $limit",
            null,
            ("$now", SqliteTime.Format(now)),
            ("$limit", limit));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var due = new List<Versioned<Activity>>();
        while (await reader.ReadAsync(cancellationToken))
        {
            due.Add(Read(reader, 0));
        }

        return due;
    }

    private static Versioned<Activity> Read(SqliteDataReader reader, int first) =>
        new(StoreJson.Deserialize<Activity>(reader.GetString(first + 1)), reader.GetInt64(first));
}
