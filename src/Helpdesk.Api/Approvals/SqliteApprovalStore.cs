using Helpdesk.Api.Common;
using Helpdesk.Api.Storage;
using Helpdesk.Api.Storage.Sqlite;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Approvals;
using Microsoft.Data.Sqlite;

namespace Helpdesk.Api.Approvals;

/// <summary>
/// Approvals. <c>due_at</c> is set only while an approval is pending: the sooner of its current
/// step's reminder (until sent) and its expiry, so the deadline scan reads a partial index of
/// pending approvals and nothing else.
/// </summary>
internal sealed class SqliteApprovalStore(SqliteDatabase database) : IApprovalStore
{
    public static SqliteMigration Schema { get; } = new(
        "0300-approvals",
        """
        CREATE TABLE approvals (
            seq        INTEGER PRIMARY KEY AUTOINCREMENT,
            id         TEXT    NOT NULL UNIQUE,
            ticket_id  TEXT    NOT NULL,
            status     TEXT    NOT NULL,
            due_at     TEXT,
            version    INTEGER NOT NULL,
            doc        TEXT    NOT NULL
        );
        CREATE INDEX ix_approvals_ticket ON approvals (ticket_id, seq);
        CREATE INDEX ix_approvals_due    ON approvals (due_at) WHERE due_at IS NOT NULL;
        """);

    /// <summary>Approval rows: their status, and their next deadline while pending.</summary>
    public static SqliteItemTable Table(ApprovalOptions options) =>
        new(TicketItemKinds.Approval, "approvals", value => Columns((Approval)value, options.ReminderAfter));

    private static IReadOnlyList<(string, object?)> Columns(Approval a, TimeSpan reminderAfter) =>
        [("status", Domain.Common.Names.Of(a.Status)), ("due_at", SqliteTime.Format(a.DueAt(reminderAfter)))];

    public async Task<Versioned<Approval>?> FindAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command("SELECT version, doc FROM approvals WHERE id = $id", null, ("$id", id));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader, 0) : null;
    }

    public async Task<Page<Versioned<Approval>>> ListAsync(string ticketId, int limit, string? cursor, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command(
            "SELECT seq, version, doc FROM approvals WHERE ticket_id = $ticket AND seq > $after ORDER BY seq LIMIT $limit",
            null,
            ("$ticket", ticketId),
            ("$after", cursor is null ? 0 : Paging.DecodeKey(cursor)),
            ("$limit", limit + 1));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var items = new List<Versioned<Approval>>();
        long lastSeq = 0;
        while (items.Count < limit && await reader.ReadAsync(cancellationToken))
        {
            lastSeq = reader.GetInt64(0);
            items.Add(Read(reader, 1));
        }

        var hasMore = items.Count == limit && await reader.ReadAsync(cancellationToken);
        return new Page<Versioned<Approval>>(items, hasMore ? Paging.EncodeKey(lastSeq) : null);
    }

    public async Task<IReadOnlyList<Versioned<Approval>>> DueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command(
            "SELECT version, doc FROM approvals WHERE due_at IS NOT NULL AND due_at <= $now ORDER BY due_at LIMIT $limit",
            null,
            ("$now", SqliteTime.Format(now)),
            ("$limit", limit));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var due = new List<Versioned<Approval>>();
        while (await reader.ReadAsync(cancellationToken))
        {
            due.Add(Read(reader, 0));
        }

        return due;
    }

    private static Versioned<Approval> Read(SqliteDataReader reader, int first) =>
        new(StoreJson.Deserialize<Approval>(reader.GetString(first + 1)), reader.GetInt64(first));
}
