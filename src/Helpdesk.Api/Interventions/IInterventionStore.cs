using Helpdesk.Api.Common;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Work;

namespace Helpdesk.Api.Interventions;

/// <summary>
/// Reads the on-site interventions of tickets and a technician's schedule. An intervention is
/// written with the ticket change that records it, through <see cref="ITicketStore.SaveAsync"/>
/// (kind <see cref="TicketItemKinds.Intervention"/>).
/// </summary>
public interface IInterventionStore
{
    Task<Versioned<Intervention>?> FindAsync(string ticketId, string interventionId, CancellationToken cancellationToken);

    /// <summary>Oldest first.</summary>
    Task<Page<Versioned<Intervention>>> ListAsync(string ticketId, int limit, string? cursor, CancellationToken cancellationToken);

    /// <summary>A technician's interventions starting in [from, to), soonest first, across tickets; the cost follows the rows in range.</summary>
    Task<Page<Intervention>> ScheduleAsync(string technicianId, DateTimeOffset from, DateTimeOffset to, int limit, string? cursor, CancellationToken cancellationToken);
}

/// <summary>
/// The schedule's sort key, the same on both engines: the technician, the start as fixed-width
/// UTC text and the id, so one technician's interventions are one key range in time order.
/// </summary>
internal static class InterventionSchedule
{
    public static string Key(Intervention intervention) => Key(intervention.Plan.TechnicianId, intervention.Plan.StartAt, intervention.Id);

    public static string Key(string technicianId, DateTimeOffset at, string id) => $"{technicianId}|{TicketDocument.Time(at)}|{id}";

    /// <summary>The first key at or after <paramref name="at"/> for the technician.</summary>
    public static string From(string technicianId, DateTimeOffset at) => $"{technicianId}|{TicketDocument.Time(at)}|";
}
