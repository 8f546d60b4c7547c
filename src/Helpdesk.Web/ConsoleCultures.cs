using System.Globalization;

namespace Helpdesk.Web;

/// <summary>The console's languages. The culture itself (en-GB, fr-CA…) keeps the browser's region for dates and numbers.</summary>
public static class ConsoleCultures
{
    public const string StorageKey = "helpdesk.culture";

    public static readonly IReadOnlyList<(string Code, string Name)> Supported = [("en", "English"), ("fr", "Français")];

    public static string LanguageOf(CultureInfo culture) =>
        culture.TwoLetterISOLanguageName == "fr" ? "fr" : "en";
}

/// <summary>The ticket views of GET /api/tickets?view=.</summary>
public static class TicketViews
{
    public static readonly IReadOnlyList<string> All = ["open", "mine", "team", "unassigned", "late", "all"];
}

/// <summary>The admin pages, one per thing admins change daily.</summary>
public static class AdminPages
{
    public static readonly IReadOnlyList<string> All = ["teams", "agents", "sla", "calendars", "canned", "templates", "quarantine", "deadletters"];
}
