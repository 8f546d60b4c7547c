using Helpdesk.Api.Common;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Approvals;
using Helpdesk.Domain.Tickets;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Approvals;

/// <summary>
/// Approvals as items of their ticket's partition, committed by the ticket write that records
/// them (the ticket's <c>pendingApproval</c>, its history line and events), so the approval and
/// its ticket never diverge and a decision is settled once (the item's version is checked inside
/// the ETag-guarded commit). The item's indexed key is the approval's next deadline while it is
/// pending (<see cref="Approval.DueAt"/>) and null once settled, so the deadline timer reads only
/// the approvals due; a link names the approval only, found by its indexed item id.
/// </summary>
internal sealed class CosmosApprovalStore(CosmosTicketItems items, IOptions<ApprovalOptions> options) : IApprovalStore
{
    private const string Kind = "approval";

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

    public Task SaveAsync(Ticket ticket, Versioned<Approval> approval, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        ArgumentNullException.ThrowIfNull(approval);
        return items.WriteAsync(ticket, approval.Value.TicketId, [Write(approval)], [], cancellationToken);
    }

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

    public async Task<bool> MarkRemindedAsync(Versioned<Approval> reminded, IReadOnlyList<DomainEvent> reminders, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reminded);
        ArgumentNullException.ThrowIfNull(reminders);
        try
        {
            await items.WriteAsync(null, reminded.Value.TicketId, [Write(reminded)], reminders, cancellationToken);
            return true;
        }
        catch (ConcurrencyConflictException)
        {
            return false;
        }
    }

    private ItemWrite Write(Versioned<Approval> approval) =>
        new(Kind, approval.Value.Id, approval.Version, approval.Value, TicketDocument.Time(approval.Value.DueAt(options.Value.ReminderAfter)));
}
