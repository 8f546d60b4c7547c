using Helpdesk.Api.Common;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Work;

namespace Helpdesk.Api.Activities;

/// <summary>
/// Reads activities of tickets and the reminders waiting to fire. An activity is written with the
/// ticket change that records it, through <see cref="ITicketStore.SaveAsync"/> (kind <see cref="TicketItemKinds.Activity"/>).
/// </summary>
public interface IActivityStore
{
    Task<Versioned<Activity>?> FindAsync(string ticketId, string activityId, CancellationToken cancellationToken);

    /// <summary>Oldest first.</summary>
    Task<Page<Versioned<Activity>>> ListAsync(string ticketId, int limit, string? cursor, CancellationToken cancellationToken);

    /// <summary>Activities whose reminder is due and not yet sent, soonest first; the cost follows the due reminders only.</summary>
    Task<IReadOnlyList<Versioned<Activity>>> DueRemindersAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken);
}

/// <summary>The time an activity's reminder waits to fire at, indexed by both engines: none once sent or done.</summary>
public static class ActivityReminders
{
    public static DateTimeOffset? PendingAt(Activity activity)
    {
        ArgumentNullException.ThrowIfNull(activity);
        return !activity.Done && activity.ReminderSentAt is null ? activity.Details.Reminder?.At : null;
    }
}
