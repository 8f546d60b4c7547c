using Helpdesk.Api.Common;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Approvals;
using Microsoft.Azure.Cosmos;

namespace Helpdesk.Api.Approvals;

/// <summary>
/// Approvals as items of their ticket's partition, committed by the ticket write that records
/// them (the ticket's <c>pendingApproval</c>, its history line and events), so the approval and
/// its ticket never diverge and a decision is settled once (the item's version is checked inside
/// the ETag-guarded commit). The item's indexed key is the approval's next deadline while it is
/// pending (<see cref="Approval.DueAt"/>) and null once settled, so the deadline timer reads only
/// the approvals due; a link names the approval only, found by its indexed item id.
/// </summary>
internal sealed class CosmosApprovalStore(CosmosTicketItems items) : IApprovalStore
{
    private const string Kind = TicketItemKinds.Approval;

    /// <summary>Keyed by the approval's next deadline while it is pending, null once settled.</summary>
    public static CosmosItemKind ItemKind(ApprovalOptions options) =>
        new(Kind) { Key = value => TicketDocument.Time(((Approval)value).DueAt(options.ReminderAfter)) };

    public async Task<Versioned<Approval>?> FindAsync(string id, CancellationToken cancellationToken)
    {
        var query = new QueryDefinition($"SELECT * FROM c WHERE c.type = '{CosmosTicketItems.ItemType}' AND c.kind = '{Kind}' AND c.itemId = @id")
            .WithParameter("@id", id);
        await foreach (var (approval, _) in items.QueryAsync<Approval>(query, cancellationToken))
        {
            return approval;
        }

        return null;
    }

    public Task<Page<Versioned<Approval>>> ListAsync(string ticketId, int limit, string? cursor, CancellationToken cancellationToken) =>
        items.ListAsync<Approval>(ticketId, Kind, _ => true, limit, cursor, cancellationToken);

    public async Task<IReadOnlyList<Versioned<Approval>>> DueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken)
    {
        var query = new QueryDefinition($"SELECT * FROM c WHERE c.type = '{CosmosTicketItems.ItemType}' AND c.kind = '{Kind}' AND IS_STRING(c.key) AND c.key <= @now ORDER BY c.key")
            .WithParameter("@now", TicketDocument.Time(now));
        var due = new List<Versioned<Approval>>(limit);
        await foreach (var (approval, _) in items.QueryAsync<Approval>(query, cancellationToken))
        {
            due.Add(approval);
            if (due.Count == limit)
            {
                break;
            }
        }

        return due;
    }
}
