using Helpdesk.Api.Storage.Sqlite;

namespace Helpdesk.Api.Calendar;

internal sealed class SqliteCalendarLinks(SqliteDatabase database) : ICalendarLinks
{
    public static SqliteMigration Schema { get; } = new(
        "0206-calendar-links",
        """
        CREATE TABLE calendar_links (
            activity_id       TEXT    PRIMARY KEY,
            user_id           TEXT    NOT NULL,
            event_id          TEXT    NOT NULL,
            activity_version  INTEGER NOT NULL
        ) WITHOUT ROWID;
        """);

    public async Task<CalendarLink?> FindAsync(string activityId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command(
            "SELECT user_id, event_id, activity_version FROM calendar_links WHERE activity_id = $id", null, ("$id", activityId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new CalendarLink(activityId, reader.GetString(0), reader.GetString(1), reader.GetInt64(2))
            : null;
    }

    public async Task SaveAsync(CalendarLink link, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenWriterAsync(cancellationToken);
        await using var command = connection.Command(
            """
            INSERT INTO calendar_links (activity_id, user_id, event_id, activity_version) VALUES ($id, $user, $event, $version)
            ON CONFLICT (activity_id) DO UPDATE SET user_id = excluded.user_id, event_id = excluded.event_id, activity_version = excluded.activity_version
            """,
            null,
            ("$id", link.ActivityId),
            ("$user", link.UserId),
            ("$event", link.EventId),
            ("$version", link.ActivityVersion));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task RemoveAsync(string activityId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenWriterAsync(cancellationToken);
        await using var command = connection.Command("DELETE FROM calendar_links WHERE activity_id = $id", null, ("$id", activityId));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
