using Helpdesk.Api.Directory;

namespace Helpdesk.Api.Retention;

/// <summary>
/// One retention rule: closed tickets of its scope (an account, a ticket type, both, or neither for
/// the default rule) are purged once they have been closed, and left unchanged, for
/// <see cref="Months"/> months.
/// </summary>
public sealed record RetentionRule(string Name, string? AccountId, string? Type, int Months)
{
    public const int MaxMonths = 1200;

    /// <summary>Account and type beat account, which beats type, which beats the default rule.</summary>
    public int Specificity => (AccountId is null ? 0 : 2) + (Type is null ? 0 : 1);

    public bool Covers(string? accountId, string? type) =>
        (AccountId is null || AccountId == accountId) && (Type is null || string.Equals(Type, type, StringComparison.OrdinalIgnoreCase));

    /// <summary>A ticket left unchanged since before this instant has been closed long enough.</summary>
    public DateTimeOffset ClosedBefore(DateTimeOffset now) => now.AddMonths(-Months);
}

/// <summary>
/// The helpdesk's retention policy (docs/adr/0015-retention-policies.md): its rules, each scope
/// once. A ticket is governed by the most specific rule that covers it, so an account kept longer
/// (or shorter) than the default is not purged by the default rule.
/// </summary>
public sealed record RetentionPolicy(IReadOnlyList<RetentionRule> Rules)
{
    public const string Id = "retention";
    public const int MaxRules = 100;

    public static readonly DirectoryKind<RetentionPolicy> Kind = new("retentionPolicy", _ => Id, _ => Id, "id", _ => []);

    public static readonly RetentionPolicy None = new([]);

    /// <summary>The rule that decides about a ticket of this account and type, or null when none covers it.</summary>
    public RetentionRule? RuleFor(string? accountId, string? type) =>
        Rules.Where(r => r.Covers(accountId, type)).MaxBy(r => r.Specificity);

    /// <summary>
    /// What the store reads for <paramref name="rule"/>: its scope and cutoff, less the scopes of
    /// the more specific rules that take some of its tickets.
    /// </summary>
    public RetentionScope ScopeOf(RetentionRule rule, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(rule);
        var except = Rules
            .Where(r => r.Specificity > rule.Specificity
                && (rule.AccountId is null || r.AccountId is null || r.AccountId == rule.AccountId)
                && (rule.Type is null || r.Type is null || string.Equals(r.Type, rule.Type, StringComparison.OrdinalIgnoreCase)))
            .Select(r => new RetentionExclusion(r.AccountId, r.Type))
            .ToArray();
        return new RetentionScope(rule.AccountId, rule.Type, rule.ClosedBefore(now), except);
    }
}

/// <summary>Tickets of this account and/or type (null: any) taken by a more specific rule.</summary>
public sealed record RetentionExclusion(string? AccountId, string? Type);

/// <summary>
/// Closed tickets (soft-deleted ones too, merged tombstones never: they go with their ticket) of
/// the account and/or type, left unchanged since before <see cref="ClosedBefore"/>, none of the
/// exclusions.
/// </summary>
public sealed record RetentionScope(string? AccountId, string? Type, DateTimeOffset ClosedBefore, IReadOnlyList<RetentionExclusion> Except);

/// <summary>A ticket a rule would purge, as the preview lists it.</summary>
public sealed record RetentionCandidate(long Seq, string Id, string Number, string Subject, string? AccountId, string? Type, DateTimeOffset UpdatedAt, bool Deleted);

/// <summary>Reads the tickets a retention rule would purge; the purge itself goes through the deletion path.</summary>
public interface IRetentionStore
{
    /// <summary>Up to <paramref name="limit"/> tickets of the scope after <paramref name="afterSeq"/>, in creation order.</summary>
    Task<IReadOnlyList<RetentionCandidate>> CandidatesAsync(RetentionScope scope, long afterSeq, int limit, CancellationToken cancellationToken);

    Task<long> CountAsync(RetentionScope scope, CancellationToken cancellationToken);
}

public sealed class RetentionOptions
{
    public const string Section = "Retention";

    /// <summary>At most this many tickets are purged per run of the timer; the next run goes on where it stopped.</summary>
    public int BatchSize { get; set; } = 200;
}
