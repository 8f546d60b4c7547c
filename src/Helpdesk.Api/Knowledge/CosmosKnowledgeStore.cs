using System.Net;
using System.Text;
using Helpdesk.Api.Common;
using Helpdesk.Api.Storage.Cosmos;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Knowledge;
using Microsoft.Azure.Cosmos;

namespace Helpdesk.Api.Knowledge;

/// <summary>
/// Resolutions and knowledge-base articles on Cosmos DB (docs/adr/0004-cosmos-containers.md).
/// A resolution is an item of its ticket's partition (kind <c>resolution</c>, one per ticket),
/// committed by the ticket write that records it, so the record, its history line and its event
/// never diverge. Articles live in the <c>kbArticles</c> container (partition = id), each with its
/// place in the order of writing from a counter, so the list pages newest first by index.
/// Publishing a resolution writes the article first and commits the ticket second: a refused
/// commit takes the article write back, so only a crash between the two leaves the article
/// published ahead of its resolution record (the text the agent asked to publish).
/// </summary>
internal sealed class CosmosKnowledgeStore(CosmosContainers containers, CosmosTicketItems items, CosmosSequence sequence, CosmosRetry retry, ILogger<CosmosKnowledgeStore> logger) : IKnowledgeStore
{
    internal const string ResolutionKind = TicketItemKinds.Resolution;

    public static CosmosItemKind Resolutions { get; } = new(ResolutionKind);

    /// <summary>The order articles were written in (a counter, as SQLite's rowid): ids made in the same millisecond do not sort by time.</summary>
    private const string OrderSequence = "order:kbArticles";

    public Task<Versioned<Resolution>?> FindResolutionAsync(string ticketId, CancellationToken cancellationToken) =>
        items.FindAsync<Resolution>(ticketId, ResolutionKind, ticketId, cancellationToken);

    public async Task<Versioned<KbArticle>?> FindArticleAsync(string id, CancellationToken cancellationToken)
    {
        var container = await containers.GetAsync(CosmosContainers.KbArticles, cancellationToken);
        return (await ReadAsync(container, CosmosIds.Safe(id), retry, cancellationToken)) is { } read
            ? new Versioned<KbArticle>(read.Document.Article, read.Document.Version)
            : null;
    }

    public async Task<Page<KbArticle>> SearchAsync(string? text, string? tag, bool publishedOnly, int limit, string? cursor, CancellationToken cancellationToken)
    {
        var sql = new StringBuilder("SELECT TOP @top c.seq, c.article FROM c WHERE IS_NUMBER(c.seq)");
        var definition = new Dictionary<string, object>(StringComparer.Ordinal) { ["@top"] = limit + 1 };
        if (publishedOnly)
        {
            sql.Append(" AND c.published = true");
        }

        if (!string.IsNullOrWhiteSpace(text))
        {
            sql.Append(" AND CONTAINS(c.search, @q)");
            definition["@q"] = text.Trim().ToLowerInvariant();
        }

        if (!string.IsNullOrWhiteSpace(tag))
        {
            sql.Append(" AND ARRAY_CONTAINS(c.tags, @tag)");
            definition["@tag"] = tag.Trim().ToLowerInvariant();
        }

        if (cursor is not null)
        {
            sql.Append(" AND c.seq < @after");
            definition["@after"] = Paging.DecodeKey(cursor);
        }

        // The published filter is read from the composite index (published, seq desc); staff read the seq range index.
        sql.Append(publishedOnly ? " ORDER BY c.published, c.seq DESC" : " ORDER BY c.seq DESC");
        var query = new QueryDefinition(sql.ToString());
        foreach (var (name, value) in definition)
        {
            query.WithParameter(name, value);
        }

        var container = await containers.GetAsync(CosmosContainers.KbArticles, cancellationToken);
        var rows = await CosmosQueries.TakeAsync<ArticleRow>(container, query, limit + 1, partitionKey: null, retry, cancellationToken);
        var page = rows.Take(limit).ToArray();
        return new Page<KbArticle>([.. page.Select(r => r.Article)], rows.Count > limit ? Paging.EncodeKey(page[^1].Seq) : null);
    }

    public async Task<ArticleWrite> SaveArticleAsync(Versioned<KbArticle> article, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(article);
        var container = await containers.GetAsync(CosmosContainers.KbArticles, cancellationToken);
        return await WriteArticleAsync(container, article, cancellationToken);
    }

    public async Task TakeBackAsync(ArticleWrite write, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(write);
        var container = await containers.GetAsync(CosmosContainers.KbArticles, cancellationToken);
        var id = CosmosIds.Safe(write.ArticleId);
        var partition = new PartitionKey(id);
        try
        {
            if (await ReadAsync(container, id, retry, cancellationToken) is not { } current || current.Document.Version != write.Version)
            {
                return;
            }

            var options = new ItemRequestOptions { IfMatchEtag = current.ETag };
            if (write.Previous is { } previous)
            {
                await container.ReplaceItemAsync(ArticleDocument.Of(id, current.Document.Seq, previous.Version, previous.Value), id, partition, options, cancellationToken);
            }
            else
            {
                await container.DeleteItemAsync<ArticleDocument>(id, partition, options, cancellationToken);
            }
        }
        catch (CosmosException e)
        {
            logger.LogWarning(e, "The article {ArticleId} of a refused resolution write was not taken back", write.ArticleId);
        }
    }

    /// <summary>
    /// Articles that name a purged ticket as their source keep their text (published knowledge)
    /// but no longer point at the ticket, as on SQLite.
    /// </summary>
    internal static async Task ForgetSourceAsync(CosmosContainers containers, CosmosRetry retry, string ticketId, CancellationToken cancellationToken)
    {
        var container = await containers.GetAsync(CosmosContainers.KbArticles, cancellationToken);
        var query = new QueryDefinition("SELECT c.id FROM c WHERE c.sourceTicketId = @ticket").WithParameter("@ticket", ticketId);
        using var iterator = container.GetItemQueryIterator<IdRow>(query);
        var ids = new List<string>();
        while (iterator.HasMoreResults)
        {
            ids.AddRange((await retry.RunAsync(iterator.ReadNextAsync, cancellationToken)).Select(r => r.Id));
        }

        foreach (var id in ids)
        {
            while (await ReadAsync(container, id, retry, cancellationToken) is { Document.SourceTicketId: not null } read)
            {
                var document = read.Document with { SourceTicketId = null, Article = read.Document.Article with { SourceTicketId = null } };
                try
                {
                    await retry.RunAsync(ct => container.ReplaceItemAsync(document, id, new PartitionKey(id), new ItemRequestOptions { IfMatchEtag = read.ETag, EnableContentResponseOnWrite = false }, ct), cancellationToken);
                }
                catch (CosmosException e) when (e.StatusCode == HttpStatusCode.PreconditionFailed)
                {
                    // Edited meanwhile: read it again.
                }
            }
        }
    }

    /// <summary>Creates (version 0) or replaces the article when its stored version is the expected one.</summary>
    private async Task<ArticleWrite> WriteArticleAsync(Container container, Versioned<KbArticle> article, CancellationToken cancellationToken)
    {
        var a = article.Value;
        var id = CosmosIds.Safe(a.Id);
        var partition = new PartitionKey(id);
        if (article.Version == 0)
        {
            var created = ArticleDocument.Of(id, await sequence.NextAsync(OrderSequence, cancellationToken), 1, a);
            try
            {
                await retry.RunAsync(ct => container.CreateItemAsync(created, partition, cancellationToken: ct), cancellationToken);
                return new ArticleWrite(a.Id, null, 1);
            }
            catch (CosmosException e) when (e.StatusCode == HttpStatusCode.Conflict)
            {
                throw new ConcurrencyConflictException($"The article {a.Id} already exists.");
            }
        }

        var current = await ReadAsync(container, id, retry, cancellationToken);
        if (current is null || current.Document.Version != article.Version)
        {
            throw new ConcurrencyConflictException($"The article {a.Id} changed since it was read.");
        }

        var next = ArticleDocument.Of(id, current.Document.Seq, article.Version + 1, a);
        try
        {
            await retry.RunAsync(ct => container.ReplaceItemAsync(next, id, partition, new ItemRequestOptions { IfMatchEtag = current.ETag }, ct), cancellationToken);
            return new ArticleWrite(a.Id, new Versioned<KbArticle>(current.Document.Article, current.Document.Version), next.Version);
        }
        catch (CosmosException e) when (e.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.NotFound)
        {
            throw new ConcurrencyConflictException($"The article {a.Id} changed since it was read.");
        }
    }

    private static async Task<Read?> ReadAsync(Container container, string id, CosmosRetry retry, CancellationToken cancellationToken)
    {
        try
        {
            var read = await retry.RunAsync(ct => container.ReadItemAsync<ArticleDocument>(id, new PartitionKey(id), cancellationToken: ct), cancellationToken);
            return new Read(read.Resource, read.ETag);
        }
        catch (CosmosException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>
    /// The stored article: the query columns (order, published, tags, source ticket) at the top
    /// level and indexed; the lower-cased search text and the article itself unindexed.
    /// </summary>
    internal sealed record ArticleDocument(string Id, long Seq, long Version, bool Published, IReadOnlyList<string> Tags, string? SourceTicketId, string Search, KbArticle Article)
    {
        public static ArticleDocument Of(string id, long seq, long version, KbArticle article) =>
            new(id, seq, version, article.Published, article.Tags, article.SourceTicketId, $"{article.Title}\n{article.Body}".ToLowerInvariant(), article);
    }

    private sealed record Read(ArticleDocument Document, string ETag);

    private sealed record ArticleRow(long Seq, KbArticle Article);

    private sealed record IdRow(string Id);
}
