using System.Globalization;
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

    /// <summary>Null when no If-Match was sent; otherwise whether it matches the current version.</summary>
    public static bool? Matches(HttpRequest request, long currentVersion)
    {
        var header = request.Headers.IfMatch;
        if (header.Count == 0)
        {
            return null;
        }

        if (!EntityTagHeaderValue.TryParseList(header, out var tags))
        {
            return false;
        }

        var current = For(currentVersion);
        return tags.Any(t => t.Equals(EntityTagHeaderValue.Any) || (!t.IsWeak && t.Tag.Equals(current, StringComparison.Ordinal)));
    }

    /// <summary>The answer to a conditional write: null to go on, or the 428/412 to return.</summary>
    public static IResult? RequireMatch(HttpRequest request, long currentVersion) =>
        Matches(request, currentVersion) switch
        {
            null => Problems.PreconditionRequired(),
            false => Problems.Stale(),
            true => null,
        };

    /// <summary>For commands where If-Match is optional: only a sent, stale tag refuses.</summary>
    public static IResult? CheckIfSent(HttpRequest request, long currentVersion) =>
        Matches(request, currentVersion) == false ? Problems.Stale() : null;
}
