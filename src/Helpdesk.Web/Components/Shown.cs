using System.Globalization;
using Helpdesk.Web.Api;
using Helpdesk.Web.Api.Client.Models;
using Microsoft.Kiota.Abstractions.Serialization;

namespace Helpdesk.Web.Components;

/// <summary>How the admin pages show an instant (local time, the chosen culture) and a refusal of the API (its problem's detail and each field's reasons).</summary>
public static class Shown
{
    public static string When(DateTimeOffset? at) =>
        at is { } value ? value.ToLocalTime().ToString("g", CultureInfo.CurrentCulture) : string.Empty;

    public static string Refusal(Exception e) => e switch
    {
        Problem problem => string.Join(" ", new[] { problem.Detail ?? problem.Title ?? problem.Message }.Concat(FieldErrors(problem).SelectMany(f => f.Value)).Distinct(StringComparer.Ordinal)),
        ApiProblemException problem => problem.Describe(),
        _ => e.Message,
    };

    /// <summary>The reasons per field of a validation problem (400), as the API named the fields.</summary>
    public static IReadOnlyDictionary<string, string[]> FieldErrors(Exception e) =>
        e is Problem { Errors.AdditionalData: { } errors }
            ? errors.ToDictionary(f => f.Key, f => Reasons(f.Value), StringComparer.OrdinalIgnoreCase)
            : new Dictionary<string, string[]>();

    private static string[] Reasons(object value) => value switch
    {
        UntypedArray array => [.. array.GetValue().OfType<UntypedString>().Select(s => s.GetValue() ?? string.Empty)],
        UntypedString text => [text.GetValue() ?? string.Empty],
        _ => [value.ToString() ?? string.Empty],
    };
}
