using Helpdesk.Api.Common;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Knowledge;

namespace Helpdesk.Api.Knowledge;

/// <summary>
/// Resolution records (one per ticket) and knowledge-base articles. A resolution is written with
/// the ticket change that records it, through <see cref="ITicketStore.SaveAsync"/> (kind
/// <see cref="TicketItemKinds.Resolution"/>); articles live apart from tickets and are written here,
/// guarded by their version (0 = new).
/// </summary>
public interface IKnowledgeStore
{
    Task<Versioned<Resolution>?> FindResolutionAsync(string ticketId, CancellationToken cancellationToken);

    Task<Versioned<KbArticle>?> FindArticleAsync(string id, CancellationToken cancellationToken);

    /// <summary>Newest first; <paramref name="text"/> matches title or body, case-insensitively.</summary>
    Task<Page<KbArticle>> SearchAsync(string? text, string? tag, bool publishedOnly, int limit, string? cursor, CancellationToken cancellationToken);

    /// <summary>Creates (version 0) or replaces the article; throws <see cref="ConcurrencyConflictException"/> when it moved on. Returns how to take the write back.</summary>
    Task<ArticleWrite> SaveArticleAsync(Versioned<KbArticle> article, CancellationToken cancellationToken);

    /// <summary>
    /// Takes back a write whose resolution was refused, best effort and only if nobody wrote the
    /// article since: a new article is deleted, an edited one restored.
    /// </summary>
    Task TakeBackAsync(ArticleWrite write, CancellationToken cancellationToken);
}

/// <summary>An article write: the article as it was before (null for a new one) and the version written.</summary>
public sealed record ArticleWrite(string ArticleId, Versioned<KbArticle>? Previous, long Version);
