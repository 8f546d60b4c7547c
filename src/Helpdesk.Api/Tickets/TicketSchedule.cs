using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Tickets;

/// <summary>
/// Instants derived from a ticket that the store indexes with every write: when the ticket is
/// (or will be) late — its due date or its first SLA breach — and when its SLA next changes
/// state (a warning, a breach, an escalation level), so the breach scan reads only tickets that
/// are due.
/// </summary>
public sealed record TicketSchedule(DateTimeOffset? LateAt, DateTimeOffset? NextSlaChangeAt);

/// <summary>Computes a ticket's <see cref="TicketSchedule"/>; every store calls it on every write.</summary>
public interface ITicketScheduler
{
    ValueTask<TicketSchedule> ScheduleAsync(Ticket ticket, CancellationToken cancellationToken);
}

