using System.Globalization;
using Helpdesk.Api.Common;
using Helpdesk.Api.Storage;
using Helpdesk.Api.Storage.Sqlite;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Tickets;
using Helpdesk.Domain.Work;
using Microsoft.Data.Sqlite;

namespace Helpdesk.Api.Activities;

/// <summary>
/// Activities. <c>remind_at</c> is set only while a reminder waits to fire (not sent, activity not
/// done), so the reminder scan reads a partial index of pending reminders and nothing else.
/// </summary>
internal sealed class SqliteActivityStore(SqliteDatabase database, SqliteTicketStore tickets) : IActivityStore
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

    public async Task SaveAsync(Ticket ticket, Versioned<Activity> activity, bool remove, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction();
        if (ticket.PendingHistory.Count > 0)
        {
            await tickets.WriteChangesAsync(connection, transaction, ticket, cancellationToken);
        }

        var sql = (remove, activity.Version) switch
        {
            (true, _) => "DELETE FROM activities WHERE id = $id AND version = $expected",
            (false, 0) => "INSERT INTO activities (id, ticket_id, owner_id, remind_at, version, doc) VALUES ($id, $ticket, $owner, $remind, 1, $doc)",
            _ => "UPDATE activities SET owner_id = $owner, remind_at = $remind, version = version + 1, doc = $doc WHERE id = $id AND version = $expected",
        };
        await ExpectOneAsync(connection, transaction, sql, activity, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        if (ticket.PendingHistory.Count > 0)
        {
            ticket.MarkSaved(ticket.Version + 1);
        }
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

    public async Task<bool> MarkReminderSentAsync(Versioned<Activity> sent, DomainEvent reminder, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction();
        try
        {
            await ExpectOneAsync(connection, transaction, "UPDATE activities SET remind_at = $remind, version = version + 1, doc = $doc WHERE id = $id AND version = $expected", sent, cancellationToken);
        }
        catch (ConcurrencyConflictException)
        {
            return false;
        }

        await using (var outbox = connection.Command(
            "INSERT INTO outbox (id, type, ticket_id, occurred_at, doc) VALUES ($id, $type, $ticket, $at, $doc)",
            transaction,
            ("$id", reminder.Id.ToString("D", CultureInfo.InvariantCulture)),
            ("$type", reminder.Type),
            ("$ticket", reminder.TicketId),
            ("$at", SqliteTime.Format(reminder.OccurredAt)),
            ("$doc", StoreJson.Serialize(reminder))))
        {
            await outbox.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    private static async Task ExpectOneAsync(SqliteConnection connection, SqliteTransaction transaction, string sql, Versioned<Activity> activity, CancellationToken cancellationToken)
    {
        var a = activity.Value;
        var pending = !a.Done && a.ReminderSentAt is null ? a.Details.Reminder?.At : null;
        await using var command = connection.Command(
            sql,
            transaction,
            ("$id", a.Id),
            ("$ticket", a.TicketId),
            ("$owner", a.Details.OwnerId),
            ("$remind", SqliteTime.Format(pending)),
            ("$expected", activity.Version),
            ("$doc", StoreJson.Serialize(a)));
        if (await command.ExecuteNonQueryAsync(cancellationToken) != 1)
        {
            throw new ConcurrencyConflictException("The activity changed since it was read.");
        }
    }

    private static Versioned<Activity> Read(SqliteDataReader reader, int first) =>
        new(StoreJson.Deserialize<Activity>(reader.GetString(first + 1)), reader.GetInt64(first));
}
