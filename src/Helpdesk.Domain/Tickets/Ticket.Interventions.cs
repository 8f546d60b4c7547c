using System.Globalization;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Work;

namespace Helpdesk.Domain.Tickets;

/// <summary>The events of a ticket's on-site interventions.</summary>
public static class InterventionEventTypes
{
    /// <summary>data: interventionId, technicianId, startAt, endAt, address, visitId.</summary>
    public const string Scheduled = "ticket.interventionScheduled";

    /// <summary>data: as <see cref="Scheduled"/>.</summary>
    public const string Rescheduled = "ticket.interventionRescheduled";

    /// <summary>data: interventionId, technicianId, startAt, minutes, signedBy, details (the report), entryId, notifyCustomer; the report goes to the requester.</summary>
    public const string Completed = "ticket.interventionCompleted";
}

/// <summary>
/// On-site interventions are written through the ticket: each change has its history entry and
/// event, and brings the technician's visit (an on-site activity, which the calendar follows) and,
/// on completion, the time entry of the work along in the same write.
/// </summary>
public sealed partial class Ticket
{
    public void ScheduleIntervention(Intervention intervention, Activity visit, Actor by, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(intervention);
        EnsureWorkAllowed(intervention.TicketId, allowOnClosed: false);
        Record(
            "interventionScheduled",
            InterventionEventTypes.Scheduled,
            by,
            now,
            [.. PlanChanges(null, intervention.Plan)],
            intervention.Plan.Description,
            PlanData(intervention));
        PlanActivity(visit, by, now);
    }

    public void RescheduleIntervention(Intervention before, Intervention after, Activity? visitBefore, Activity? visitAfter, Actor by, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        EnsureWorkAllowed(after.TicketId, allowOnClosed: false);
        var changes = PlanChanges(before.Plan, after.Plan).ToArray();
        if (changes.Length == 0)
        {
            return;
        }

        Record("interventionRescheduled", InterventionEventTypes.Rescheduled, by, now, changes, after.Plan.Description, PlanData(after));
        if (visitBefore is not null && visitAfter is not null)
        {
            ChangeActivity(visitBefore, visitAfter, by, now);
        }
    }

    /// <summary>
    /// The report is recorded (and emailed to the requester, as the ticket's notify flag allows),
    /// the actual time becomes <paramref name="entry"/> and the visit is done.
    /// </summary>
    public void CompleteIntervention(Intervention before, Intervention after, TimeEntry entry, Activity? visitBefore, Activity? visitAfter, Actor by, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        ArgumentNullException.ThrowIfNull(entry);
        EnsureWorkAllowed(after.TicketId, allowOnClosed: false);
        var report = after.Report ?? throw new ArgumentException("The intervention is not completed.", nameof(after));
        Record(
            "interventionCompleted",
            InterventionEventTypes.Completed,
            by,
            now,
            [
                new FieldChange("interventionActualMinutes", null, report.ActualMinutes.ToString(CultureInfo.InvariantCulture)),
                new FieldChange("interventionSignedBy", null, report.SignedBy),
            ],
            report.Text,
            ("interventionId", after.Id),
            ("technicianId", after.Plan.TechnicianId),
            ("startAt", Instant(after.Plan.StartAt)),
            ("minutes", report.ActualMinutes.ToString(CultureInfo.InvariantCulture)),
            ("signedBy", report.SignedBy),
            ("details", report.Text),
            ("entryId", entry.Id),
            ("notifyCustomer", NotifyCustomer ? "true" : "false"));
        LogTime(entry, allowOnClosed: false, by, now);
        if (visitBefore is not null && visitAfter is not null)
        {
            CompleteActivity(visitBefore, visitAfter, by, now);
        }
    }

    private static IEnumerable<FieldChange> PlanChanges(InterventionPlan? before, InterventionPlan after)
    {
        (string Field, Func<InterventionPlan, string?> Value)[] fields =
        [
            ("interventionTechnicianId", p => p.TechnicianId),
            ("interventionStartAt", p => Instant(p.StartAt)),
            ("interventionPlannedMinutes", p => p.PlannedMinutes.ToString(CultureInfo.InvariantCulture)),
            ("interventionAddress", p => p.Address),
            ("interventionDescription", p => p.Description),
        ];
        foreach (var (field, value) in fields)
        {
            var from = before is null ? null : value(before);
            var to = value(after);
            if (from != to)
            {
                yield return new FieldChange(field, from, to);
            }
        }
    }

    private static (string Key, string? Value)[] PlanData(Intervention intervention) =>
    [
        ("interventionId", intervention.Id),
        ("technicianId", intervention.Plan.TechnicianId),
        ("startAt", Instant(intervention.Plan.StartAt)),
        ("endAt", Instant(intervention.Plan.EndAt)),
        ("address", intervention.Plan.Address),
        ("visitId", intervention.VisitId),
    ];
}
