using System.Globalization;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Common;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Helpdesk.Api.Sla;

/// <summary>One group of the SLA compliance report; times are business seconds, percentages 0–100 (null when nothing was measured).</summary>
public sealed record SlaReportRow(
    string Group,
    int Tickets,
    int FirstResponseMeasured,
    double? FirstResponseMetPercent,
    int ResolutionMeasured,
    double? ResolutionMetPercent,
    long? FirstResponseMedianSeconds,
    long? FirstResponseP90Seconds,
    long? ResolutionMedianSeconds,
    long? ResolutionP90Seconds,
    int Breaches);

public sealed record SlaReport(DateTimeOffset From, DateTimeOffset To, string GroupBy, IReadOnlyList<SlaReportRow> Rows);

/// <summary>
/// <c>GET /api/reports/sla?from&amp;to[&amp;groupBy=policy|team|priority][&amp;format=csv]</c>: SLA
/// compliance of the tickets created in [from, to), recomputed from each ticket's clocks. A target
/// is measured once its clock stopped (met or missed) or it is already breached.
/// </summary>
public static class SlaReportEndpoints
{
    private static readonly string[] Groupings = ["policy", "team", "priority"];

    public static RouteGroupBuilder MapSlaReport(this RouteGroupBuilder api)
    {
        api.MapGet("/reports/sla", ReportAsync).RequireAuthorization(Policies.Supervisor).WithTags("reports").WithName("GetSlaReport").WithCsv();
        return api;
    }

    private static async Task<Results<Ok<SlaReport>, FileContentHttpResult, ApiProblem>> ReportAsync(
        string? from,
        string? to,
        string? groupBy,
        string? format,
        ITicketStore store,
        SlaCatalog catalog,
        TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var start = ParseInstant(from, "from", errors);
        var end = ParseInstant(to, "to", errors);
        if (start is not null && end is not null && end <= start)
        {
            errors["to"] = ["'to' must be after 'from'."];
        }

        var grouping = groupBy ?? "policy";
        if (!Groupings.Contains(grouping))
        {
            errors["groupBy"] = ["Group by policy, team or priority."];
        }

        if (format is not null and not "json" and not "csv")
        {
            errors["format"] = ["The format is json or csv."];
        }

        if (errors.Count > 0)
        {
            return new ApiProblem(Problems.Validation(errors));
        }

        var settings = await catalog.GetAsync(cancellationToken);
        var now = clock.GetUtcNow();
        var measured = new List<(string Group, SlaStatus Status)>();
        string? cursor = null;
        do
        {
            var page = await store.QueryAsync(new TicketQuery(TicketView.All, now, Paging.MaxLimit, cursor, CreatedFrom: start, CreatedBefore: end), cancellationToken);
            foreach (var ticket in page.Items)
            {
                if (settings.StatusOf(ticket, now) is { } status)
                {
                    measured.Add((GroupOf(ticket, status, grouping), status));
                }
            }

            cursor = page.NextCursor;
        }
        while (cursor is not null);

        var report = new SlaReport(start!.Value, end!.Value, grouping, [.. measured.GroupBy(m => m.Group).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => Row(g.Key, [.. g.Select(m => m.Status)]))]);
        if (format == "csv")
        {
            return ToCsv(report).ToResult($"sla-{start:yyyyMMdd}-{end:yyyyMMdd}.csv");
        }

        return TypedResults.Ok(report);
    }

    private static string GroupOf(Ticket ticket, SlaStatus status, string grouping) => grouping switch
    {
        "team" => ticket.TeamId ?? "(no team)",
        "priority" => Names.Of(ticket.Priority),
        _ => status.PolicyId,
    };

    private static SlaReportRow Row(string group, IReadOnlyList<SlaStatus> statuses)
    {
        var firstResponses = Measured(statuses, SlaClock.FirstResponse);
        var resolutions = Measured(statuses, SlaClock.Resolution);
        return new SlaReportRow(
            group,
            statuses.Count,
            firstResponses.Count,
            MetPercent(firstResponses),
            resolutions.Count,
            MetPercent(resolutions),
            Percentile(firstResponses, 0.5),
            Percentile(firstResponses, 0.9),
            Percentile(resolutions, 0.5),
            Percentile(resolutions, 0.9),
            statuses.Sum(s => s.Targets.Count(t => t.State == SlaState.Breached)));
    }

    private static List<SlaTargetClock> Measured(IEnumerable<SlaStatus> statuses, string target) =>
        [.. statuses.Select(s => s.Find(target)).OfType<SlaTargetClock>().Where(c => c.Stopped || c.State == SlaState.Breached)];

    private static double? MetPercent(List<SlaTargetClock> clocks) =>
        clocks.Count == 0 ? null : Math.Round(100.0 * clocks.Count(c => c.State == SlaState.Met) / clocks.Count, 1);

    /// <summary>Nearest-rank percentile of the elapsed business time of the stopped clocks.</summary>
    private static long? Percentile(List<SlaTargetClock> clocks, double rank)
    {
        var times = clocks.Where(c => c.Stopped).Select(c => (long)c.Elapsed.TotalSeconds).Order().ToArray();
        return times.Length == 0 ? null : times[Math.Max(0, (int)Math.Ceiling(rank * times.Length) - 1)];
    }

    private static DateTimeOffset? ParseInstant(string? text, string field, Dictionary<string, string[]> errors)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            errors[field] = ["Required: a date (yyyy-MM-dd) or an ISO 8601 instant."];
            return null;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value))
        {
            return value;
        }

        errors[field] = ["Not a date (yyyy-MM-dd) or an ISO 8601 instant."];
        return null;
    }

    private static Csv ToCsv(SlaReport report)
    {
        var csv = new Csv().Row(
            "group", "tickets", "firstResponseMeasured", "firstResponseMetPercent", "resolutionMeasured", "resolutionMetPercent",
            "firstResponseMedianSeconds", "firstResponseP90Seconds", "resolutionMedianSeconds", "resolutionP90Seconds", "breaches");
        foreach (var row in report.Rows)
        {
            csv.Row(
                row.Group, row.Tickets, row.FirstResponseMeasured, row.FirstResponseMetPercent, row.ResolutionMeasured, row.ResolutionMetPercent,
                row.FirstResponseMedianSeconds, row.FirstResponseP90Seconds, row.ResolutionMedianSeconds, row.ResolutionP90Seconds, row.Breaches);
        }

        return csv;
    }
}
