using Helpdesk.Api.Common;
using Helpdesk.Api.Storage;
using Helpdesk.Api.Storage.Sqlite;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Conversation;

internal sealed class SqliteConversationStore(SqliteDatabase database, SqliteTicketStore tickets) : IConversationStore
{
    public static SqliteMigration Migration { get; } = new(
        "0100-1-messages",
        """
        CREATE TABLE ticket_messages (
            seq         INTEGER PRIMARY KEY AUTOINCREMENT,
            id          TEXT NOT NULL UNIQUE,
            ticket_id   TEXT NOT NULL,
            visibility  TEXT NOT NULL,
            doc         TEXT NOT NULL
        );
        CREATE INDEX ix_ticket_messages        ON ticket_messages (ticket_id, seq);
        CREATE INDEX ix_ticket_messages_public ON ticket_messages (ticket_id, seq) WHERE visibility = 'public';
        """);

    public async Task SaveAsync(Ticket ticket, TicketMessage message, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction();
        var isNew = ticket.Version == 0;
        if (isNew)
        {
            await tickets.InsertAsync(connection, transaction, ticket, cancellationToken);
        }
        else
        {
            await tickets.WriteChangesAsync(connection, transaction, ticket, cancellationToken);
        }

        await using (var insert = connection.Command(
            "INSERT INTO ticket_messages (id, ticket_id, visibility, doc) VALUES ($id, $ticket, $visibility, $doc)",
            transaction,
            ("$id", message.Id),
            ("$ticket", message.TicketId),
            ("$visibility", Names.Of(message.Visibility)),
            ("$doc", StoreJson.Serialize(message))))
        {
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        ticket.MarkSaved(isNew ? 1 : ticket.Version + 1);
    }

    public async Task<Page<TicketMessage>> ListAsync(string ticketId, bool includeInternal, int limit, string? cursor, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command(
            includeInternal
                ? "SELECT seq, doc FROM ticket_messages WHERE ticket_id = $id AND seq > $after ORDER BY seq LIMIT $limit"
                : "SELECT seq, doc FROM ticket_messages WHERE ticket_id = $id AND visibility = 'public' AND seq > $after ORDER BY seq LIMIT $limit",
            null,
            ("$id", ticketId),
            ("$after", cursor is null ? 0 : Paging.DecodeKey(cursor)),
            ("$limit", limit + 1));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var items = new List<TicketMessage>();
        long lastSeq = 0;
        while (items.Count < limit && await reader.ReadAsync(cancellationToken))
        {
            lastSeq = reader.GetInt64(0);
            items.Add(StoreJson.Deserialize<TicketMessage>(reader.GetString(1)));
        }

        var hasMore = items.Count == limit && await reader.ReadAsync(cancellationToken);
        return new Page<TicketMessage>(items, hasMore ? Paging.EncodeKey(lastSeq) : null);
    }

    public async Task<TicketMessage?> FindAsync(string ticketId, string messageId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command(
            "SELECT doc FROM ticket_messages WHERE id = $id AND ticket_id = $ticket",
            null,
            ("$id", messageId),
            ("$ticket", ticketId));
        return await command.ExecuteScalarAsync(cancellationToken) is string doc ? StoreJson.Deserialize<TicketMessage>(doc) : null;
    }
}
