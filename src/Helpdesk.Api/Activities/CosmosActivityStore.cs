using Helpdesk.Api.Common;
using Helpdesk.Api.Tickets;
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
    private const string Kind = TicketItemKinds.Activity;

    /// <summary>Keyed by the time of the pending reminder, so the reminder scan reads only the reminders waiting to fire.</summary>
    public static CosmosItemKind ItemKind { get; } = new(Kind) { Key = value => TicketDocument.Time(ActivityReminders.PendingAt((Activity)value)) };

    public Task<Versioned<Activity>?> FindAsync(string ticketId, string activityId, CancellationToken cancellationToken) =>
        items.FindAsync<Activity>(ticketId, Kind, activityId, cancellationToken);

    public Task<Page<Versioned<Activity>>> ListAsync(string ticketId, int limit, string? cursor, CancellationToken cancellationToken) =>
        items.ListAsync<Activity>(ticketId, Kind, _ => true, limit, cursor, cancellationToken);

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
}
