using Helpdesk.Api.Common;
using Helpdesk.Api.Storage;
using Helpdesk.Api.Storage.Sqlite;
using Helpdesk.Api.Tickets;
using Microsoft.Azure.Cosmos;
using Microsoft.Data.Sqlite;

namespace Helpdesk.Api.Chat;

/// <summary>
/// A customer's chat session on a ticket: who chats, when it opened, when the customer last wrote,
/// and, once it ended, when and why. Its messages are the ticket's public messages written since
/// it opened; the ticket itself knows the open session (<see cref="Domain.Tickets.Ticket.Chat"/>).
/// </summary>
public sealed record ChatSession(
    string Id,
    string TicketId,
    string ContactId,
    DateTimeOffset OpenedAt,
    DateTimeOffset LastCustomerAt,
    DateTimeOffset? ClosedAt = null,
    string? EndReason = null)
{
    public bool Open => ClosedAt is null;

    /// <summary>The time the session counts as idle from: the customer's last message while it is open, none once it ended.</summary>
    public DateTimeOffset? IdleFrom => Open ? LastCustomerAt : null;
}

/// <summary>
/// Reads chat sessions. A session is written with the ticket change that records it, through
/// <see cref="ITicketStore.SaveAsync"/> (kind <see cref="ChatStores.Kind"/>).
/// </summary>
public interface IChatStore
{
    Task<Versioned<ChatSession>?> FindAsync(string chatId, CancellationToken cancellationToken);

    /// <summary>Open sessions whose customer last wrote at or before <paramref name="before"/>, longest idle first.</summary>
    Task<IReadOnlyList<Versioned<ChatSession>>> IdleAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken);
}

/// <summary>How both engines store chat sessions: indexed by the time they count as idle from, so the idle scan reads open sessions only.</summary>
public static class ChatStores
{
    public const string Kind = "chat";

    public static SqliteMigration Schema { get; } = new(
        "0700-1-chat-sessions",
        """
        CREATE TABLE chat_sessions (
            seq        INTEGER PRIMARY KEY AUTOINCREMENT,
            id         TEXT    NOT NULL UNIQUE,
            ticket_id  TEXT    NOT NULL,
            idle_from  TEXT,
            version    INTEGER NOT NULL,
            doc        TEXT    NOT NULL
        );
        CREATE INDEX ix_chat_sessions_ticket ON chat_sessions (ticket_id, seq);
        CREATE INDEX ix_chat_sessions_idle   ON chat_sessions (idle_from) WHERE idle_from IS NOT NULL;
        """);

    public static SqliteItemTable SqliteTable { get; } = new(Kind, "chat_sessions", value => [("idle_from", SqliteTime.Format(((ChatSession)value).IdleFrom))]);

    public static CosmosItemKind CosmosKind { get; } = new(Kind) { Key = value => TicketDocument.Time(((ChatSession)value).IdleFrom) };
}

internal sealed class SqliteChatStore(SqliteDatabase database) : IChatStore
{
    public async Task<Versioned<ChatSession>?> FindAsync(string chatId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command("SELECT version, doc FROM chat_sessions WHERE id = $id", null, ("$id", chatId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    public async Task<IReadOnlyList<Versioned<ChatSession>>> IdleAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command(
            "SELECT version, doc FROM chat_sessions WHERE idle_from IS NOT NULL AND idle_from <= $before ORDER BY idle_from LIMIT $limit",
            null,
            ("$before", SqliteTime.Format(before)),
            ("$limit", limit));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var idle = new List<Versioned<ChatSession>>();
        while (await reader.ReadAsync(cancellationToken))
        {
            idle.Add(Read(reader));
        }

        return idle;
    }

    private static Versioned<ChatSession> Read(SqliteDataReader reader) =>
        new(StoreJson.Deserialize<ChatSession>(reader.GetString(1)), reader.GetInt64(0));
}

/// <summary>Chat sessions as items of their ticket's partition; a session is found by its id with one cross-partition query of committed items.</summary>
internal sealed class CosmosChatStore(CosmosTicketItems items) : IChatStore
{
    public async Task<Versioned<ChatSession>?> FindAsync(string chatId, CancellationToken cancellationToken)
    {
        var query = new QueryDefinition($"SELECT * FROM c WHERE c.type = '{CosmosTicketItems.ItemType}' AND c.kind = '{ChatStores.Kind}' AND c.itemId = @id")
            .WithParameter("@id", chatId);
        await foreach (var (session, _) in items.QueryAsync<ChatSession>(query, cancellationToken))
        {
            return session;
        }

        return null;
    }

    public async Task<IReadOnlyList<Versioned<ChatSession>>> IdleAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken)
    {
        var query = new QueryDefinition($"SELECT * FROM c WHERE c.type = '{CosmosTicketItems.ItemType}' AND c.kind = '{ChatStores.Kind}' AND IS_STRING(c.key) AND c.key <= @before ORDER BY c.key")
            .WithParameter("@before", TicketDocument.Time(before));
        var idle = new List<Versioned<ChatSession>>(limit);
        await foreach (var (session, _) in items.QueryAsync<ChatSession>(query, cancellationToken))
        {
            idle.Add(session);
            if (idle.Count == limit)
            {
                break;
            }
        }

        return idle;
    }
}
