using Helpdesk.Api.Common;
using Helpdesk.Domain.Knowledge;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Knowledge;

/// <summary>Resolution records (one per ticket) and knowledge-base articles. Writes are guarded by version (0 = new).</summary>
public interface IKnowledgeStore
{
    Task<Versioned<Resolution>?> FindResolutionAsync(string ticketId, CancellationToken cancellationToken);

    Task<Versioned<KbArticle>?> FindArticleAsync(string id, CancellationToken cancellationToken);

    /// <summary>Newest first; <paramref name="text"/> matches title or body, case-insensitively.</summary>
    Task<Page<KbArticle>> SearchAsync(string? text, string? tag, bool publishedOnly, int limit, string? cursor, CancellationToken cancellationToken);

    Task SaveArticleAsync(Versioned<KbArticle> article, CancellationToken cancellationToken);

    /// <summary>Writes the ticket (history, event), the resolution and the published article in one transaction.</summary>
    Task SaveResolutionAsync(Ticket ticket, Versioned<Resolution> resolution, Versioned<KbArticle>? article, CancellationToken cancellationToken);
}
