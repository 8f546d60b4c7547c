using Helpdesk.Api.Common;
using Helpdesk.Api.Storage;
using Helpdesk.Api.Storage.Sqlite;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Work;
using Microsoft.Data.Sqlite;

namespace Helpdesk.Api.Interventions;

/// <summary>
/// Interventions. <c>schedule_key</c> is the technician, the start and the id
/// (<see cref="InterventionSchedule"/>), so a technician's schedule is one index range.
/// </summary>
internal sealed class SqliteInterventionStore(SqliteDatabase database) : IInterventionStore
{
    public static SqliteMigration Schema { get; } = new(
        "field-23-interventions",
        """
        CREATE TABLE interventions (
            seq          INTEGER PRIMARY KEY AUTOINCREMENT,
            id           TEXT    NOT NULL UNIQUE,
            ticket_id    TEXT    NOT NULL,
            schedule_key TEXT    NOT NULL,
            version      INTEGER NOT NULL,
            doc          TEXT    NOT NULL
        );
        CREATE INDEX ix_interventions_ticket   ON interventions (ticket_id, seq);
        CREATE INDEX ix_interventions_schedule ON interventions (schedule_key);
        """);

    public static SqliteItemTable Table { get; } = new(
        TicketItemKinds.Intervention,
        "interventions",
        value => [("schedule_key", InterventionSchedule.Key((Intervention)value))]);

    public async Task<Versioned<Intervention>?> FindAsync(string ticketId, string interventionId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command(
            "SELECT version, doc FROM interventions WHERE id = $id AND ticket_id = $ticket", null, ("$id", interventionId), ("$ticket", ticketId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader, 0) : null;
    }

    public async Task<Page<Versioned<Intervention>>> ListAsync(string ticketId, int limit, string? cursor, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command(
            "SELECT seq, version, doc FROM interventions WHERE ticket_id = $ticket AND seq > $after ORDER BY seq LIMIT $limit",
            null,
            ("$ticket", ticketId),
            ("$after", cursor is null ? 0 : Paging.DecodeKey(cursor)),
            ("$limit", limit + 1));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var items = new List<Versioned<Intervention>>();
        long lastSeq = 0;
        while (items.Count < limit && await reader.ReadAsync(cancellationToken))
        {
            lastSeq = reader.GetInt64(0);
            items.Add(Read(reader, 1));
        }

        var hasMore = items.Count == limit && await reader.ReadAsync(cancellationToken);
        return new Page<Versioned<Intervention>>(items, hasMore ? Paging.EncodeKey(lastSeq) : null);
    }

    public async Task<Page<Intervention>> ScheduleAsync(string technicianId, DateTimeOffset from, DateTimeOffset to, int limit, string? cursor, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command(
            """
            SELECT version, doc FROM interventions
            WHERE schedule_key > $after AND schedule_key < $to
            ORDER BY schedule_key LIMIT $limit
            """,
            null,
            ("$after", InterventionCursor.After(technicianId, from, cursor)),
            ("$to", InterventionSchedule.From(technicianId, to)),
            ("$limit", limit + 1));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var items = new List<Intervention>();
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(Read(reader, 0).Value);
        }

        return InterventionCursor.Page(items, limit);
    }

    private static Versioned<Intervention> Read(SqliteDataReader reader, int first) =>
        new(StoreJson.Deserialize<Intervention>(reader.GetString(first + 1)), reader.GetInt64(first));
}
