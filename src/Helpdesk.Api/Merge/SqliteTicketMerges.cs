using Helpdesk.Api.Storage;
using Helpdesk.Api.Storage.Sqlite;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Tickets;
using Microsoft.Data.Sqlite;

namespace Helpdesk.Api.Merge;

/// <summary>
/// Writes a merge (or its undo) as one SQLite transaction: both tickets with their history and
/// events, the source's rows re-pointed to the target, and the list of exactly which rows moved,
/// so an undo moves back those and nothing the target gained since.
/// </summary>
internal sealed class SqliteTicketMerges(SqliteDatabase database, SqliteTicketStore tickets) : ITicketMerges
{
    public static SqliteMigration Migration { get; } = new(
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

    /// <summary>
    /// The tables whose rows are a ticket's thread and work (each with an <c>id</c>, a
    /// <c>ticket_id</c> and a document holding <c>ticketId</c>); their seq keeps them in
    /// chronological order once interleaved with the target's own rows.
    /// </summary>
    private static readonly string[] ContentTables = ["ticket_messages", "ticket_attachments", "time_entries", "cost_lines", "activities"];

    public async Task MergeAsync(Ticket source, Ticket target, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction();
        await tickets.WriteChangesAsync(connection, transaction, source, cancellationToken);
        await tickets.WriteChangesAsync(connection, transaction, target, cancellationToken);

        var moved = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var table in ContentTables)
        {
            moved[table] = await ReadIdsAsync(
                connection.Command(
                    $"UPDATE {table} SET ticket_id = $to, doc = json_set(doc, '$.ticketId', $to) WHERE ticket_id = $from RETURNING id",
                    transaction,
                    ("$from", source.Id),
                    ("$to", target.Id)),
                cancellationToken);
        }

        moved["timers"] = await ReadIdsAsync(
            connection.Command("UPDATE timers SET ticket_id = $to WHERE ticket_id = $from RETURNING agent_id", transaction, ("$from", source.Id), ("$to", target.Id)),
            cancellationToken);

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
        source.MarkSaved(source.Version + 1);
        target.MarkSaved(target.Version + 1);
    }

    public async Task UndoAsync(Ticket source, Ticket target, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction();
        await tickets.WriteChangesAsync(connection, transaction, source, cancellationToken);
        await tickets.WriteChangesAsync(connection, transaction, target, cancellationToken);

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

        foreach (var table in ContentTables)
        {
            await using var back = connection.Command(
                $"UPDATE {table} SET ticket_id = $to, doc = json_set(doc, '$.ticketId', $to) WHERE ticket_id = $from AND id IN (SELECT value FROM json_each($ids))",
                transaction,
                ("$from", target.Id),
                ("$to", source.Id),
                ("$ids", StoreJson.Serialize(moved.GetValueOrDefault(table) ?? [])));
            await back.ExecuteNonQueryAsync(cancellationToken);
        }

        // A timer started on the target after the merge stays there.
        await using (var timers = connection.Command(
            "UPDATE timers SET ticket_id = $to WHERE ticket_id = $from AND started_at <= $mergedAt AND agent_id IN (SELECT value FROM json_each($ids))",
            transaction,
            ("$from", target.Id),
            ("$to", source.Id),
            ("$mergedAt", mergedAt),
            ("$ids", StoreJson.Serialize(moved.GetValueOrDefault("timers") ?? []))))
        {
            await timers.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        source.MarkSaved(source.Version + 1);
        target.MarkSaved(target.Version + 1);
    }

    private static async Task<List<string>> ReadIdsAsync(SqliteCommand command, CancellationToken cancellationToken)
    {
        await using (command)
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
}
