using System.Globalization;

namespace Helpdesk.Api.Storage;

/// <summary>Calendar days as both engines store and compare them: ISO text, so string order is day order.</summary>
public static class StoreDays
{
    public static string Format(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
