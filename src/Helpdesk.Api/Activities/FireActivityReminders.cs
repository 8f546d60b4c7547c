using System.Globalization;
using Helpdesk.Api.Triggers;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Activities;

/// <summary>
/// The <c>FireActivityReminders</c> timer (every minute): each due reminder becomes one
/// <c>activity.reminder</c> event in the outbox, written in the same transaction that marks the
/// reminder sent, guarded by the activity's version. Overlapping or repeated runs therefore fire
/// each reminder exactly once; the notification pipeline delivers the event.
/// </summary>
public sealed class FireActivityReminders(IActivityStore store, TimeProvider clock) : IScheduledJob
{
    public const string FunctionName = "FireActivityReminders";
    public const string EventType = "activity.reminder";
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
                var a = activity.Value;
                var reminder = new DomainEvent(
                    Guid.CreateVersion7(now),
                    EventType,
                    a.TicketId,
                    now,
                    Actor.System("reminders"),
                    new Dictionary<string, string?>(StringComparer.Ordinal)
                    {
                        ["activityId"] = a.Id,
                        ["kind"] = Names.Of(a.Details.Kind),
                        ["title"] = a.Details.Title,
                        ["ownerId"] = a.Details.OwnerId,
                        ["dueAt"] = Instant(a.DatedAt),
                        ["remindAt"] = Instant(a.Details.Reminder?.At),
                        ["channels"] = string.Join(',', a.Details.Reminder!.Channels.Select(c => Names.Of(c))),
                    });
                if (await store.MarkReminderSentAsync(activity with { Value = a.ReminderSent(now) }, reminder, cancellationToken))
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

    private static string? Instant(DateTimeOffset? value) =>
        value?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
