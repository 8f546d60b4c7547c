namespace Helpdesk.Api.Calendar;

/// <summary>Which Outlook event stands for an activity: the mailbox (user) it is in and its Graph id, as of an activity version.</summary>
public sealed record CalendarLink(string ActivityId, string UserId, string EventId, long ActivityVersion);

/// <summary>The activities already pushed to a calendar, so a redelivered event updates instead of creating a duplicate.</summary>
public interface ICalendarLinks
{
    Task<CalendarLink?> FindAsync(string activityId, CancellationToken cancellationToken);

    Task SaveAsync(CalendarLink link, CancellationToken cancellationToken);

    Task RemoveAsync(string activityId, CancellationToken cancellationToken);
}
