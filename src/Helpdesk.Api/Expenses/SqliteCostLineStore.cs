using Helpdesk.Api.Common;
using Helpdesk.Api.Storage;
using Helpdesk.Api.Storage.Sqlite;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Work;

namespace Helpdesk.Api.Expenses;

/// <summary>Cost lines; amounts stay in the JSON document as exact decimals and are summed in .NET, never as SQLite reals.</summary>
internal sealed class SqliteCostLineStore(SqliteDatabase database) : ICostLineStore
{
    public static SqliteMigration Schema { get; } = new(
        "0201-cost-lines",
        """
        CREATE TABLE cost_lines (
            seq        INTEGER PRIMARY KEY AUTOINCREMENT,
            id         TEXT    NOT NULL UNIQUE,
            ticket_id  TEXT    NOT NULL,
            line_date  TEXT    NOT NULL,
            version    INTEGER NOT NULL,
            doc        TEXT    NOT NULL
        );
        CREATE INDEX ix_cost_lines_ticket ON cost_lines (ticket_id, seq);
        CREATE INDEX ix_cost_lines_date   ON cost_lines (line_date);
        """);

    public static SqliteItemTable Table { get; } = new(TicketItemKinds.CostLine, "cost_lines", value => [("line_date", StoreDays.Format(((CostLine)value).Date))]);

    public async Task<Versioned<CostLine>?> FindAsync(string ticketId, string lineId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command(
            "SELECT version, doc FROM cost_lines WHERE id = $id AND ticket_id = $ticket", null, ("$id", lineId), ("$ticket", ticketId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new Versioned<CostLine>(StoreJson.Deserialize<CostLine>(reader.GetString(1)), reader.GetInt64(0))
            : null;
    }

    public async Task<Page<Versioned<CostLine>>> ListAsync(string ticketId, int limit, string? cursor, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command(
            "SELECT seq, version, doc FROM cost_lines WHERE ticket_id = $ticket AND seq > $after ORDER BY seq LIMIT $limit",
            null,
            ("$ticket", ticketId),
            ("$after", cursor is null ? 0 : Paging.DecodeKey(cursor)),
            ("$limit", limit + 1));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var items = new List<Versioned<CostLine>>();
        long lastSeq = 0;
        while (items.Count < limit && await reader.ReadAsync(cancellationToken))
        {
            lastSeq = reader.GetInt64(0);
            items.Add(new Versioned<CostLine>(StoreJson.Deserialize<CostLine>(reader.GetString(2)), reader.GetInt64(1)));
        }

        var hasMore = items.Count == limit && await reader.ReadAsync(cancellationToken);
        return new Page<Versioned<CostLine>>(items, hasMore ? Paging.EncodeKey(lastSeq) : null);
    }

    public async Task<IReadOnlyList<CostLine>> AllAsync(string ticketId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command("SELECT doc FROM cost_lines WHERE ticket_id = $ticket ORDER BY seq", null, ("$ticket", ticketId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var lines = new List<CostLine>();
        while (await reader.ReadAsync(cancellationToken))
        {
            lines.Add(StoreJson.Deserialize<CostLine>(reader.GetString(0)));
        }

        return lines;
    }

    public async Task<IReadOnlyList<CostRow>> RowsAsync(DateOnly from, DateOnly to, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command(
            "SELECT l.doc, t.account_id FROM cost_lines l JOIN tickets t ON t.id = l.ticket_id WHERE t.deleted = 0 AND l.line_date >= $from AND l.line_date < $to",
            null,
            ("$from", StoreDays.Format(from)),
            ("$to", StoreDays.Format(to)));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<CostRow>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new CostRow(StoreJson.Deserialize<CostLine>(reader.GetString(0)), reader.IsDBNull(1) ? null : reader.GetString(1)));
        }

        return rows;
    }
}
