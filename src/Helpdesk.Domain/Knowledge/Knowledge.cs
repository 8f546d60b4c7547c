using Helpdesk.Domain.Common;

namespace Helpdesk.Domain.Knowledge;

/// <summary>
/// The one resolution record of a ticket (FEATURES.md §7): how the problem was solved. It may be
/// published as a knowledge-base article (<see cref="ArticleId"/>) and emailed to the contact.
/// </summary>
public sealed record Resolution(string TicketId, string Details, string? ArticleId, string RecordedBy, DateTimeOffset RecordedAt, DateTimeOffset UpdatedAt)
{
    public const int MaxDetailsLength = 100_000;

    public static Resolution Write(Resolution? current, string ticketId, string details, string? articleId, string by, DateTimeOffset now)
    {
        var clean = details?.Trim();
        if (string.IsNullOrEmpty(clean) || clean.Length > MaxDetailsLength)
        {
            throw new DomainValidationException("details", $"The details are required, at most {MaxDetailsLength} characters.");
        }

        return current is null
            ? new Resolution(ticketId, clean, articleId, by, now, now)
            : current with { Details = clean, ArticleId = articleId ?? current.ArticleId, UpdatedAt = now };
    }
}

/// <summary>A knowledge-base article: staff read every article; customers only published ones.</summary>
public sealed record KbArticle(
    string Id,
    string Title,
    string Body,
    IReadOnlyList<string> Tags,
    bool Published,
    string? SourceTicketId,
    string CreatedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    public const int MaxTitleLength = 200;
    public const int MaxBodyLength = 200_000;
    public const int MaxTags = 20;
    public const int MaxTagLength = 50;

    public static KbArticle Write(KbArticle? current, string id, string title, string body, IReadOnlyList<string> tags, bool published, string? sourceTicketId, string by, DateTimeOffset now)
    {
        var cleanTitle = title?.Trim();
        if (string.IsNullOrEmpty(cleanTitle) || cleanTitle.Length > MaxTitleLength)
        {
            throw new DomainValidationException("title", $"The title is required, at most {MaxTitleLength} characters.");
        }

        var cleanBody = body?.Trim();
        if (string.IsNullOrEmpty(cleanBody) || cleanBody.Length > MaxBodyLength)
        {
            throw new DomainValidationException("body", $"The body is required, at most {MaxBodyLength} characters.");
        }

        string[] cleanTags = [.. tags.Select(t => t.Trim().ToLowerInvariant()).Where(t => t.Length > 0).Distinct(StringComparer.Ordinal)];
        if (cleanTags.Length > MaxTags || cleanTags.Any(t => t.Length > MaxTagLength))
        {
            throw new DomainValidationException("tags", $"At most {MaxTags} tags of at most {MaxTagLength} characters.");
        }

        return current is null
            ? new KbArticle(id, cleanTitle, cleanBody, cleanTags, published, sourceTicketId, by, now, now)
            : current with { Title = cleanTitle, Body = cleanBody, Tags = cleanTags, Published = published, UpdatedAt = now };
    }
}
