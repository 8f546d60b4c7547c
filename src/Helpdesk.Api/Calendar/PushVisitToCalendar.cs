using Helpdesk.Api.Activities;
using Helpdesk.Api.Directory;
using Helpdesk.Api.Events;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Work;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Calendar;

/// <summary>
/// Consumer of the <c>calendar</c> queue: after any change to an activity, brings its owner's
/// Outlook calendar in line with the activity as it is now, whatever order the events come in.
/// An on-site visit (an event with <c>onSite</c>) gets one Outlook event in its owner's calendar,
/// updated when the visit changes, moved when the owner changes, deleted when the visit is
/// removed or is no longer on site. The Graph event id is stored per activity; creation carries
/// a transaction id, so a delivery stopped between Graph's answer and the store still makes one event.
/// </summary>
public sealed partial class PushVisitToCalendar(
    IActivityStore activities,
    ITicketStore tickets,
    IDirectoryStore directory,
    ICalendarLinks links,
    IOutlookCalendar calendar,
    IOptions<CalendarOptions> options,
    ILogger<PushVisitToCalendar> logger) : IEventConsumer
{
    public const string FunctionName = "PushVisitToCalendar";

    public async Task HandleAsync(EventMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!options.Value.PushOnSiteVisits || message.TicketId is null || message.Value("activityId") is not { } activityId)
        {
            return;
        }

        var activity = await activities.FindAsync(message.TicketId, activityId, cancellationToken);
        var link = await links.FindAsync(activityId, cancellationToken);
        var owner = activity is { Value: { Details: { Kind: ActivityKind.Event, OnSite: true, StartAt: not null, EndAt: not null } } visit }
            ? (await directory.FindAsync(DirectoryKinds.Agent, visit.Details.OwnerId, cancellationToken))?.Value.Email
            : null;

        if (link is not null && link.UserId != owner)
        {
            await calendar.DeleteAsync(link.UserId, link.EventId, cancellationToken);
            await links.RemoveAsync(activityId, cancellationToken);
            LogRemoved(logger, activityId, link.UserId);
            link = null;
        }

        if (owner is null || activity is null || (link is not null && link.ActivityVersion >= activity.Version))
        {
            return;
        }

        var ticket = await tickets.FindAsync(message.TicketId, cancellationToken);
        var entry = Entry(activity.Value, ticket?.Number, ticket?.Subject);
        if (link is not null && await calendar.UpdateAsync(owner, link.EventId, entry, cancellationToken))
        {
            await links.SaveAsync(link with { ActivityVersion = activity.Version }, cancellationToken);
            return;
        }

        var eventId = await calendar.CreateAsync(owner, entry, $"{activityId}.{activity.Version}", cancellationToken);
        await links.SaveAsync(new CalendarLink(activityId, owner, eventId, activity.Version), cancellationToken);
        LogPushed(logger, activityId, owner);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed the calendar event of activity {ActivityId} from {UserId}")]
    private static partial void LogRemoved(ILogger logger, string activityId, string userId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Pushed activity {ActivityId} to the calendar of {UserId}")]
    private static partial void LogPushed(ILogger logger, string activityId, string userId);

    private static CalendarEntry Entry(Activity activity, string? number, string? subject)
    {
        var d = activity.Details;
        var reminder = d.Reminder is { } r && d.StartAt is { } start ? (int?)Math.Max(0, (int)(start - r.At).TotalMinutes) : null;
        var about = number is null ? string.Empty : $"Ticket {number}: {subject}";
        return new CalendarEntry(
            number is null ? d.Title : $"{d.Title} [{number}]",
            string.Join("\n\n", new[] { about, d.Notes }.Where(t => !string.IsNullOrWhiteSpace(t))),
            d.StartAt!.Value,
            d.EndAt!.Value,
            d.Location,
            reminder);
    }
}
