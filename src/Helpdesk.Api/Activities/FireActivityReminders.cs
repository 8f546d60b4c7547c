using System.Globalization;
using Helpdesk.Api.Tickets;
using Helpdesk.Api.Triggers;
using Helpdesk.Domain.Work;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Activities;

/// <summary>
/// The <c>FireActivityReminders</c> timer (every minute): each due reminder becomes one
/// <c>activity.reminder</c> event (<see cref="Ticket.FireReminder"/>), written with the activity
/// marked as reminded, guarded by the activity's version. Overlapping or repeated runs therefore
/// fire each reminder exactly once; the notification pipeline delivers the event.
/// </summary>
public sealed class FireActivityReminders(IActivityStore store, TicketRunner runner, TimeProvider clock) : IScheduledJob
{
    public const string FunctionName = "FireActivityReminders";
    public const string EventType = TicketActEventTypes.ActivityReminder;
    private const int BatchSize = 200;

    public async Task<IReadOnlyList<string>> RunAsync(TimerInfo timer, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var fired = 0;
        while (true)
        {
            var due = await store.DueRemindersAsync(now, BatchSize, cancellationToken);
            var firedInBatch = 0;
            foreach (var activity in due)
            {
                if (await FireAsync(activity.Value, now, cancellationToken))
                {
                    firedInBatch++;
                }
            }

            fired += firedInBatch;
            if (due.Count < BatchSize || firedInBatch == 0)
            {
                return [string.Create(CultureInfo.InvariantCulture, $"{fired} activity reminder(s) fired")];
            }
        }
    }

    /// <summary>Fires the reminder unless another run did, or the activity changed so it is no longer due.</summary>
    private async Task<bool> FireAsync(Activity due, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var outcome = await runner.RunAsync<bool>(
            due.TicketId,
            Actor.System("reminders"),
            TicketPrecondition.None,
            async c =>
            {
                var current = await store.FindAsync(due.TicketId, due.Id, cancellationToken);
                if (current is null || !current.Value.ReminderDue(now))
                {
                    return false;
                }

                c.Write(TicketItemWrite.Put(TicketItemKinds.Activity, due.Id, current with { Value = c.Ticket.FireReminder(current.Value, now) }));
                return true;
            },
            cancellationToken,
            TicketLookup.IncludingDeleted);
        return outcome.Succeeded && outcome.Value;
    }
}
