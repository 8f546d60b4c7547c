using System.Globalization;
using Helpdesk.Domain.Approvals;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Satisfaction;
using Helpdesk.Domain.Work;

namespace Helpdesk.Domain.Tickets;

/// <summary>The events of acts about a ticket that change nothing on it.</summary>
public static class TicketActEventTypes
{
    /// <summary>An activity's reminder is due; data: activityId, kind, title, ownerId, dueAt, remindAt, channels.</summary>
    public const string ActivityReminder = "activity.reminder";

    /// <summary>The requester is asked to rate the ticket; data: number, subject, email, name, link, token.</summary>
    public const string SurveyRequested = "satisfaction.surveyRequested";
}

/// <summary>
/// Acts about a ticket that change nothing on it: a reminder fired, a survey asked for, a
/// notification sent. They produce events or history notes but no new version (the ETags
/// clients hold stay valid); the item they come with (the activity, the survey) carries the
/// version that makes each act happen once.
/// </summary>
public sealed partial class Ticket
{
    /// <summary>The activity's reminder fires: its event for the notification pipeline, and the activity marked as reminded.</summary>
    public Activity FireReminder(Activity activity, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(activity);
        if (activity.TicketId != Id)
        {
            throw new ArgumentException("The activity belongs to another ticket.", nameof(activity));
        }

        Raise(
            TicketActEventTypes.ActivityReminder,
            Actor.System("reminders"),
            now,
            ("activityId", activity.Id),
            ("kind", Names.Of(activity.Details.Kind)),
            ("title", activity.Details.Title),
            ("ownerId", activity.Details.OwnerId),
            ("dueAt", Instant(activity.DatedAt)),
            ("remindAt", Instant(activity.Details.Reminder?.At)),
            ("channels", string.Join(',', (activity.Details.Reminder?.Channels ?? []).Select(c => Names.Of(c)))));
        return activity.ReminderSent(now);
    }

    /// <summary>The approvers of the approval's current step who have not answered are reminded, once.</summary>
    public Approval RemindApprovers(Approval approval, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(approval);
        EnsureApprovalOf(approval);
        var reminded = approval.Reminded(now);
        var by = Actor.System("approvals");
        foreach (var approverId in reminded.Current.Waiting)
        {
            _pendingEvents.Add(ApprovalEventTypes.RequestTo(reminded, approverId, by, now, reminder: true));
        }

        return reminded;
    }

    /// <summary>The requester is asked to rate the ticket through <paramref name="link"/>.</summary>
    public void RequestSurvey(Survey survey, string link, string token, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(survey);
        Raise(
            TicketActEventTypes.SurveyRequested,
            Actor.System("satisfaction"),
            now,
            ("number", Number),
            ("subject", Subject),
            ("email", Requester?.Email),
            ("name", Requester?.Name),
            ("link", link),
            ("token", token));
    }

    /// <summary>
    /// An email about the ticket went out (alone, or in an agent's digest): its history line,
    /// recorded once per <paramref name="notificationId"/>.
    /// </summary>
    public void RecordNotification(string notificationId, IReadOnlyList<string> recipients, string subject, bool digest, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(notificationId);
        ArgumentNullException.ThrowIfNull(recipients);
        var to = string.Join(", ", recipients);
        _pendingNotes.Add(new HistoryNote(
            notificationId,
            new HistoryEntry(
                now,
                Actor.System("notifications"),
                NotificationAction,
                [new FieldChange("notification", null, string.Create(CultureInfo.InvariantCulture, $"email:{to}"))],
                digest ? $"Digest email to {to}: {subject}" : $"Email to {to}: {subject}")));
    }

    /// <summary>
    /// An SMS about the ticket was handed to the SMS provider for an agent: its history line
    /// (naming the agent, not their number), recorded once per <paramref name="smsId"/>.
    /// </summary>
    public void RecordSms(string smsId, string agent, string text, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(smsId);
        ArgumentException.ThrowIfNullOrWhiteSpace(agent);
        _pendingNotes.Add(new HistoryNote(
            smsId,
            new HistoryEntry(
                now,
                Actor.System("notifications"),
                NotificationAction,
                [new FieldChange("notification", null, string.Create(CultureInfo.InvariantCulture, $"sms:{agent}"))],
                $"SMS to {agent}: {text}")));
    }

    /// <summary>The history action of a notification sent.</summary>
    public const string NotificationAction = "notified";

    private void Raise(string eventType, Actor by, DateTimeOffset now, params (string Key, string? Value)[] data) =>
        _pendingEvents.Add(new DomainEvent(Guid.CreateVersion7(now), eventType, Id, now, by, data.ToDictionary(d => d.Key, d => d.Value, StringComparer.Ordinal)));

    private static string? Instant(DateTimeOffset? value) =>
        value?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
