using System.Globalization;
using Helpdesk.Api.Common;
using Helpdesk.Api.Storage;
using Helpdesk.Api.Storage.Sqlite;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Work;
using Microsoft.Data.Sqlite;

namespace Helpdesk.Api.Time;

internal sealed class SqliteTimeStore(SqliteDatabase database, SqliteTicketStore tickets) : ITimeStore
{
    public static SqliteMigration Schema { get; } = new(
        "0200-time",
        """
        CREATE TABLE time_entries (
            seq        INTEGER PRIMARY KEY AUTOINCREMENT,
            id         TEXT    NOT NULL UNIQUE,
            ticket_id  TEXT    NOT NULL,
            agent_id   TEXT    NOT NULL,
            work_date  TEXT    NOT NULL,
            minutes    INTEGER NOT NULL,
            billable   INTEGER NOT NULL,
            draft      INTEGER NOT NULL,
            version    INTEGER NOT NULL,
            doc        TEXT    NOT NULL
        );
        CREATE INDEX ix_time_entries_ticket ON time_entries (ticket_id, seq);
        CREATE INDEX ix_time_entries_month  ON time_entries (work_date) WHERE draft = 0;

        CREATE TABLE timers (
            agent_id   TEXT PRIMARY KEY,
            ticket_id  TEXT NOT NULL,
            started_at TEXT NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE presence (
            agent_id   TEXT    NOT NULL,
            ticket_id  TEXT    NOT NULL,
            version    INTEGER NOT NULL,
            doc        TEXT    NOT NULL,
            PRIMARY KEY (agent_id, ticket_id)
        ) WITHOUT ROWID;
        """);

    public async Task<Versioned<TimeEntry>?> FindAsync(string ticketId, string entryId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command(
            "SELECT version, doc FROM time_entries WHERE id = $id AND ticket_id = $ticket", null, ("$id", entryId), ("$ticket", ticketId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new Versioned<TimeEntry>(StoreJson.Deserialize<TimeEntry>(reader.GetString(1)), reader.GetInt64(0))
            : null;
    }

    public async Task<Page<Versioned<TimeEntry>>> ListAsync(string ticketId, int limit, string? cursor, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command(
            "SELECT seq, version, doc FROM time_entries WHERE ticket_id = $ticket AND seq > $after ORDER BY seq LIMIT $limit",
            null,
            ("$ticket", ticketId),
            ("$after", cursor is null ? 0 : Paging.DecodeKey(cursor)),
            ("$limit", limit + 1));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var items = new List<Versioned<TimeEntry>>();
        long lastSeq = 0;
        while (items.Count < limit && await reader.ReadAsync(cancellationToken))
        {
            lastSeq = reader.GetInt64(0);
            items.Add(new Versioned<TimeEntry>(StoreJson.Deserialize<TimeEntry>(reader.GetString(2)), reader.GetInt64(1)));
        }

        var hasMore = items.Count == limit && await reader.ReadAsync(cancellationToken);
        return new Page<Versioned<TimeEntry>>(items, hasMore ? Paging.EncodeKey(lastSeq) : null);
    }

    public async Task<TimeTotals> TotalsAsync(string ticketId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command(
            """
            SELECT COALESCE(SUM(CASE WHEN billable = 1 THEN minutes END), 0), COALESCE(SUM(CASE WHEN billable = 0 THEN minutes END), 0)
            FROM time_entries WHERE ticket_id = $ticket AND draft = 0
            """,
            null,
            ("$ticket", ticketId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var billable = reader.GetInt64(0);
        var nonBillable = reader.GetInt64(1);
        return new TimeTotals(billable + nonBillable, billable, nonBillable);
    }

    public async Task<RunningTimer?> FindTimerAsync(string agentId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command("SELECT ticket_id, started_at FROM timers WHERE agent_id = $agent", null, ("$agent", agentId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new RunningTimer(agentId, reader.GetString(0), DateTimeOffset.Parse(reader.GetString(1), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal))
            : null;
    }

    public async Task<Versioned<Presence>?> FindPresenceAsync(string agentId, string ticketId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command(
            "SELECT version, doc FROM presence WHERE agent_id = $agent AND ticket_id = $ticket", null, ("$agent", agentId), ("$ticket", ticketId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new Versioned<Presence>(StoreJson.Deserialize<Presence>(reader.GetString(1)), reader.GetInt64(0))
            : null;
    }

    public async Task<IReadOnlyList<TimeRow>> RowsAsync(DateOnly from, DateOnly to, string? accountId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command(
            """
            SELECT e.agent_id, e.ticket_id, t.number, t.account_id, e.minutes, e.billable
            FROM time_entries e JOIN tickets t ON t.id = e.ticket_id
            WHERE e.draft = 0 AND t.deleted = 0 AND e.work_date >= $from AND e.work_date < $to AND ($account IS NULL OR t.account_id = $account)
            """,
            null,
            ("$account", accountId),
            ("$from", Day(from)),
            ("$to", Day(to)));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<TimeRow>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new TimeRow(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetInt32(4), reader.GetInt64(5) == 1));
        }

        return rows;
    }

    public async Task WriteAsync(TimeWrite write, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction();
        foreach (var ticket in write.Tickets.Where(t => t.PendingHistory.Count > 0))
        {
            await tickets.WriteChangesAsync(connection, transaction, ticket, cancellationToken);
        }

        foreach (var entry in write.Removals)
        {
            await ExpectOneAsync(connection, transaction, "DELETE FROM time_entries WHERE id = $id AND version = $expected", cancellationToken, ("$id", entry.Value.Id), ("$expected", entry.Version));
        }

        foreach (var entry in write.Entries)
        {
            await WriteEntryAsync(connection, transaction, entry, cancellationToken);
        }

        if (write.StopTimer is { } stop)
        {
            await ExpectOneAsync(
                connection,
                transaction,
                "DELETE FROM timers WHERE agent_id = $agent AND ticket_id = $ticket AND started_at = $started",
                cancellationToken,
                ("$agent", stop.AgentId),
                ("$ticket", stop.TicketId),
                ("$started", SqliteTime.Format(stop.StartedAt)));
        }

        if (write.StartTimer is { } start)
        {
            await ExpectOneAsync(
                connection,
                transaction,
                "INSERT INTO timers (agent_id, ticket_id, started_at) VALUES ($agent, $ticket, $started) ON CONFLICT (agent_id) DO NOTHING",
                cancellationToken,
                ("$agent", start.AgentId),
                ("$ticket", start.TicketId),
                ("$started", SqliteTime.Format(start.StartedAt)));
        }

        if (write.RemovePresence is { } gone)
        {
            await ExpectOneAsync(
                connection,
                transaction,
                "DELETE FROM presence WHERE agent_id = $agent AND ticket_id = $ticket AND version = $expected",
                cancellationToken,
                ("$agent", gone.Value.AgentId),
                ("$ticket", gone.Value.TicketId),
                ("$expected", gone.Version));
        }

        if (write.SavePresence is { } presence)
        {
            await ExpectOneAsync(
                connection,
                transaction,
                presence.Version == 0
                    ? "INSERT INTO presence (agent_id, ticket_id, version, doc) VALUES ($agent, $ticket, 1, $doc) ON CONFLICT DO NOTHING"
                    : "UPDATE presence SET version = version + 1, doc = $doc WHERE agent_id = $agent AND ticket_id = $ticket AND version = $expected",
                cancellationToken,
                ("$agent", presence.Value.AgentId),
                ("$ticket", presence.Value.TicketId),
                ("$expected", presence.Version),
                ("$doc", StoreJson.Serialize(presence.Value)));
        }

        await transaction.CommitAsync(cancellationToken);
        foreach (var ticket in write.Tickets.Where(t => t.PendingHistory.Count > 0))
        {
            ticket.MarkSaved(ticket.Version + 1);
        }
    }

    private static Task WriteEntryAsync(SqliteConnection connection, SqliteTransaction transaction, Versioned<TimeEntry> entry, CancellationToken cancellationToken)
    {
        var e = entry.Value;
        (string, object?)[] columns =
        [
            ("$id", e.Id),
            ("$ticket", e.TicketId),
            ("$agent", e.AgentId),
            ("$date", Day(e.WorkDate)),
            ("$minutes", e.Minutes),
            ("$billable", e.Billable ? 1 : 0),
            ("$draft", e.Draft ? 1 : 0),
            ("$expected", entry.Version),
            ("$doc", StoreJson.Serialize(e)),
        ];
        return ExpectOneAsync(
            connection,
            transaction,
            entry.Version == 0
                ? """
                  INSERT INTO time_entries (id, ticket_id, agent_id, work_date, minutes, billable, draft, version, doc)
                  VALUES ($id, $ticket, $agent, $date, $minutes, $billable, $draft, 1, $doc)
                  """
                : """
                  UPDATE time_entries SET agent_id = $agent, work_date = $date, minutes = $minutes, billable = $billable, draft = $draft,
                      version = version + 1, doc = $doc
                  WHERE id = $id AND ticket_id = $ticket AND version = $expected
                  """,
            cancellationToken,
            columns);
    }

    private static async Task ExpectOneAsync(SqliteConnection connection, SqliteTransaction transaction, string sql, CancellationToken cancellationToken, params (string, object?)[] parameters)
    {
        await using var command = connection.Command(sql, transaction, parameters);
        if (await command.ExecuteNonQueryAsync(cancellationToken) != 1)
        {
            throw new ConcurrencyConflictException("The time entry, timer or presence changed since it was read.");
        }
    }

    private static string Day(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
