using Helpdesk.Api.Common;
using Helpdesk.Api.Satisfaction;

namespace Helpdesk.Api.Reports;

/// <summary>GET /api/reports/satisfaction?from=&amp;to=: survey answers given in the period, their average and distribution.</summary>
internal static class SatisfactionReportEndpoint
{
    public static async Task<IResult> HandleAsync(string? from, string? to, ISurveyStore store, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        DateTimeOffset start = default, end = default;
        if (from is null || !UtcInstantConverter.TryParse(from, out start))
        {
            errors["from"] = ["An ISO-8601 instant with a time zone is required."];
        }

        if (to is null || !UtcInstantConverter.TryParse(to, out end))
        {
            errors["to"] = ["An ISO-8601 instant with a time zone is required."];
        }
        else if (errors.Count == 0 && end <= start)
        {
            errors["to"] = ["The end comes after the start."];
        }

        return errors.Count > 0
            ? Problems.Result(Problems.Validation(errors))
            : TypedResults.Ok(await store.ScoresAsync(start, end, ct));
    }
}
