using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Net.Http.Headers;

namespace Helpdesk.Api.Common;

/// <summary>
/// Versions travel as strong ETags (<c>"7"</c>). An update must name the version it read in
/// If-Match; a weak tag never matches, because If-Match uses strong comparison (RFC 9110 §13.1.1).
/// </summary>
public static class ETags
{
    public static string For(long version) => string.Create(CultureInfo.InvariantCulture, $"\"{version}\"");

    public static void Set(HttpResponse response, long version) => response.Headers.ETag = For(version);

    /// <summary>The If-Match header as sent, or null.</summary>
    public static string? IfMatchOf(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.Headers.IfMatch.Count == 0 ? null : request.Headers.IfMatch.ToString();
    }

    /// <summary>Null when no If-Match was sent; otherwise whether it matches the current version.</summary>
    public static bool? Matches(string? ifMatch, long currentVersion)
    {
        if (ifMatch is null)
        {
            return null;
        }

        if (!EntityTagHeaderValue.TryParseList([ifMatch], out var tags))
        {
            return false;
        }

        var current = For(currentVersion);
        return tags.Any(t => t.Equals(EntityTagHeaderValue.Any) || (!t.IsWeak && t.Tag.Equals(current, StringComparison.Ordinal)));
    }

    /// <summary>The answer to a conditional write: null to go on, or the 428 (when <paramref name="required"/>) or 412 to return.</summary>
    public static ProblemDetails? Refusal(string? ifMatch, long currentVersion, bool required) =>
        Matches(ifMatch, currentVersion) switch
        {
            null when required => Problems.IfMatchRequired(),
            false => Problems.StaleVersion(),
            _ => null,
        };

    /// <summary>If-Match is required: null to go on, or the 428/412 to return.</summary>
    public static ProblemDetails? RequireMatch(HttpRequest request, long currentVersion) =>
        Refusal(IfMatchOf(request), currentVersion, required: true);

    /// <summary>For commands where If-Match is optional: only a sent, stale tag refuses.</summary>
    public static ProblemDetails? CheckIfSent(HttpRequest request, long currentVersion) =>
        Refusal(IfMatchOf(request), currentVersion, required: false);
}
