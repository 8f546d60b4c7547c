using Helpdesk.Domain.Common;

namespace Helpdesk.Domain.Work;

/// <summary>What an on-site intervention is planned as: who goes, when, for how long, where, to do what.</summary>
public sealed record InterventionPlan(string TechnicianId, DateTimeOffset StartAt, int PlannedMinutes, string? Address, string? Description)
{
    /// <summary>When the visit is planned to end.</summary>
    public DateTimeOffset EndAt => StartAt.AddMinutes(PlannedMinutes);
}

/// <summary>What the technician reports once the work is done, signed by the customer's named person.</summary>
public sealed record InterventionReport(string Text, int ActualMinutes, string SignedBy, bool Billable, string CompletedBy, DateTimeOffset CompletedAt, string TimeEntryId);

/// <summary>
/// An on-site intervention created from a ticket (Dolibarr's "create an intervention"): planned
/// with a technician, a date, a duration and an address, then completed once with a report, the
/// time actually spent and the name of the customer's person who signed it. Its visit is an
/// on-site activity of the technician (<see cref="VisitId"/>), which puts it in their calendar;
/// its actual time becomes a time entry of the ticket when it is completed.
/// </summary>
public sealed record Intervention(
    string Id,
    string TicketId,
    string VisitId,
    InterventionPlan Plan,
    InterventionReport? Report,
    string CreatedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    public const int MaxMinutes = TimeEntry.MaxMinutes;
    public const int MaxAddressLength = 500;
    public const int MaxDescriptionLength = 10_000;
    public const int MaxReportLength = 20_000;
    public const int MaxSignedByLength = 200;

    public bool Completed => Report is not null;

    public static Intervention Schedule(string id, string ticketId, string visitId, InterventionPlan plan, string createdBy, DateTimeOffset now) =>
        new(id, ticketId, visitId, Check(plan), Report: null, createdBy, now, now);

    /// <summary>A planned intervention is moved, reassigned or redescribed; a completed one is a record and stays as it is.</summary>
    public Intervention Reschedule(InterventionPlan plan, DateTimeOffset now)
    {
        EnsurePlanned();
        return this with { Plan = Check(plan), UpdatedAt = now };
    }

    /// <summary>Completed once: a second completion is refused, so its time is never counted twice.</summary>
    public Intervention Complete(string text, int actualMinutes, string signedBy, bool billable, string by, string timeEntryId, DateTimeOffset now)
    {
        EnsurePlanned();
        var report = text?.Trim();
        if (string.IsNullOrEmpty(report) || report.Length > MaxReportLength)
        {
            throw new DomainValidationException("report", $"The report is required, at most {MaxReportLength} characters.");
        }

        var signer = signedBy?.Trim();
        if (string.IsNullOrEmpty(signer) || signer.Length > MaxSignedByLength)
        {
            throw new DomainValidationException("signedBy", $"The name of the person who signed is required, at most {MaxSignedByLength} characters.");
        }

        return this with
        {
            Report = new InterventionReport(report, CheckMinutes("actualMinutes", actualMinutes), signer, billable, by, now, timeEntryId),
            UpdatedAt = now,
        };
    }

    private void EnsurePlanned()
    {
        if (Completed)
        {
            throw new DomainRuleException("intervention-completed", "The intervention is completed: its report is a record and its time is already counted.");
        }
    }

    private static InterventionPlan Check(InterventionPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (string.IsNullOrWhiteSpace(plan.TechnicianId))
        {
            throw new DomainValidationException("technicianId", "The technician is required.");
        }

        var address = string.IsNullOrWhiteSpace(plan.Address) ? null : plan.Address.Trim();
        if (address is { Length: > MaxAddressLength })
        {
            throw new DomainValidationException("address", $"The address is at most {MaxAddressLength} characters.");
        }

        var description = string.IsNullOrWhiteSpace(plan.Description) ? null : plan.Description.Trim();
        if (description is { Length: > MaxDescriptionLength })
        {
            throw new DomainValidationException("description", $"The description is at most {MaxDescriptionLength} characters.");
        }

        return plan with { PlannedMinutes = CheckMinutes("plannedMinutes", plan.PlannedMinutes), Address = address, Description = description };
    }

    private static int CheckMinutes(string field, int minutes) =>
        minutes is < 1 or > MaxMinutes
            ? throw new DomainValidationException(field, $"From 1 to {MaxMinutes} minutes (24 hours).")
            : minutes;
}
