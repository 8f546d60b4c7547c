using Helpdesk.Domain.Common;

namespace Helpdesk.Domain.Satisfaction;

/// <summary>
/// The satisfaction survey of a resolved ticket: one per ticket, answered once (a score from 1 to
/// 5 and an optional comment) before it expires. The link carries <see cref="Nonce"/>, signed.
/// </summary>
public sealed record Survey(string TicketId, string Nonce, DateTimeOffset SentAt, DateTimeOffset ExpiresAt, int? Score, string? Comment, DateTimeOffset? AnsweredAt)
{
    public const int MaxCommentLength = 4000;

    public static Survey Send(string ticketId, string nonce, DateTimeOffset now, TimeSpan validFor) =>
        new(ticketId, nonce, now, now + validFor, null, null, null);

    public Survey Answer(int score, string? comment, DateTimeOffset now)
    {
        if (AnsweredAt is not null)
        {
            throw new DomainRuleException("survey-answered", "This survey was already answered; a link works once.");
        }

        if (now > ExpiresAt)
        {
            throw new DomainRuleException("survey-expired", "This survey has expired.");
        }

        if (score is < 1 or > 5)
        {
            throw new DomainValidationException("score", "The score is from 1 to 5.");
        }

        var clean = string.IsNullOrWhiteSpace(comment) ? null : comment.Trim();
        return clean is { Length: > MaxCommentLength }
            ? throw new DomainValidationException("comment", $"The comment is at most {MaxCommentLength} characters.")
            : this with { Score = score, Comment = clean, AnsweredAt = now };
    }
}
