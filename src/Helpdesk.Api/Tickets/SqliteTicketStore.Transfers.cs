using Helpdesk.Api.Common;
using Helpdesk.Api.Storage;
using Helpdesk.Api.Storage.Sqlite;
using Helpdesk.Domain.Tickets;
using Microsoft.Data.Sqlite;

namespace Helpdesk.Api.Tickets;

/// <summary>
/// Writes between two tickets, each one SQLite transaction: a merge (or its undo) writes both
/// tickets with their history and events, re-points the source's items to the target and records
/// exactly which rows moved, so an undo moves back those and nothing the target gained since; a
/// message move (or split) writes both tickets and re-points the message, its files and the
/// records that follow it.
/// </summary>
internal sealed partial class SqliteTicketStore
{
    public static SqliteMigration MergesMigration { get; } = new(
        "0100-4-ticket-merges",
        """
        CREATE TABLE ticket_merges (
            source_id  TEXT PRIMARY KEY,
            target_id  TEXT NOT NULL,
            merged_at  TEXT NOT NULL,
            moved      TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX ix_ticket_merges_target ON ticket_merges (target_id);
        """);

    /// <summary>History notes: a line recorded once per key (a notification sent), without a new version of the ticket.</summary>
    public static SqliteMigration HistoryNotesMigration { get; } = new(
        "0500-1-history-notes",
        """
        ALTER TABLE ticket_history ADD COLUMN note_key TEXT;
        CREATE UNIQUE INDEX ux_ticket_history_note ON ticket_history (ticket_id, note_key) WHERE note_key IS NOT NULL;
        """);

    /// <summary>
    /// Who sees a ticket in the customer portal (<see cref="PortalVisibility"/>): the portal's
    /// list reads the contact's and the account's index ranges and filters on it.
    /// </summary>
    public static SqliteMigration PortalMigration { get; } = new(
        "0620-1-ticket-portal-visibility",
        "ALTER TABLE tickets ADD COLUMN portal TEXT NOT NULL DEFAULT 'default';");

    /// <summary>
    /// The list filters by project and contract (issue 23): expression indexes on the links in
    /// the ticket document, in seq order like the other list indexes (the query uses the very
    /// same expressions for SQLite to pick them).
    /// </summary>
    public static SqliteMigration LinksMigration { get; } = new(
        "2300-2-ticket-links",
        """
        CREATE INDEX ix_tickets_project ON tickets (json_extract(doc, '$.project.id'), seq);
        CREATE INDEX ix_tickets_contract ON tickets (json_extract(doc, '$.contract.id'), seq);
        """);

    /// <summary>
    /// The receipts of requests with an Idempotency-Key, each stored with the first ticket write
    /// the request made (<see cref="TicketReceipt"/>), kept a day.
    /// </summary>
    public static SqliteMigration ReceiptsMigration { get; } = new(
        "1700-1-ticket-receipts",
        """
        CREATE TABLE ticket_receipts (
            id          TEXT PRIMARY KEY,
            ticket_id   TEXT NOT NULL,
            created_at  TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX ix_ticket_receipts_created ON ticket_receipts (created_at);
        """);

    /// <summary>The item tables a merge re-points; their rows' order (seq) keeps a merged thread chronological.</summary>
    private IEnumerable<SqliteItemTable> MergedTables => _tables.Values.Where(t => TicketItemKinds.MovedByMerge.Contains(t.Kind));

    public async Task MergeAsync(Ticket source, Ticket target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        await using var connection = await database.OpenWriterAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction();
        await WriteAsync(connection, transaction, source, Telemetry.CurrentTraceParent(), cancellationToken);
        await WriteAsync(connection, transaction, target, Telemetry.CurrentTraceParent(), cancellationToken);
        var moved = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var table in MergedTables)
        {
            await using var update = connection.Command(
                $"UPDATE {table.Table} SET ticket_id = $to, doc = json_set(doc, '$.ticketId', $to) WHERE ticket_id = $from RETURNING {table.IdColumn}",
                transaction,
                ("$from", source.Id),
                ("$to", target.Id));
            moved[table.Table] = await ReadIdsAsync(update, cancellationToken);
        }

        await using (var insert = connection.Command(
            "INSERT INTO ticket_merges (source_id, target_id, merged_at, moved) VALUES ($source, $target, $at, $moved)",
            transaction,
            ("$source", source.Id),
            ("$target", target.Id),
            ("$at", SqliteTime.Format(source.MergedInto!.At)),
            ("$moved", StoreJson.Serialize(moved))))
        {
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        MarkSaved([source, target]);
    }

    public async Task UndoMergeAsync(Ticket source, Ticket target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        await using var connection = await database.OpenWriterAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction();
        await WriteAsync(connection, transaction, source, Telemetry.CurrentTraceParent(), cancellationToken);
        await WriteAsync(connection, transaction, target, Telemetry.CurrentTraceParent(), cancellationToken);
        string mergedAt;
        Dictionary<string, List<string>> moved;
        await using (var read = connection.Command(
            "DELETE FROM ticket_merges WHERE source_id = $source AND target_id = $target RETURNING merged_at, moved",
            transaction,
            ("$source", source.Id),
            ("$target", target.Id)))
        await using (var reader = await read.ExecuteReaderAsync(cancellationToken))
        {
            if (!await reader.ReadAsync(cancellationToken))
            {
                throw new InvalidOperationException($"Ticket {source.Id} has no record of its merge into {target.Id}.");
            }

            mergedAt = reader.GetString(0);
            moved = StoreJson.Deserialize<Dictionary<string, List<string>>>(reader.GetString(1));
        }

        foreach (var table in MergedTables)
        {
            var condition = table.UndoMergeCondition is { } only ? $" AND {only}" : string.Empty;
            await using var back = connection.Command(
                $"UPDATE {table.Table} SET ticket_id = $to, doc = json_set(doc, '$.ticketId', $to) WHERE ticket_id = $from AND {table.IdColumn} IN (SELECT value FROM json_each($ids)){condition}",
                transaction,
                ("$from", target.Id),
                ("$to", source.Id),
                ("$mergedAt", mergedAt),
                ("$ids", StoreJson.Serialize(moved.GetValueOrDefault(table.Table) ?? [])));
            await back.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        MarkSaved([source, target]);
    }

    public async Task MoveMessageAsync(Ticket source, Ticket target, string messageId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        await using var connection = await database.OpenWriterAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction();
        await WriteAsync(connection, transaction, source, Telemetry.CurrentTraceParent(), cancellationToken);
        await WriteAsync(connection, transaction, target, Telemetry.CurrentTraceParent(), cancellationToken);
        var messages = Table(TicketItemKinds.Message);
        await using (var message = connection.Command(
            $"UPDATE {messages.Table} SET ticket_id = $to, doc = json_set(doc, '$.ticketId', $to) WHERE id = $id AND ticket_id = $from",
            transaction,
            ("$id", messageId),
            ("$from", source.Id),
            ("$to", target.Id)))
        {
            if (await message.ExecuteNonQueryAsync(cancellationToken) != 1)
            {
                throw new ConcurrencyConflictException($"Message {messageId} is no longer on ticket {source.Id}.");
            }
        }

        foreach (var table in _tables.Values.Where(t => t.MessageColumn is not null))
        {
            await using var files = connection.Command(
                $"UPDATE {table.Table} SET ticket_id = $to, doc = json_set(doc, '$.ticketId', $to) WHERE {table.MessageColumn} = $id AND ticket_id = $from",
                transaction,
                ("$id", messageId),
                ("$from", source.Id),
                ("$to", target.Id));
            await files.ExecuteNonQueryAsync(cancellationToken);
        }

        foreach (var follower in messageFollowers)
        {
            await follower.FollowAsync(connection, transaction, messageId, source.Id, target.Id, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        MarkSaved([source, target]);
    }

    private static async Task<List<string>> ReadIdsAsync(SqliteCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var ids = new List<string>();
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }
}
