using System.Globalization;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Work;

namespace Helpdesk.Domain.Tickets;

/// <summary>The event types of work recorded on a ticket.</summary>
public static class WorkEventTypes
{
    public const string TimeLogged = "ticket.timeLogged";
    public const string TimeChanged = "ticket.timeChanged";
    public const string TimeRemoved = "ticket.timeRemoved";
    public const string LineAdded = "ticket.lineAdded";
    public const string LineChanged = "ticket.lineChanged";
    public const string LineRemoved = "ticket.lineRemoved";
    public const string ActivityPlanned = "ticket.activityPlanned";
    public const string ActivityChanged = "ticket.activityChanged";
    public const string ActivityDone = "ticket.activityDone";
    public const string ActivityRemoved = "ticket.activityRemoved";
}

/// <summary>
/// Work recorded on a ticket (time entries, products and expenses, activities). The entries live in their own rows; the ticket
/// keeps the history line and the event of each change, written in the same transaction.
/// Work may be recorded on a closed ticket only when the setting allows it.
/// </summary>
public sealed partial class Ticket
{
    public void LogTime(TimeEntry entry, bool allowOnClosed, Actor by, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(entry);
        EnsureWorkAllowed(entry.TicketId, allowOnClosed);
        Record(
            "timeLogged",
            WorkEventTypes.TimeLogged,
            by,
            now,
            [
                new FieldChange("minutes", null, Format(entry.Minutes)),
                new FieldChange("billable", null, Format(entry.Billable)),
                new FieldChange("workDate", null, Format(entry.WorkDate)),
            ],
            entry.Note,
            TimeData(entry));
    }

    public void ChangeTime(TimeEntry before, TimeEntry after, bool allowOnClosed, Actor by, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        EnsureWorkAllowed(after.TicketId, allowOnClosed);
        var changes = new List<FieldChange>();
        if (before.Minutes != after.Minutes)
        {
            changes.Add(new FieldChange("minutes", Format(before.Minutes), Format(after.Minutes)));
        }

        if (before.Billable != after.Billable)
        {
            changes.Add(new FieldChange("billable", Format(before.Billable), Format(after.Billable)));
        }

        if (before.WorkDate != after.WorkDate)
        {
            changes.Add(new FieldChange("workDate", Format(before.WorkDate), Format(after.WorkDate)));
        }

        if (before.Note != after.Note)
        {
            changes.Add(new FieldChange("timeNote", before.Note, after.Note));
        }

        if (changes.Count == 0)
        {
            return;
        }

        Record("timeChanged", WorkEventTypes.TimeChanged, by, now, changes, after.Note, TimeData(after));
    }

    public void RemoveTime(TimeEntry entry, bool allowOnClosed, Actor by, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(entry);
        EnsureWorkAllowed(entry.TicketId, allowOnClosed);
        Record(
            "timeRemoved",
            WorkEventTypes.TimeRemoved,
            by,
            now,
            [
                new FieldChange("minutes", Format(entry.Minutes), null),
                new FieldChange("billable", Format(entry.Billable), null),
                new FieldChange("workDate", Format(entry.WorkDate), null),
            ],
            entry.Note,
            TimeData(entry));
    }

    public void AddLine(CostLine line, bool allowOnClosed, Actor by, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(line);
        EnsureWorkAllowed(line.TicketId, allowOnClosed);
        Record("lineAdded", WorkEventTypes.LineAdded, by, now, [.. LineFields(null, line)], line.Description, LineData(line));
    }

    public void ChangeLine(CostLine before, CostLine after, bool allowOnClosed, Actor by, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        EnsureWorkAllowed(after.TicketId, allowOnClosed);
        var changes = LineFields(before, after).ToArray();
        if (changes.Length > 0)
        {
            Record("lineChanged", WorkEventTypes.LineChanged, by, now, changes, after.Description, LineData(after));
        }
    }

    public void RemoveLine(CostLine line, bool allowOnClosed, Actor by, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(line);
        EnsureWorkAllowed(line.TicketId, allowOnClosed);
        Record("lineRemoved", WorkEventTypes.LineRemoved, by, now, [.. LineFields(line, null)], line.Description, LineData(line));
    }

    public void PlanActivity(Activity activity, Actor by, DateTimeOffset now) =>
        RecordActivity("activityPlanned", WorkEventTypes.ActivityPlanned, null, activity, by, now);

    public void ChangeActivity(Activity before, Activity after, Actor by, DateTimeOffset now) =>
        RecordActivity("activityChanged", WorkEventTypes.ActivityChanged, before, after, by, now);

    public void CompleteActivity(Activity before, Activity after, Actor by, DateTimeOffset now) =>
        RecordActivity("activityDone", WorkEventTypes.ActivityDone, before, after, by, now);

    public void RemoveActivity(Activity activity, Actor by, DateTimeOffset now) =>
        RecordActivity("activityRemoved", WorkEventTypes.ActivityRemoved, activity, null, by, now);

    /// <summary>Closed tickets are read-only, also for work, unless the setting says otherwise.</summary>
    public void EnsureWorkAllowed(string ticketId, bool allowOnClosed)
    {
        if (ticketId != Id)
        {
            throw new ArgumentException("The work belongs to another ticket.", nameof(ticketId));
        }

        if (!allowOnClosed)
        {
            EnsureNotClosed();
        }
    }

    private static (string Key, string? Value)[] TimeData(TimeEntry entry) =>
    [
        ("entryId", entry.Id),
        ("agentId", entry.AgentId),
        ("minutes", Format(entry.Minutes)),
        ("billable", Format(entry.Billable)),
        ("workDate", Format(entry.WorkDate)),
        ("source", Names.Of(entry.Source)),
    ];

    private static IEnumerable<FieldChange> LineFields(CostLine? before, CostLine? after)
    {
        (string Field, Func<CostLine, string?> Value)[] fields =
        [
            ("lineKind", l => Names.Of(l.Kind)),
            ("lineDescription", l => l.Description),
            ("quantity", l => Format(l.Quantity)),
            ("unitPrice", l => Format(l.UnitPrice)),
            ("currency", l => l.Currency),
            ("amount", l => Format(l.Amount)),
            ("billable", l => Format(l.Billable)),
            ("lineDate", l => Format(l.Date)),
        ];
        foreach (var (field, value) in fields)
        {
            var from = before is null ? null : value(before);
            var to = after is null ? null : value(after);
            if (from != to)
            {
                yield return new FieldChange(field, from, to);
            }
        }
    }

    /// <summary>Activities follow the closed-ticket rule strictly: a closed ticket plans nothing more.</summary>
    private void RecordActivity(string action, string eventType, Activity? before, Activity? after, Actor by, DateTimeOffset now)
    {
        var subject = after ?? before ?? throw new ArgumentNullException(nameof(after));
        EnsureWorkAllowed(subject.TicketId, allowOnClosed: false);
        (string Field, Func<Activity, string?> Value)[] fields =
        [
            ("activityKind", a => Names.Of(a.Details.Kind)),
            ("activityTitle", a => a.Details.Title),
            ("activityOwnerId", a => a.Details.OwnerId),
            ("activityDueAt", a => Format(a.Details.DueAt)),
            ("activityStartAt", a => Format(a.Details.StartAt)),
            ("activityEndAt", a => Format(a.Details.EndAt)),
            ("activityOnSite", a => Format(a.Details.OnSite)),
            ("activityLocation", a => a.Details.Location),
            ("activityReminderAt", a => Format(a.Details.Reminder?.At)),
            ("activityDone", a => Format(a.Done)),
        ];
        var changes = fields
            .Select(f => new FieldChange(f.Field, before is null ? null : f.Value(before), after is null ? null : f.Value(after)))
            .Where(c => c.From != c.To)
            .ToArray();
        if (changes.Length == 0)
        {
            return;
        }

        Record(
            action,
            eventType,
            by,
            now,
            changes,
            subject.Details.Title,
            ("activityId", subject.Id),
            ("kind", Names.Of(subject.Details.Kind)),
            ("ownerId", subject.Details.OwnerId));
    }

    private static (string Key, string? Value)[] LineData(CostLine line) =>
    [
        ("lineId", line.Id),
        ("kind", Names.Of(line.Kind)),
        ("amount", Format(line.Amount)),
        ("currency", line.Currency),
        ("billable", Format(line.Billable)),
    ];

    private static string Format(decimal value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Format(DateOnly value) => value.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
