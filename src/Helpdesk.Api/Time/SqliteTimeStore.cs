using System.Globalization;
using Helpdesk.Api.Common;
using Helpdesk.Api.Storage;
using Helpdesk.Api.Storage.Sqlite;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Work;

namespace Helpdesk.Api.Time;

/// <summary>
/// Time entries, running timers (one row per agent while a timer runs: the primary key keeps one
/// per agent across tickets) and heartbeat presence in the SQLite file.
/// </summary>
internal sealed class SqliteTimeStore(SqliteDatabase database) : ITimeStore
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

    /// <summary>Timers carry a version and a document like every item written through the ticket store.</summary>
    public static SqliteMigration TimerVersions { get; } = new(
        "0500-4-timer-versions",
        """
        ALTER TABLE timers ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
        ALTER TABLE timers ADD COLUMN doc TEXT;
        """);

    public static SqliteItemTable Entries { get; } = new(TicketItemKinds.TimeEntry, "time_entries", value => EntryColumns((TimeEntry)value));

    public static SqliteItemTable Presences { get; } = new(TicketItemKinds.Presence, "presence", _ => []) { IdColumn = "agent_id" };

    /// <summary>A timer started on the target after a merge stays there when the merge is undone.</summary>
    public static SqliteItemTable Timers { get; } = new(TicketItemKinds.Timer, "timers", value => [("started_at", SqliteTime.Format(((RunningTimer)value).StartedAt))])
    {
        IdColumn = "agent_id",
        UndoMergeCondition = "started_at <= $mergedAt",
    };

    private static IReadOnlyList<(string, object?)> EntryColumns(TimeEntry e) =>
        [("agent_id", e.AgentId), ("work_date", StoreDays.Format(e.WorkDate)), ("minutes", e.Minutes), ("billable", e.Billable ? 1 : 0), ("draft", e.Draft ? 1 : 0)];

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

    public async Task<Versioned<RunningTimer>?> FindTimerAsync(string agentId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command("SELECT ticket_id, started_at, version FROM timers WHERE agent_id = $agent", null, ("$agent", agentId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new Versioned<RunningTimer>(
                new RunningTimer(agentId, reader.GetString(0), DateTimeOffset.Parse(reader.GetString(1), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal)),
                reader.GetInt64(2))
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

    public async Task<IReadOnlyList<TimeRow>> RowsAsync(DateOnly from, DateOnly to, string? accountId, string? contractId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command(
            """
            SELECT e.agent_id, e.ticket_id, t.number, t.account_id, e.minutes, e.billable, json_extract(t.doc, '$.contract.id'), json_extract(t.doc, '$.contract.label')
            FROM time_entries e JOIN tickets t ON t.id = e.ticket_id
            WHERE e.draft = 0 AND t.deleted = 0 AND e.work_date >= $from AND e.work_date < $to AND ($account IS NULL OR t.account_id = $account)
              AND ($contract IS NULL OR json_extract(t.doc, '$.contract.id') = $contract)
            """,
            null,
            ("$account", accountId),
            ("$contract", contractId),
            ("$from", StoreDays.Format(from)),
            ("$to", StoreDays.Format(to)));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<TimeRow>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new TimeRow(
                reader.GetString(0),
                reader.GetString(1),
                reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.GetInt32(4),
                reader.GetInt64(5) == 1,
                reader.IsDBNull(6) ? null : reader.GetString(6),
                reader.IsDBNull(7) ? null : reader.GetString(7)));
        }

        return rows;
    }
}
