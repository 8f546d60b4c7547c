using System.Security.Cryptography;
using System.Text;
using Helpdesk.Api.Storage.Sqlite;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;
using Microsoft.Data.Sqlite;

namespace Helpdesk.Api.Deletion;

/// <summary>What a purge erased: the attachment contents the ticket referred to, which the caller forgets unless still used elsewhere.</summary>
public sealed record PurgeResult(IReadOnlyList<string> AttachmentHashes);

/// <summary>Erases tickets and every row that names them, leaving one anonymous audit row per ticket, all in one atomic step.</summary>
public interface ITicketPurge
{
    Task<PurgeResult> PurgeAsync(IReadOnlyList<Ticket> tickets, Actor by, DateTimeOffset now, CancellationToken cancellationToken);
}

/// <summary>
/// The GDPR purge on SQLite, in one transaction: the ticket, its search entry, history and
/// events, and the rows every capability keeps per ticket (conversation, attachments, time,
/// cost lines, activities, approvals, resolution, survey, notifications, mail records, queued payloads,
/// stored idempotent responses). A capability that adds a table keyed by ticket adds its
/// statement here; the purge test scans every table of the database for the ticket's id,
/// subject and requester to prove none was missed. Published knowledge articles stay, without
/// their link to the ticket. The audit row keeps who purged, when, and the SHA-256 of the
/// ticket number: an auditor who knows a number can check that it was purged, nobody can read one back.
/// </summary>
internal sealed class SqliteTicketPurge(SqliteDatabase database) : ITicketPurge
{
    public static SqliteMigration Migration { get; } = new(
        "0100-5-ticket-purges",
        """
        CREATE TABLE ticket_purges (
            seq          INTEGER PRIMARY KEY AUTOINCREMENT,
            number_hash  TEXT NOT NULL,
            purged_by    TEXT NOT NULL,
            purged_at    TEXT NOT NULL
        );
        """);

    private static readonly string[] Statements =
    [
        "DELETE FROM tickets_fts WHERE rowid = (SELECT seq FROM tickets WHERE id = $id)",
        "DELETE FROM tickets WHERE id = $id",
        "DELETE FROM ticket_history WHERE ticket_id = $id",
        "DELETE FROM outbox WHERE ticket_id = $id",
        "DELETE FROM ticket_merges WHERE source_id = $id OR target_id = $id",
        "DELETE FROM ticket_messages WHERE ticket_id = $id",
        "DELETE FROM ticket_attachments WHERE ticket_id = $id",
        "DELETE FROM time_entries WHERE ticket_id = $id",
        "DELETE FROM timers WHERE ticket_id = $id",
        "DELETE FROM presence WHERE ticket_id = $id",
        "DELETE FROM cost_lines WHERE ticket_id = $id",
        "DELETE FROM activities WHERE ticket_id = $id",
        "DELETE FROM approvals WHERE ticket_id = $id",
        "DELETE FROM resolutions WHERE ticket_id = $id",
        "UPDATE kb_articles SET doc = json_set(doc, '$.sourceTicketId', NULL) WHERE json_extract(doc, '$.sourceTicketId') = $id",
        "DELETE FROM csat_surveys WHERE ticket_id = $id",
        "DELETE FROM notifications WHERE ticket_id = $id",
        "DELETE FROM notification_inbox WHERE ticket_id = $id",
        "DELETE FROM sms_deliveries WHERE ticket_id = $id",
        "DELETE FROM mail_inbound WHERE ticket_id = $id",
        "DELETE FROM mail_message_ids WHERE ticket_id = $id",
        "DELETE FROM queue_messages WHERE instr(body, $id) > 0",
        "DELETE FROM idempotency WHERE instr(response, $id) > 0",
        "DELETE FROM ticket_receipts WHERE ticket_id = $id",
    ];

    public async Task<PurgeResult> PurgeAsync(IReadOnlyList<Ticket> tickets, Actor by, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tickets);
        ArgumentNullException.ThrowIfNull(by);
        await using var connection = await database.OpenWriterAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction();
        var hashes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var ticket in tickets)
        {
            await using (var read = connection.Command("SELECT DISTINCT hash FROM ticket_attachments WHERE ticket_id = $id", transaction, ("$id", ticket.Id)))
            await using (var reader = await read.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    hashes.Add(reader.GetString(0));
                }
            }

            await EraseRowsAsync(connection, transaction, ticket.Id, cancellationToken);
            await using var audit = connection.Command(
                "INSERT INTO ticket_purges (number_hash, purged_by, purged_at) VALUES ($hash, $by, $at)",
                transaction,
                ("$hash", NumberHash(ticket.Number)),
                ("$by", PurgedBy(by)),
                ("$at", SqliteTime.Format(now)));
            await audit.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return new PurgeResult([.. hashes]);
    }

    /// <summary>
    /// Deletes the rows naming the ticket from every table of the embedded file, in one
    /// transaction, without an audit row: on Cosmos DB the capabilities and infrastructure still
    /// on the file (queue, outbox, mail, notifications) are erased through this.
    /// </summary>
    internal async Task EraseRowsAsync(string ticketId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenWriterAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction();
        await EraseRowsAsync(connection, transaction, ticketId, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>An auditor who knows a number can check that it was purged; nobody can read one back.</summary>
    internal static string NumberHash(string number) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(number)));

    internal static string PurgedBy(Actor by) => string.Concat(Names.Of(by.Type), ":", by.Id);

    private static async Task EraseRowsAsync(SqliteConnection connection, SqliteTransaction transaction, string ticketId, CancellationToken cancellationToken)
    {
        foreach (var sql in Statements)
        {
            await using var command = connection.Command(sql, transaction, ("$id", ticketId));
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }
}
