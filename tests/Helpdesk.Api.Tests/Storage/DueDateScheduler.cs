using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Tests.Storage;

/// <summary>
/// A schedule the contract tests can predict: late from the due date, and the next SLA change
/// at the due date too, so the breach scan's read and reschedule are tested on every engine.
/// </summary>
internal sealed class DueDateScheduler : ITicketScheduler
{
    public ValueTask<TicketSchedule> ScheduleAsync(Ticket ticket, CancellationToken cancellationToken) =>
        ValueTask.FromResult(ticket.Status.IsActive() ? new TicketSchedule(ticket.DueAt, ticket.DueAt) : new TicketSchedule(null, null));
}
