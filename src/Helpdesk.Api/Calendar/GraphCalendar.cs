using Microsoft.Graph;
using Microsoft.Graph.Models;
using Microsoft.Graph.Models.ODataErrors;

namespace Helpdesk.Api.Calendar;

/// <summary>What the calendar push asks of Outlook; times are UTC instants.</summary>
public sealed record CalendarEntry(string Subject, string Body, DateTimeOffset Start, DateTimeOffset End, string? Location, int? ReminderMinutesBeforeStart);

/// <summary>A user's Outlook calendar.</summary>
public interface IOutlookCalendar
{
    /// <summary>Creates the event; Graph answers a repeated <paramref name="transactionId"/> with the event it already made.</summary>
    Task<string> CreateAsync(string userId, CalendarEntry entry, string transactionId, CancellationToken cancellationToken);

    /// <summary>False when the event no longer exists (the user deleted it in Outlook).</summary>
    Task<bool> UpdateAsync(string userId, string eventId, CalendarEntry entry, CancellationToken cancellationToken);

    /// <summary>Deletes the event; one already gone counts as deleted.</summary>
    Task DeleteAsync(string userId, string eventId, CancellationToken cancellationToken);
}

/// <summary>
/// The calendar through the Graph SDK (<c>POST/PATCH/DELETE /users/{id}/events</c>). The SDK's
/// default middleware waits out a 429 or 503 for the Retry-After Graph sends, then retries.
/// </summary>
public sealed class GraphCalendar(GraphServiceClient graph) : IOutlookCalendar
{
    public async Task<string> CreateAsync(string userId, CalendarEntry entry, string transactionId, CancellationToken cancellationToken)
    {
        var created = await graph.Users[userId].Events.PostAsync(ToEvent(entry, transactionId), cancellationToken: cancellationToken);
        return created?.Id ?? throw new InvalidOperationException("Graph created an event without an id.");
    }

    public async Task<bool> UpdateAsync(string userId, string eventId, CalendarEntry entry, CancellationToken cancellationToken)
    {
        try
        {
            await graph.Users[userId].Events[eventId].PatchAsync(ToEvent(entry, transactionId: null), cancellationToken: cancellationToken);
            return true;
        }
        catch (ODataError e) when (e.ResponseStatusCode == StatusCodes.Status404NotFound)
        {
            return false;
        }
    }

    public async Task DeleteAsync(string userId, string eventId, CancellationToken cancellationToken)
    {
        try
        {
            await graph.Users[userId].Events[eventId].DeleteAsync(cancellationToken: cancellationToken);
        }
        catch (ODataError e) when (e.ResponseStatusCode == StatusCodes.Status404NotFound)
        {
            // Already gone from the calendar: that is what was asked.
        }
    }

    private static Event ToEvent(CalendarEntry entry, string? transactionId) => new()
    {
        Subject = entry.Subject,
        Body = new ItemBody { ContentType = BodyType.Text, Content = entry.Body },
        Start = Utc(entry.Start),
        End = Utc(entry.End),
        Location = new Location { DisplayName = entry.Location ?? string.Empty },
        IsReminderOn = entry.ReminderMinutesBeforeStart is not null,
        ReminderMinutesBeforeStart = entry.ReminderMinutesBeforeStart,
        TransactionId = transactionId,
    };

    private static DateTimeTimeZone Utc(DateTimeOffset at) => new()
    {
        DateTime = at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture),
        TimeZone = "UTC",
    };
}
