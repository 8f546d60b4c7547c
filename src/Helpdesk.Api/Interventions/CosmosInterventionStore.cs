using Helpdesk.Api.Common;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Work;
using Microsoft.Azure.Cosmos;

namespace Helpdesk.Api.Interventions;

/// <summary>
/// Interventions as items of their ticket's partition, keyed by <see cref="InterventionSchedule"/>
/// so a technician's schedule is one range of the indexed key across tickets.
/// </summary>
internal sealed class CosmosInterventionStore(CosmosTicketItems items) : IInterventionStore
{
    private const string Kind = TicketItemKinds.Intervention;

    public static CosmosItemKind ItemKind { get; } = new(Kind) { Key = value => InterventionSchedule.Key((Intervention)value) };

    public Task<Versioned<Intervention>?> FindAsync(string ticketId, string interventionId, CancellationToken cancellationToken) =>
        items.FindAsync<Intervention>(ticketId, Kind, interventionId, cancellationToken);

    public Task<Page<Versioned<Intervention>>> ListAsync(string ticketId, int limit, string? cursor, CancellationToken cancellationToken) =>
        items.ListAsync<Intervention>(ticketId, Kind, _ => true, limit, cursor, cancellationToken);

    public async Task<Page<Intervention>> ScheduleAsync(string technicianId, DateTimeOffset from, DateTimeOffset to, int limit, string? cursor, CancellationToken cancellationToken)
    {
        var query = new QueryDefinition(
            $"SELECT * FROM c WHERE c.type = '{CosmosTicketItems.ItemType}' AND c.kind = '{Kind}' AND c.key > @after AND c.key < @to ORDER BY c.key")
            .WithParameter("@after", InterventionCursor.After(technicianId, from, cursor))
            .WithParameter("@to", InterventionSchedule.From(technicianId, to));
        var found = new List<Intervention>(limit + 1);
        await foreach (var (intervention, _) in items.QueryAsync<Intervention>(query, cancellationToken))
        {
            found.Add(intervention.Value);
            if (found.Count > limit)
            {
                break;
            }
        }

        return InterventionCursor.Page(found, limit);
    }
}

/// <summary>The schedule's cursor: the last key read, made opaque.</summary>
internal static class InterventionCursor
{
    /// <summary>
    /// The key the page starts after: the range's start (lower than any key at that instant), or
    /// the cursor's last key when it lies further on, so a cursor never widens the range.
    /// </summary>
    public static string After(string technicianId, DateTimeOffset from, string? cursor)
    {
        var start = InterventionSchedule.From(technicianId, from);
        var last = cursor is null ? null : Paging.DecodeOrderedKey(cursor).Order;
        return last is not null && string.CompareOrdinal(last, start) > 0 ? last : start;
    }

    /// <summary>A page of <paramref name="limit"/> from up to one more row read, with the cursor after its last row when there is more.</summary>
    public static Page<Intervention> Page(IReadOnlyList<Intervention> rows, int limit) =>
        rows.Count > limit
            ? new Page<Intervention>([.. rows.Take(limit)], Paging.EncodeKey(InterventionSchedule.Key(rows[limit - 1]), 0))
            : new Page<Intervention>(rows, null);
}
