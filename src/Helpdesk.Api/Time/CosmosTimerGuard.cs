using Helpdesk.Api.Common;
using Helpdesk.Api.Storage.Cosmos;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Work;

namespace Helpdesk.Api.Time;

/// <summary>An agent's timer slot on one ticket: the running timer, or null once stopped. Its version moves with every start and stop.</summary>
internal sealed record TimerSlot(RunningTimer? Running);

/// <summary>
/// One running timer per agent across tickets on Cosmos DB, where no transaction spans two
/// partitions: a start claims the agent in the <c>keys</c> container (owner: the ticket) before
/// its slot is committed, a stop releases it after. A claim whose ticket holds no running timer
/// of the agent (released late, left by a crash, its ticket purged) is taken over. A timer moved
/// by a merge takes its claim along. The generic timer writes (add a running timer, remove it at
/// the version read) become writes of the ticket's slot.
/// </summary>
internal sealed class CosmosTimerGuard(CosmosTicketItems items, CosmosUniqueKeys keys) : ICosmosItemGuard
{
    public async Task<TicketItemWrite> BeforeAsync(string ticketId, TicketItemWrite write, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(write);
        var slot = await items.FindAsync<TimerSlot>(ticketId, TicketItemKinds.Timer, write.Id, cancellationToken);
        if (write.Value is RunningTimer start)
        {
            if (slot?.Value.Running is not null)
            {
                throw new ConcurrencyConflictException("The timer changed since it was read.");
            }

            if (!await keys.ClaimAsync(TicketItemKinds.Timer, write.Id, ticketId, (owner, ct) => HoldsTimerAsync(owner, write.Id, ct), cancellationToken))
            {
                throw new ConcurrencyConflictException("Another timer of the agent started meanwhile.");
            }

            return new TicketItemWrite(TicketItemKinds.Timer, write.Id, slot?.Version ?? 0, new TimerSlot(start));
        }

        if (slot?.Value.Running is null || (write.Expected is { } expected && slot.Version != expected))
        {
            throw new ConcurrencyConflictException("The timer changed since it was read.");
        }

        return new TicketItemWrite(TicketItemKinds.Timer, write.Id, slot.Version, new TimerSlot(null));
    }

    public Task AfterAsync(string ticketId, TicketItemWrite write, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(write);
        return write.Value is null ? keys.ReleaseAsync(TicketItemKinds.Timer, write.Id, ticketId, cancellationToken) : Task.CompletedTask;
    }

    public Task MovedAsync(string itemId, string fromTicketId, string toTicketId, CancellationToken cancellationToken) =>
        keys.TransferAsync(TicketItemKinds.Timer, itemId, fromTicketId, toTicketId, cancellationToken);

    private async Task<bool> HoldsTimerAsync(string ticketId, string agentId, CancellationToken cancellationToken) =>
        (await items.FindAsync<TimerSlot>(ticketId, TicketItemKinds.Timer, agentId, cancellationToken))?.Value.Running is not null;
}
