using Helpdesk.Api.Common;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Tickets;
using Helpdesk.Domain.Work;
using Microsoft.Azure.Cosmos;

namespace Helpdesk.Api.Activities;

/// <summary>
/// Activities as items of their ticket's partition. An activity's indexed key is the time of its
/// pending reminder (not sent, activity not done) and null otherwise, so the reminder scan reads
/// only the reminders waiting to fire.
/// </summary>
internal sealed class CosmosActivityStore(CosmosTicketItems items) : IActivityStore
{
    private const string Kind = "activity";

    public Task<Versioned<Activity>?> FindAsync(string ticketId, string activityId, CancellationToken cancellationToken) =>
        items.FindAsync<Activity>(ticketId, Kind, activityId, cancellationToken);

    public Task<Page<Versioned<Activity>>> ListAsync(string ticketId, int limit, string? cursor, CancellationToken cancellationToken) =>
        items.ListAsync<Activity>(ticketId, Kind, _ => true, limit, cursor, cancellationToken);

    public Task SaveAsync(Ticket ticket, Versioned<Activity> activity, bool remove, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        ArgumentNullException.ThrowIfNull(activity);
        return items.WriteAsync(ticket, activity.Value.TicketId, [Write(activity, remove)], [], cancellationToken);
    }

    public async Task<IReadOnlyList<Versioned<Activity>>> DueRemindersAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken)
    {
        var query = new QueryDefinition($"SELECT * FROM c WHERE c.type = '{CosmosTicketItems.ItemType}' AND c.kind = '{Kind}' AND IS_STRING(c.key) AND c.key <= @now ORDER BY c.key")
            .WithParameter("@now", TicketDocument.Time(now));
        var due = new List<Versioned<Activity>>(limit);
        await foreach (var (activity, _) in items.QueryAsync<Activity>(query, cancellationToken))
        {
            due.Add(activity);
            if (due.Count == limit)
            {
                break;
            }
        }

        return due;
    }

    public async Task<bool> MarkReminderSentAsync(Versioned<Activity> sent, DomainEvent reminder, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sent);
        ArgumentNullException.ThrowIfNull(reminder);
        try
        {
            await items.WriteAsync(null, sent.Value.TicketId, [Write(sent, remove: false)], [reminder], cancellationToken);
            return true;
        }
        catch (ConcurrencyConflictException)
        {
            return false;
        }
    }

    private static ItemWrite Write(Versioned<Activity> activity, bool remove)
    {
        var a = activity.Value;
        var pending = !a.Done && a.ReminderSentAt is null ? a.Details.Reminder?.At : null;
        return new ItemWrite(Kind, a.Id, activity.Version, remove ? null : a, TicketDocument.Time(pending));
    }
}
