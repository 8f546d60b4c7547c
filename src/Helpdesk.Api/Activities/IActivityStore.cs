using Helpdesk.Api.Common;
using Helpdesk.Domain.Tickets;
using Helpdesk.Domain.Work;

namespace Helpdesk.Api.Activities;

/// <summary>Activities of tickets and the reminders waiting to fire.</summary>
public interface IActivityStore
{
    Task<Versioned<Activity>?> FindAsync(string ticketId, string activityId, CancellationToken cancellationToken);

    /// <summary>Oldest first.</summary>
    Task<Page<Versioned<Activity>>> ListAsync(string ticketId, int limit, string? cursor, CancellationToken cancellationToken);

    /// <summary>Writes the activity (version 0 = new) or removes it, with the ticket's changes, in one transaction.</summary>
    Task SaveAsync(Ticket ticket, Versioned<Activity> activity, bool remove, CancellationToken cancellationToken);

    /// <summary>Activities whose reminder is due and not yet sent, soonest first; the cost follows the due reminders only.</summary>
    Task<IReadOnlyList<Versioned<Activity>>> DueRemindersAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Marks the reminder sent and stores its event in the outbox in one transaction. False when
    /// the activity changed since it was read (another run fired it, or it was edited): nothing is written.
    /// </summary>
    Task<bool> MarkReminderSentAsync(Versioned<Activity> sent, DomainEvent reminder, CancellationToken cancellationToken);
}
