using Helpdesk.Api.Activities;

namespace Helpdesk.Api.Calendar;

/// <summary>
/// Takes a ticket's visits out of the owners' Outlook calendars when the ticket is purged: the
/// events carry its subject and place, and the activities that would remove them are erased with
/// the ticket. A visit never pushed has no link and costs one point read.
/// </summary>
public sealed class CalendarCleanup(IActivityStore activities, ICalendarLinks links, IOutlookCalendar calendar)
{
    private const int PageSize = 100;

    public async Task RemoveVisitsOfAsync(string ticketId, CancellationToken cancellationToken)
    {
        string? cursor = null;
        do
        {
            var page = await activities.ListAsync(ticketId, PageSize, cursor, cancellationToken);
            foreach (var activity in page.Items)
            {
                if (await links.FindAsync(activity.Value.Id, cancellationToken) is { } link)
                {
                    await calendar.DeleteAsync(link.UserId, link.EventId, cancellationToken);
                    await links.RemoveAsync(link.ActivityId, cancellationToken);
                }
            }

            cursor = page.NextCursor;
        }
        while (cursor is not null);
    }
}
