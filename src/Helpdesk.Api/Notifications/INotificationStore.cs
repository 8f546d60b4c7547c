using System.Globalization;
using Helpdesk.Api.Common;
using Helpdesk.Api.Mail;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Notifications;

/// <summary>A notification as the ticket's notification list shows it.</summary>
public sealed record NotificationRecord(string Id, string EventId, string? TicketId, string Trigger, string Channel, string Recipient, NotificationState State, string Subject, DateTimeOffset CreatedAt, DateTimeOffset? SentAt);

/// <summary>
/// The notifications planned for each event and what became of them. Planning is idempotent (ids
/// are stable per event and recipient); marking one sent or digested records it in its ticket's
/// history exactly once, without a new ticket version (a notification changes nothing on the
/// ticket, so the ETags clients hold stay valid).
/// </summary>
public interface INotificationStore
{
    /// <summary>Stores the planned notifications; one already stored (same id) is left as it is.</summary>
    Task PlanAsync(IReadOnlyList<PlannedNotification> planned, CancellationToken cancellationToken);

    /// <summary>The notifications of an event still to be sent now.</summary>
    Task<IReadOnlyList<(string Id, string? TicketId, EmailMessage Email)>> PendingAsync(string eventId, CancellationToken cancellationToken);

    /// <summary>Marks a notification sent and records it in its ticket's history, once.</summary>
    Task MarkSentAsync(string id, string? ticketId, EmailMessage email, CancellationToken cancellationToken);

    /// <summary>The ticket's notifications in the order they were planned.</summary>
    Task<Page<NotificationRecord>> ForTicketAsync(string ticketId, int limit, string? cursor, CancellationToken cancellationToken);

    /// <summary>Agents with notifications waiting for a digest, and when their last digest went out.</summary>
    Task<IReadOnlyList<(string AgentId, DateTimeOffset? LastSentAt)>> DigestRecipientsAsync(CancellationToken cancellationToken);

    /// <summary>What waits for an agent's next digest, oldest first (at most 200).</summary>
    Task<IReadOnlyList<(string Id, string? TicketId, EmailMessage Email)>> DigestOfAsync(string agentId, CancellationToken cancellationToken);

    /// <summary>Marks the items digested (each in its ticket's history, once) and stamps the agent's last digest.</summary>
    Task MarkDigestSentAsync(string agentId, IReadOnlyList<(string Id, string? TicketId, EmailMessage Email)> items, EmailMessage digestEmail, CancellationToken cancellationToken);
}

/// <summary>The ticket history line of a notification, the same on every store.</summary>
public static class NotificationHistory
{
    public const string Action = "notified";

    public static HistoryEntry Entry(EmailMessage email, bool digest, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(email);
        var recipients = string.Join(", ", email.To.Concat(email.Cc).Select(a => a.Address));
        return new HistoryEntry(
            now,
            Actor.System("notifications"),
            Action,
            [new FieldChange("notification", null, string.Create(CultureInfo.InvariantCulture, $"email:{recipients}"))],
            digest ? $"Digest email to {recipients}: {email.Subject}" : $"Email to {recipients}: {email.Subject}");
    }
}
