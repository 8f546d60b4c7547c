using Helpdesk.Api.Common;
using Helpdesk.Api.Expenses;
using Helpdesk.Api.Storage.Cosmos;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Work;
using Microsoft.Azure.Cosmos;

namespace Helpdesk.Api.Time;

/// <summary>An agent's timer slot on one ticket: the running timer, or null once stopped. Its version moves with every start and stop.</summary>
internal sealed record TimerSlot(RunningTimer? Running);

/// <summary>
/// Time entries, presence and timers as items of their ticket's partition. One running timer per
/// agent across tickets is a claim in the <c>keys</c> container (owner: the ticket), taken before
/// the timer is committed on its ticket; a claim whose ticket holds no running timer of the agent
/// (released late, or left by a crash) is taken over. A write touching several tickets (a timer
/// moved to another ticket) commits the stopped ticket first, then the started one: a crash in
/// between leaves the old timer recorded and no timer running, never time counted twice.
/// </summary>
internal sealed class CosmosTimeStore(CosmosTicketItems items, CosmosUniqueKeys keys) : ITimeStore
{
    private const string EntryKind = "time";
    private const string PresenceKind = "presence";
    internal const string TimerKind = "timer";

    public Task<Versioned<TimeEntry>?> FindAsync(string ticketId, string entryId, CancellationToken cancellationToken) =>
        items.FindAsync<TimeEntry>(ticketId, EntryKind, entryId, cancellationToken);

    public Task<Page<Versioned<TimeEntry>>> ListAsync(string ticketId, int limit, string? cursor, CancellationToken cancellationToken) =>
        items.ListAsync<TimeEntry>(ticketId, EntryKind, _ => true, limit, cursor, cancellationToken);

    public async Task<TimeTotals> TotalsAsync(string ticketId, CancellationToken cancellationToken)
    {
        var confirmed = (await items.AllAsync<TimeEntry>(ticketId, EntryKind, cancellationToken)).Select(e => e.Value).Where(e => !e.Draft).ToArray();
        long billable = confirmed.Where(e => e.Billable).Sum(e => e.Minutes);
        long nonBillable = confirmed.Where(e => !e.Billable).Sum(e => e.Minutes);
        return new TimeTotals(billable + nonBillable, billable, nonBillable);
    }

    public async Task<RunningTimer?> FindTimerAsync(string agentId, CancellationToken cancellationToken)
    {
        var ticketId = await keys.FindOwnerAsync(TimerKind, agentId, cancellationToken);
        return ticketId is null ? null : (await items.FindAsync<TimerSlot>(ticketId, TimerKind, agentId, cancellationToken))?.Value.Running;
    }

    public Task<Versioned<Presence>?> FindPresenceAsync(string agentId, string ticketId, CancellationToken cancellationToken) =>
        items.FindAsync<Presence>(ticketId, PresenceKind, agentId, cancellationToken);

    public async Task<IReadOnlyList<TimeRow>> RowsAsync(DateOnly from, DateOnly to, string? accountId, CancellationToken cancellationToken)
    {
        var query = new QueryDefinition($"SELECT * FROM c WHERE c.type = '{CosmosTicketItems.ItemType}' AND c.kind = '{EntryKind}' AND c.key >= @from AND c.key < @to")
            .WithParameter("@from", CosmosCostLineStore.Day(from))
            .WithParameter("@to", CosmosCostLineStore.Day(to));
        var rows = new List<TimeRow>();
        await foreach (var (entry, ticket) in items.QueryAsync<TimeEntry>(query, cancellationToken))
        {
            var e = entry.Value;
            if (!e.Draft && ticket.Snapshot.DeletedAt is null && (accountId is null || ticket.AccountId == accountId))
            {
                rows.Add(new TimeRow(e.AgentId, e.TicketId, ticket.Number, ticket.AccountId, e.Minutes, e.Billable));
            }
        }

        return rows;
    }

    public async Task WriteAsync(TimeWrite write, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(write);
        var writes = new Dictionary<string, List<ItemWrite>>(StringComparer.Ordinal);

        List<ItemWrite> On(string ticketId) =>
            writes.TryGetValue(ticketId, out var list) ? list : writes[ticketId] = [];

        foreach (var removed in write.Removals)
        {
            On(removed.Value.TicketId).Add(new ItemWrite(EntryKind, removed.Value.Id, removed.Version, null));
        }

        foreach (var entry in write.Entries)
        {
            var e = entry.Value;
            On(e.TicketId).Add(new ItemWrite(EntryKind, e.Id, entry.Version, e, e.Draft ? null : CosmosCostLineStore.Day(e.WorkDate)));
        }

        if (write.RemovePresence is { } gone)
        {
            On(gone.Value.TicketId).Add(new ItemWrite(PresenceKind, gone.Value.AgentId, gone.Version, null));
        }

        if (write.SavePresence is { } presence)
        {
            On(presence.Value.TicketId).Add(new ItemWrite(PresenceKind, presence.Value.AgentId, presence.Version, presence.Value));
        }

        foreach (var ticket in write.Tickets)
        {
            On(ticket.Id);
        }

        var stop = write.StopTimer;
        var start = write.StartTimer;
        if (stop is not null)
        {
            On(stop.TicketId);
        }

        if (start is not null)
        {
            On(start.TicketId);
        }

        // The stopped timer's ticket first, the started one last (after its claim).
        var order = writes.Keys.OrderBy(id => id == stop?.TicketId ? 0 : id == start?.TicketId ? 2 : 1).ToList();
        if (stop is not null && write.Tickets.All(t => t.Id != stop.TicketId) && !await items.TicketExistsAsync(stop.TicketId, cancellationToken))
        {
            // The timer's ticket is gone, and its timer with it: only the claim is left, and the start takes it over.
            order.Remove(stop.TicketId);
        }

        foreach (var ticketId in order)
        {
            var slot = await TimerWriteAsync(ticketId, stop, start, cancellationToken);
            if (slot is not null)
            {
                On(ticketId).Add(slot);
            }

            if (start?.TicketId == ticketId && !await keys.ClaimAsync(TimerKind, start.AgentId, ticketId, (owner, ct) => HoldsTimerAsync(owner, start.AgentId, ct), cancellationToken))
            {
                throw new ConcurrencyConflictException("Another timer of the agent started meanwhile.");
            }

            await items.WriteAsync(write.Tickets.FirstOrDefault(t => t.Id == ticketId), ticketId, On(ticketId), [], cancellationToken);
        }

        if (stop is not null && start is null)
        {
            await keys.ReleaseAsync(TimerKind, stop.AgentId, stop.TicketId, cancellationToken);
        }
    }

    /// <summary>The change of the agent's timer slot on this ticket, checked against the running timer the caller read; null when neither timer is on it.</summary>
    private async Task<ItemWrite?> TimerWriteAsync(string ticketId, RunningTimer? stop, RunningTimer? start, CancellationToken cancellationToken)
    {
        var stops = stop?.TicketId == ticketId;
        var starts = start?.TicketId == ticketId;
        if (!stops && !starts)
        {
            return null;
        }

        var agentId = (stops ? stop : start)!.AgentId;
        var slot = await items.FindAsync<TimerSlot>(ticketId, TimerKind, agentId, cancellationToken);
        var running = slot?.Value.Running;
        if (stops ? running != stop : running is not null)
        {
            throw new ConcurrencyConflictException("The timer changed since it was read.");
        }

        return new ItemWrite(TimerKind, agentId, slot?.Version ?? 0, new TimerSlot(starts ? start : null));
    }

    private async Task<bool> HoldsTimerAsync(string ticketId, string agentId, CancellationToken cancellationToken) =>
        (await items.FindAsync<TimerSlot>(ticketId, TimerKind, agentId, cancellationToken))?.Value.Running is not null;
}
