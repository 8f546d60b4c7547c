namespace Helpdesk.Api.Reports;

/// <summary>What the ticket dashboard may be grouped by; each group is the ticket's current value.</summary>
public enum DashboardGrouping
{
    Status,
    Priority,
    Team,
    Agent,
    Type,
}

/// <summary>
/// The raw figures of one group over a period [from, to). Created: tickets created in the period.
/// Resolved: tickets with a resolution in the period. Backlog: tickets created before the end whose
/// status at the end was still active. Times are wall-clock seconds from creation (first public
/// agent reply; last resolution in the period), medians over the tickets that have them. Reopened:
/// resolved tickets that went back to work after their first resolution in the period. CSAT: survey
/// answers given in the period.
/// </summary>
public sealed record DashboardCounts(
    string? Group,
    int Created,
    int Resolved,
    int Backlog,
    long? FirstResponseMedianSeconds,
    long? ResolutionMedianSeconds,
    int Reopened,
    int CsatAnswers,
    decimal? CsatScoreSum)
{
    public static DashboardCounts Empty(string? group) => new(group, 0, 0, 0, null, null, 0, 0, null);
}

/// <summary>
/// Aggregates the dashboard figures where the tickets are stored, so a long period never brings
/// every ticket into memory. SQLite computes them in SQL; a Cosmos DB implementation would run
/// the same aggregates as per-partition queries.
/// </summary>
public interface ITicketDashboardSource
{
    /// <summary>One row per group (a single row with a null group when <paramref name="groupBy"/> is null).</summary>
    Task<IReadOnlyList<DashboardCounts>> AggregateAsync(DateTimeOffset from, DateTimeOffset to, DashboardGrouping? groupBy, CancellationToken cancellationToken);
}

/// <summary>One line of the dashboard: the figures, with the reopen rate (0–100) and the CSAT average (1–5) worked out.</summary>
public sealed record DashboardFigures(
    int Created,
    int Resolved,
    int Backlog,
    long? FirstResponseMedianSeconds,
    long? ResolutionMedianSeconds,
    int Reopened,
    double? ReopenRatePercent,
    int CsatAnswers,
    decimal? CsatAverage)
{
    public static DashboardFigures From(DashboardCounts counts) => new(
        counts.Created,
        counts.Resolved,
        counts.Backlog,
        counts.FirstResponseMedianSeconds,
        counts.ResolutionMedianSeconds,
        counts.Reopened,
        counts.Resolved == 0 ? null : Math.Round(100.0 * counts.Reopened / counts.Resolved, 1, MidpointRounding.AwayFromZero),
        counts.CsatAnswers,
        counts.CsatAnswers == 0 || counts.CsatScoreSum is null ? null : Math.Round(counts.CsatScoreSum.Value / counts.CsatAnswers, 2, MidpointRounding.AwayFromZero));
}

public sealed record DashboardGroup(string? Group, string? Name, DashboardFigures Figures);

public sealed record TicketDashboardResponse(
    DateTimeOffset From,
    DateTimeOffset To,
    string TimeZone,
    string? GroupBy,
    DashboardFigures Totals,
    IReadOnlyList<DashboardGroup> Groups);
