using Helpdesk.Api.Common;
using Helpdesk.Api.Storage;
using Helpdesk.Api.Storage.Cosmos;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Work;
using Microsoft.Azure.Cosmos;

namespace Helpdesk.Api.Time;


/// <summary>
/// Time entries, presence and timers as items of their ticket's partition. An agent's timer is a
/// slot item per ticket (the running timer, or null once stopped); one running timer per agent
/// across tickets is a claim in the <c>keys</c> container, held by <see cref="CosmosTimerGuard"/>.
/// </summary>
internal sealed class CosmosTimeStore(CosmosTicketItems items, CosmosUniqueKeys keys) : ITimeStore
{
    private const string EntryKind = TicketItemKinds.TimeEntry;
    private const string PresenceKind = TicketItemKinds.Presence;
    private const string TimerKind = TicketItemKinds.Timer;

    /// <summary>A confirmed entry is keyed by its work date, for the monthly report; a draft is not counted.</summary>
    public static CosmosItemKind Entries { get; } = new(EntryKind) { Key = value => value is TimeEntry { Draft: false } e ? StoreDays.Format(e.WorkDate) : null };

    public static CosmosItemKind Presences { get; } = new(PresenceKind);

    public static CosmosItemKind Timers(IServiceProvider services) =>
        new(TimerKind) { Guard = ActivatorUtilities.CreateInstance<CosmosTimerGuard>(services) };

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

    public async Task<Versioned<RunningTimer>?> FindTimerAsync(string agentId, CancellationToken cancellationToken)
    {
        var ticketId = await keys.FindOwnerAsync(TimerKind, agentId, cancellationToken);
        var slot = ticketId is null ? null : await items.FindAsync<TimerSlot>(ticketId, TimerKind, agentId, cancellationToken);
        return slot?.Value.Running is { } running ? new Versioned<RunningTimer>(running, slot.Version) : null;
    }

    public Task<Versioned<Presence>?> FindPresenceAsync(string agentId, string ticketId, CancellationToken cancellationToken) =>
        items.FindAsync<Presence>(ticketId, PresenceKind, agentId, cancellationToken);

    public async Task<IReadOnlyList<TimeRow>> RowsAsync(DateOnly from, DateOnly to, string? accountId, string? contractId, CancellationToken cancellationToken)
    {
        var query = new QueryDefinition($"SELECT * FROM c WHERE c.type = '{CosmosTicketItems.ItemType}' AND c.kind = '{EntryKind}' AND c.key >= @from AND c.key < @to")
            .WithParameter("@from", StoreDays.Format(from))
            .WithParameter("@to", StoreDays.Format(to));
        var rows = new List<TimeRow>();
        await foreach (var (entry, ticket) in items.QueryAsync<TimeEntry>(query, cancellationToken))
        {
            var e = entry.Value;
            var contract = ticket.Snapshot.Contract;
            if (!e.Draft && ticket.Snapshot.DeletedAt is null && (accountId is null || ticket.AccountId == accountId) && (contractId is null || contract?.Id == contractId))
            {
                rows.Add(new TimeRow(e.AgentId, e.TicketId, ticket.Number, ticket.AccountId, e.Minutes, e.Billable, contract?.Id, contract?.Label));
            }
        }

        return rows;
    }
}
