using Helpdesk.Api.Common;
using Helpdesk.Api.Directory;
using Helpdesk.Api.Time;
using Microsoft.Extensions.Options;
using NodaTime;
using NodaTime.Text;

namespace Helpdesk.Api.Reports;

/// <summary>
/// <c>GET /api/reports/tickets?from&amp;to[&amp;groupBy=status|priority|team|agent|type][&amp;timeZone][&amp;format=csv]</c>:
/// the ticket dashboard and team performance over [from, to). A bare date is midnight in the
/// time zone asked for (else <c>Time:DefaultTimeZone</c>), so <c>to</c> is the first day after
/// the period, as in the SLA report; an instant with a zone is taken as it is. At most 366 days.
/// </summary>
internal static class TicketDashboardEndpoint
{
    public static readonly TimeSpan MaxRange = TimeSpan.FromDays(366);

    private static readonly Dictionary<string, DashboardGrouping> Groupings = new(StringComparer.Ordinal)
    {
        ["status"] = DashboardGrouping.Status,
        ["priority"] = DashboardGrouping.Priority,
        ["team"] = DashboardGrouping.Team,
        ["agent"] = DashboardGrouping.Agent,
        ["type"] = DashboardGrouping.Type,
    };

    public static async Task<IResult> HandleAsync(
        string? from,
        string? to,
        string? groupBy,
        string? timeZone,
        string? format,
        ITicketDashboardSource source,
        IDirectoryStore directory,
        IOptions<TimeOptions> options,
        CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var zoneName = timeZone ?? options.Value.DefaultTimeZone;
        var zone = DateTimeZoneProviders.Tzdb.GetZoneOrNull(zoneName);
        if (zone is null)
        {
            errors["timeZone"] = ["An IANA time zone, e.g. Europe/Paris."];
        }

        var start = Boundary(from, "from", zone, errors);
        var end = Boundary(to, "to", zone, errors);
        if (start is not null && end is not null)
        {
            if (end <= start)
            {
                errors["to"] = ["'to' must be after 'from'."];
            }
            else if (end - start > MaxRange)
            {
                errors["to"] = ["The period is at most 366 days."];
            }
        }

        DashboardGrouping? grouping = null;
        if (groupBy is not null)
        {
            if (Groupings.TryGetValue(groupBy, out var found))
            {
                grouping = found;
            }
            else
            {
                errors["groupBy"] = ["Group by status, priority, team, agent or type."];
            }
        }

        if (format is not null and not "json" and not "csv")
        {
            errors["format"] = ["The format is json or csv."];
        }

        if (errors.Count > 0)
        {
            return Problems.Result(Problems.Validation(errors));
        }

        var totals = (await source.AggregateAsync(start!.Value, end!.Value, null, ct)).SingleOrDefault() ?? DashboardCounts.Empty(null);
        var groups = new List<DashboardGroup>();
        if (grouping is { } by)
        {
            foreach (var row in (await source.AggregateAsync(start.Value, end.Value, by, ct)).OrderBy(r => r.Group, StringComparer.Ordinal))
            {
                groups.Add(new DashboardGroup(row.Group, await NameOfAsync(by, row.Group, directory, ct), DashboardFigures.From(row)));
            }
        }

        var report = new TicketDashboardResponse(start.Value, end.Value, zoneName, groupBy, DashboardFigures.From(totals), groups);
        return format == "csv"
            ? ToCsv(report).ToResult($"tickets-{start.Value:yyyyMMdd}-{end.Value:yyyyMMdd}.csv")
            : TypedResults.Ok(report);
    }

    private static DateTimeOffset? Boundary(string? text, string field, DateTimeZone? zone, Dictionary<string, string[]> errors)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            errors[field] = ["Required: a date (yyyy-MM-dd) or an ISO 8601 instant with a time zone."];
            return null;
        }

        if (LocalDatePattern.Iso.Parse(text) is { Success: true } date)
        {
            return zone is null ? null : date.Value.AtStartOfDayInZone(zone).ToDateTimeOffset().ToUniversalTime();
        }

        if (UtcInstantConverter.TryParse(text, out var instant))
        {
            return instant.ToUniversalTime();
        }

        errors[field] = ["Not a date (yyyy-MM-dd) or an ISO 8601 instant with a time zone."];
        return null;
    }

    private static async Task<string?> NameOfAsync(DashboardGrouping grouping, string? id, IDirectoryStore directory, CancellationToken ct) =>
        (grouping, id) switch
        {
            (_, null) => null,
            (DashboardGrouping.Team, _) => (await directory.FindAsync(DirectoryKinds.Team, id, ct))?.Value.Name,
            (DashboardGrouping.Agent, _) => (await directory.FindAsync(DirectoryKinds.Agent, id, ct))?.Value.Name,
            _ => null,
        };

    private static Csv ToCsv(TicketDashboardResponse report)
    {
        var csv = new Csv().Row(
            "section", "group", "name", "created", "resolved", "backlog", "firstResponseMedianSeconds", "resolutionMedianSeconds",
            "reopened", "reopenRatePercent", "csatAnswers", "csatAverage");
        csv.Row(Cells("total", null, null, report.Totals));
        foreach (var group in report.Groups)
        {
            csv.Row(Cells(report.GroupBy!, group.Group, group.Name, group.Figures));
        }

        return csv;
    }

    private static object?[] Cells(string section, string? group, string? name, DashboardFigures f) =>
    [
        section, group, name, f.Created, f.Resolved, f.Backlog, f.FirstResponseMedianSeconds, f.ResolutionMedianSeconds,
        f.Reopened, f.ReopenRatePercent, f.CsatAnswers, f.CsatAverage,
    ];
}
