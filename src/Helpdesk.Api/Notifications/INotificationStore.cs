using Helpdesk.Api.Common;
using Helpdesk.Api.Mail;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Notifications;

/// <summary>A notification as the ticket's notification list shows it.</summary>
public sealed record NotificationRecord(string Id, string EventId, string? TicketId, string Trigger, string Channel, string Recipient, NotificationState State, string Subject, DateTimeOffset CreatedAt, DateTimeOffset? SentAt);

/// <summary>
/// The notifications planned for each event and what became of them. Planning is idempotent (ids
/// are stable per event and recipient). The ticket's history line of a notification sent is a
/// history note of the ticket (<see cref="Ticket.RecordNotification"/>), recorded once per
/// notification before the notification is marked here.
/// </summary>
public interface INotificationStore
{
    /// <summary>Stores the planned notifications; one already stored (same id) is left as it is.</summary>
    Task PlanAsync(IReadOnlyList<PlannedNotification> planned, CancellationToken cancellationToken);

    /// <summary>The notifications of an event still to be sent now.</summary>
    Task<IReadOnlyList<(string Id, string? TicketId, EmailMessage Email)>> PendingAsync(string eventId, CancellationToken cancellationToken);

    /// <summary>Marks a pending notification sent.</summary>
    Task MarkSentAsync(string id, string? ticketId, CancellationToken cancellationToken);

    /// <summary>The ticket's notifications in the order they were planned.</summary>
    Task<Page<NotificationRecord>> ForTicketAsync(string ticketId, int limit, string? cursor, CancellationToken cancellationToken);

    /// <summary>Agents with notifications waiting for a digest, and when their last digest went out.</summary>
    Task<IReadOnlyList<(string AgentId, DateTimeOffset? LastSentAt)>> DigestRecipientsAsync(CancellationToken cancellationToken);

    /// <summary>What waits for an agent's next digest, oldest first (at most 200).</summary>
    Task<IReadOnlyList<(string Id, string? TicketId, EmailMessage Email)>> DigestOfAsync(string agentId, CancellationToken cancellationToken);

    /// <summary>Marks the items digested and stamps the agent's last digest.</summary>
    Task MarkDigestSentAsync(string agentId, IReadOnlyList<(string Id, string? TicketId, EmailMessage Email)> items, CancellationToken cancellationToken);
}
