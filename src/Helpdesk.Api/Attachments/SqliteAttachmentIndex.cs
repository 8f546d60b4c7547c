using Helpdesk.Api.Storage;
using Helpdesk.Api.Storage.Sqlite;
using Helpdesk.Api.Tickets;

namespace Helpdesk.Api.Attachments;

/// <summary>Attachments in the SQLite file, indexed by ticket and by content hash (the bytes are shared by hash).</summary>
internal sealed class SqliteAttachmentIndex(SqliteDatabase database) : IAttachmentIndex
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

    /// <summary>Attachments carry a version like every item written through the ticket store.</summary>
    public static SqliteMigration Versions { get; } = new("0500-3-attachment-versions", "ALTER TABLE ticket_attachments ADD COLUMN version INTEGER NOT NULL DEFAULT 1;");

    /// <summary>A file follows its message when the message moves to another ticket.</summary>
    public static SqliteItemTable Table { get; } = new(
        TicketItemKinds.Attachment,
        "ticket_attachments",
        value => Columns((Attachment)value))
    {
        MessageColumn = "message_id",
    };

    private static IReadOnlyList<(string, object?)> Columns(Attachment a) => [("message_id", a.MessageId), ("hash", a.Hash), ("size", a.Size)];

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
