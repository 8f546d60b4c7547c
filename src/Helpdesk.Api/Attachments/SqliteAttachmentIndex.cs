using Helpdesk.Api.Storage;
using Helpdesk.Api.Storage.Sqlite;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Attachments;

internal sealed class SqliteAttachmentIndex(SqliteDatabase database, SqliteTicketStore tickets) : IAttachmentIndex
{
    public static SqliteMigration Migration { get; } = new(
        "0100-2-attachments",
        """
        CREATE TABLE ticket_attachments (
            seq         INTEGER PRIMARY KEY AUTOINCREMENT,
            id          TEXT    NOT NULL UNIQUE,
            ticket_id   TEXT    NOT NULL,
            message_id  TEXT,
            hash        TEXT    NOT NULL,
            size        INTEGER NOT NULL,
            doc         TEXT    NOT NULL
        );
        CREATE INDEX ix_ticket_attachments      ON ticket_attachments (ticket_id, seq);
        CREATE INDEX ix_ticket_attachments_hash ON ticket_attachments (hash);
        """);

    public async Task AddAsync(Ticket ticket, Attachment attachment, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction();
        await tickets.WriteChangesAsync(connection, transaction, ticket, cancellationToken);
        await using (var insert = connection.Command(
            "INSERT INTO ticket_attachments (id, ticket_id, message_id, hash, size, doc) VALUES ($id, $ticket, $message, $hash, $size, $doc)",
            transaction,
            ("$id", attachment.Id),
            ("$ticket", attachment.TicketId),
            ("$message", attachment.MessageId),
            ("$hash", attachment.Hash),
            ("$size", attachment.Size),
            ("$doc", StoreJson.Serialize(attachment))))
        {
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        ticket.MarkSaved(ticket.Version + 1);
    }

    public async Task RemoveAsync(Ticket ticket, Attachment attachment, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction();
        await tickets.WriteChangesAsync(connection, transaction, ticket, cancellationToken);
        await using (var delete = connection.Command("DELETE FROM ticket_attachments WHERE id = $id", transaction, ("$id", attachment.Id)))
        {
            await delete.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        ticket.MarkSaved(ticket.Version + 1);
    }

    public async Task<IReadOnlyList<Attachment>> ListAsync(string ticketId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command("SELECT doc FROM ticket_attachments WHERE ticket_id = $ticket ORDER BY seq", null, ("$ticket", ticketId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var items = new List<Attachment>();
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(StoreJson.Deserialize<Attachment>(reader.GetString(0)));
        }

        return items;
    }

    public async Task<Attachment?> FindAsync(string ticketId, string attachmentId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command(
            "SELECT doc FROM ticket_attachments WHERE id = $id AND ticket_id = $ticket",
            null,
            ("$id", attachmentId),
            ("$ticket", ticketId));
        return await command.ExecuteScalarAsync(cancellationToken) is string doc ? StoreJson.Deserialize<Attachment>(doc) : null;
    }

    public async Task<bool> IsReferencedAsync(string hash, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command("SELECT EXISTS (SELECT 1 FROM ticket_attachments WHERE hash = $hash)", null, ("$hash", hash));
        return await command.ExecuteScalarAsync(cancellationToken) is 1L;
    }
}
