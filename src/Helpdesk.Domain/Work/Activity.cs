using Helpdesk.Domain.Common;

namespace Helpdesk.Domain.Work;

public enum ActivityKind
{
    Task,
    Call,
    Event,
}

/// <summary>Where a reminder goes: email through the notification pipeline; SMS and pop-up are shown by the front ends.</summary>
public enum ReminderChannel
{
    Email,
    Sms,
    Popup,
}

public sealed record ActivityReminder(DateTimeOffset At, IReadOnlyList<ReminderChannel> Channels);

/// <summary>What an activity is made of, as a request states it; <see cref="Activity"/> checks it.</summary>
public sealed record ActivityDetails(
    ActivityKind Kind,
    string Title,
    string? Notes,
    string OwnerId,
    DateTimeOffset? DueAt,
    DateTimeOffset? StartAt,
    DateTimeOffset? EndAt,
    ActivityReminder? Reminder,
    bool OnSite,
    string? Location);

/// <summary>
/// A task, call or event linked to a ticket (FEATURES.md §9). The creator owns it unless another
/// owner is named. A reminder is only for an activity dated in the future, fires once, and never
/// after the activity is done.
/// </summary>
public sealed record Activity(
    string Id,
    string TicketId,
    string CreatedBy,
    ActivityDetails Details,
    bool Done,
    DateTimeOffset? DoneAt,
    DateTimeOffset? ReminderSentAt,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    public const int MaxTitleLength = 200;
    public const int MaxNotesLength = 10_000;

    /// <summary>When the activity takes place: its start, else its due time.</summary>
    public DateTimeOffset? DatedAt => Details.StartAt ?? Details.DueAt;

    public static Activity Plan(string id, string ticketId, string createdBy, ActivityDetails details, DateTimeOffset now) =>
        new(id, ticketId, createdBy, Check(details, now, previous: null), Done: false, DoneAt: null, ReminderSentAt: null, now, now);

    /// <summary>Replaces the details. A reminder moved to a new time arms again; an unchanged one stays fired.</summary>
    public Activity Change(ActivityDetails details, DateTimeOffset now)
    {
        var checkedDetails = Check(details, now, Details.Reminder);
        var sameReminder = checkedDetails.Reminder?.At == Details.Reminder?.At;
        return this with { Details = checkedDetails, ReminderSentAt = sameReminder ? ReminderSentAt : null, UpdatedAt = now };
    }

    public Activity MarkDone(DateTimeOffset now) =>
        Done
            ? throw new DomainRuleException("activity-done", "The activity is already done.")
            : this with { Done = true, DoneAt = now, UpdatedAt = now };

    public bool ReminderDue(DateTimeOffset now) => !Done && ReminderSentAt is null && Details.Reminder is { } r && r.At <= now;

    public Activity ReminderSent(DateTimeOffset now) => this with { ReminderSentAt = now };

    private static ActivityDetails Check(ActivityDetails d, DateTimeOffset now, ActivityReminder? previous)
    {
        var title = d.Title?.Trim();
        if (string.IsNullOrEmpty(title) || title.Length > MaxTitleLength)
        {
            throw new DomainValidationException("title", $"The title is required, at most {MaxTitleLength} characters.");
        }

        if (d.Kind == ActivityKind.Event && (d.StartAt is null || d.EndAt is null))
        {
            throw new DomainValidationException("startAt", "An event has a start and an end.");
        }

        if (d.StartAt is { } start && d.EndAt is { } end && end <= start)
        {
            throw new DomainValidationException("endAt", "The end comes after the start.");
        }

        if (d.EndAt is not null && d.StartAt is null)
        {
            throw new DomainValidationException("startAt", "An end needs a start.");
        }

        if (d.Reminder is { } reminder && reminder.At != previous?.At)
        {
            var datedAt = d.StartAt ?? d.DueAt;
            if (datedAt is null || datedAt <= now)
            {
                throw new DomainValidationException("reminder", "Only an activity dated in the future can have a reminder.");
            }

            if (reminder.At <= now || reminder.At > datedAt)
            {
                throw new DomainValidationException("reminder.at", "The reminder is in the future, no later than the activity.");
            }
        }

        if (d.Reminder is { Channels.Count: 0 })
        {
            throw new DomainValidationException("reminder.channels", "Name at least one channel: email, sms or popup.");
        }

        return d with
        {
            Title = title,
            Notes = string.IsNullOrWhiteSpace(d.Notes) ? null : d.Notes.Trim(),
            Location = string.IsNullOrWhiteSpace(d.Location) ? null : d.Location.Trim(),
            Reminder = d.Reminder is null ? null : d.Reminder with { Channels = [.. d.Reminder.Channels.Distinct()] },
        };
    }
}
