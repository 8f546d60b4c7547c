using Helpdesk.Api.Common;
using Helpdesk.Api.Storage;
using Helpdesk.Api.Storage.Sqlite;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Conversation;

/// <summary>Messages in the SQLite file: one row each, its visibility a column so the customer's thread reads a partial index.</summary>
internal sealed class SqliteConversationStore(SqliteDatabase database) : IConversationStore, IConversationSearch
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

    /// <summary>Messages carry a version like every item written through the ticket store (docs/adr/0008-one-write-path.md).</summary>
    public static SqliteMigration Versions { get; } = new("0500-2-message-versions", "ALTER TABLE ticket_messages ADD COLUMN version INTEGER NOT NULL DEFAULT 1;");

    public static SqliteItemTable Table { get; } = new(
        TicketItemKinds.Message,
        "ticket_messages",
        value => [("visibility", Names.Of(((TicketMessage)value).Visibility))]);

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

    /// <summary>
    /// Reads the messages of the page's tickets that hold the text, newest first: through the
    /// trigram index (SqliteTicketStore.SearchMigration) for three characters or more, otherwise
    /// by reading the text of those tickets' messages.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, TicketMessage>> NewestMatchesAsync(IReadOnlyCollection<string> ticketIds, string text, bool includeInternal, CancellationToken cancellationToken)
    {
        var found = new Dictionary<string, TicketMessage>(StringComparer.Ordinal);
        if (ticketIds.Count == 0)
        {
            return found;
        }

        var match = text.Length >= 3
            ? "seq IN (SELECT rowid FROM ticket_messages_fts WHERE ticket_messages_fts MATCH $q)"
            : "instr(lower(json_extract(doc, '$.text')), $q) > 0";
        var visible = includeInternal ? string.Empty : " AND visibility = 'public'";
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command(
            $"SELECT ticket_id, doc FROM ticket_messages WHERE ticket_id IN (SELECT value FROM json_each($tickets)){visible} AND {match} ORDER BY seq DESC",
            null,
            ("$tickets", StoreJson.Serialize(ticketIds)),
            ("$q", text.Length >= 3 ? SqliteTicketStore.Phrase(text) : text.ToLowerInvariant()));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            found.TryAdd(reader.GetString(0), StoreJson.Deserialize<TicketMessage>(reader.GetString(1)));
        }

        return found;
    }
}
