using System.Text;
using Helpdesk.Api.Common;
using Helpdesk.Api.Storage;
using Helpdesk.Api.Storage.Sqlite;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Knowledge;
using Microsoft.Data.Sqlite;

namespace Helpdesk.Api.Knowledge;

internal sealed class SqliteKnowledgeStore(SqliteDatabase database) : IKnowledgeStore
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

    /// <summary>One resolution per ticket, its row keyed by the ticket.</summary>
    public static SqliteItemTable Resolutions { get; } = new(TicketItemKinds.Resolution, "resolutions", _ => []) { IdColumn = "ticket_id" };

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

    public async Task<ArticleWrite> SaveArticleAsync(Versioned<KbArticle> article, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(article);
        var previous = article.Version == 0 ? null : await FindArticleAsync(article.Value.Id, cancellationToken);
        await using var connection = await database.OpenWriterAsync(cancellationToken);
        var a = article.Value;
        await ExpectOneAsync(
            connection,
            article.Version == 0
                ? "INSERT INTO kb_articles (id, published, search, version, doc) VALUES ($id, $published, $search, 1, $doc) ON CONFLICT DO NOTHING"
                : "UPDATE kb_articles SET published = $published, search = $search, version = version + 1, doc = $doc WHERE id = $id AND version = $expected",
            cancellationToken,
            [.. Columns(a), ("$expected", article.Version)]);
        return new ArticleWrite(a.Id, previous, article.Version + 1);
    }

    public async Task TakeBackAsync(ArticleWrite write, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(write);
        await using var connection = await database.OpenWriterAsync(cancellationToken);
        await using var command = write.Previous is { } previous
            ? connection.Command(
                "UPDATE kb_articles SET published = $published, search = $search, version = $previousVersion, doc = $doc WHERE id = $id AND version = $written",
                null,
                [.. Columns(previous.Value), ("$previousVersion", previous.Version), ("$written", write.Version)])
            : connection.Command("DELETE FROM kb_articles WHERE id = $id AND version = $written", null, ("$id", write.ArticleId), ("$written", write.Version));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static (string, object?)[] Columns(KbArticle a) =>
    [
        ("$id", a.Id),
        ("$published", a.Published ? 1 : 0),
        ("$search", $"{a.Title}\n{a.Body}".ToLowerInvariant()),
        ("$doc", StoreJson.Serialize(a)),
    ];

    private static async Task ExpectOneAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken, params (string, object?)[] parameters)
    {
        await using var command = connection.Command(sql, null, parameters);
        if (await command.ExecuteNonQueryAsync(cancellationToken) != 1)
        {
            throw new ConcurrencyConflictException("The article changed since it was read.");
        }
    }
}
