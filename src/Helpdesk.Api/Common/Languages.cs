namespace Helpdesk.Api.Common;

/// <summary>The languages the helpdesk writes in (notifications, the console): a contact's or the settings' language is one of these.</summary>
public static class Languages
{
    public const string English = "en";
    public const string French = "fr";

    public static readonly IReadOnlyList<string> All = [English, French];

    public static bool IsSupported(string language) => All.Contains(language, StringComparer.Ordinal);

    /// <summary>The language to write in: a supported one as given, else English.</summary>
    public static string Supported(string? language) =>
        language?.Trim().ToLowerInvariant() is { } lower && IsSupported(lower) ? lower : English;
}
