using System.Text;
using Helpdesk.Api.Common;
using Helpdesk.Api.Storage;
using Helpdesk.Api.Storage.Sqlite;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Knowledge;
using Helpdesk.Domain.Tickets;
using Microsoft.Data.Sqlite;

namespace Helpdesk.Api.Knowledge;

internal sealed class SqliteKnowledgeStore(SqliteDatabase database, SqliteTicketStore tickets) : IKnowledgeStore
{
    public static SqliteMigration Schema { get; } = new(
        "0203-knowledge",
        """
        CREATE TABLE resolutions (
            ticket_id  TEXT    PRIMARY KEY,
            version    INTEGER NOT NULL,
            doc        TEXT    NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE kb_articles (
            seq        INTEGER PRIMARY KEY AUTOINCREMENT,
            id         TEXT    NOT NULL UNIQUE,
            published  INTEGER NOT NULL,
            search     TEXT    NOT NULL,
            version    INTEGER NOT NULL,
            doc        TEXT    NOT NULL
        );
        CREATE INDEX ix_kb_articles_published ON kb_articles (seq) WHERE published = 1;
        """);

    public async Task<Versioned<Resolution>?> FindResolutionAsync(string ticketId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command("SELECT version, doc FROM resolutions WHERE ticket_id = $id", null, ("$id", ticketId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new Versioned<Resolution>(StoreJson.Deserialize<Resolution>(reader.GetString(1)), reader.GetInt64(0))
            : null;
    }

    public async Task<Versioned<KbArticle>?> FindArticleAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command("SELECT version, doc FROM kb_articles WHERE id = $id", null, ("$id", id));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new Versioned<KbArticle>(StoreJson.Deserialize<KbArticle>(reader.GetString(1)), reader.GetInt64(0))
            : null;
    }

    public async Task<Page<KbArticle>> SearchAsync(string? text, string? tag, bool publishedOnly, int limit, string? cursor, CancellationToken cancellationToken)
    {
        var sql = new StringBuilder("SELECT seq, doc FROM kb_articles WHERE 1 = 1");
        var parameters = new List<(string, object?)>();
        if (publishedOnly)
        {
            sql.Append(" AND published = 1");
        }

        if (!string.IsNullOrWhiteSpace(text))
        {
            sql.Append(" AND instr(search, $q) > 0");
            parameters.Add(("$q", text.Trim().ToLowerInvariant()));
        }

        if (!string.IsNullOrWhiteSpace(tag))
        {
            sql.Append(" AND EXISTS (SELECT 1 FROM json_each(doc, '$.tags') WHERE value = $tag)");
            parameters.Add(("$tag", tag.Trim().ToLowerInvariant()));
        }

        if (cursor is not null)
        {
            sql.Append(" AND seq < $after");
            parameters.Add(("$after", Paging.DecodeKey(cursor)));
        }

        sql.Append(" ORDER BY seq DESC LIMIT $limit");
        parameters.Add(("$limit", limit + 1));
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command(sql.ToString(), null, [.. parameters]);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var items = new List<KbArticle>();
        long lastSeq = 0;
        while (items.Count < limit && await reader.ReadAsync(cancellationToken))
        {
            lastSeq = reader.GetInt64(0);
            items.Add(StoreJson.Deserialize<KbArticle>(reader.GetString(1)));
        }

        var hasMore = items.Count == limit && await reader.ReadAsync(cancellationToken);
        return new Page<KbArticle>(items, hasMore ? Paging.EncodeKey(lastSeq) : null);
    }

    public async Task SaveArticleAsync(Versioned<KbArticle> article, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction();
        await WriteArticleAsync(connection, transaction, article, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task SaveResolutionAsync(Ticket ticket, Versioned<Resolution> resolution, Versioned<KbArticle>? article, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction();
        var ticketChanged = ticket.PendingHistory.Count > 0;
        if (ticketChanged)
        {
            await tickets.WriteChangesAsync(connection, transaction, ticket, cancellationToken);
        }

        if (article is not null)
        {
            await WriteArticleAsync(connection, transaction, article, cancellationToken);
        }

        await ExpectOneAsync(
            connection,
            transaction,
            resolution.Version == 0
                ? "INSERT INTO resolutions (ticket_id, version, doc) VALUES ($id, 1, $doc) ON CONFLICT DO NOTHING"
                : "UPDATE resolutions SET version = version + 1, doc = $doc WHERE ticket_id = $id AND version = $expected",
            cancellationToken,
            ("$id", resolution.Value.TicketId),
            ("$expected", resolution.Version),
            ("$doc", StoreJson.Serialize(resolution.Value)));
        await transaction.CommitAsync(cancellationToken);
        if (ticketChanged)
        {
            ticket.MarkSaved(ticket.Version + 1);
        }
    }

    private static Task WriteArticleAsync(SqliteConnection connection, SqliteTransaction transaction, Versioned<KbArticle> article, CancellationToken cancellationToken)
    {
        var a = article.Value;
        return ExpectOneAsync(
            connection,
            transaction,
            article.Version == 0
                ? "INSERT INTO kb_articles (id, published, search, version, doc) VALUES ($id, $published, $search, 1, $doc)"
                : "UPDATE kb_articles SET published = $published, search = $search, version = version + 1, doc = $doc WHERE id = $id AND version = $expected",
            cancellationToken,
            ("$id", a.Id),
            ("$published", a.Published ? 1 : 0),
            ("$search", $"{a.Title}\n{a.Body}".ToLowerInvariant()),
            ("$expected", article.Version),
            ("$doc", StoreJson.Serialize(a)));
    }

    private static async Task ExpectOneAsync(SqliteConnection connection, SqliteTransaction transaction, string sql, CancellationToken cancellationToken, params (string, object?)[] parameters)
    {
        await using var command = connection.Command(sql, transaction, parameters);
        if (await command.ExecuteNonQueryAsync(cancellationToken) != 1)
        {
            throw new ConcurrencyConflictException("The resolution or the article changed since it was read.");
        }
    }
}
