using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Helpdesk.Api.Directory;
using Helpdesk.Api.Events;
using Helpdesk.Api.Mail;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Common;
using Helpdesk.Api.Triggers;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Notifications;

/// <summary>
/// The consumer of the <c>notifications</c> queue. It writes the agents' inbox entries the event
/// asks for (idempotently), plans the event's notifications (stored, idempotently), then sends
/// those not sent yet, recording each in the ticket's history (once) before it is marked sent,
/// and last sends a reminder's SMS (once). Stopped half-way, the redelivery writes and plans the
/// same ids and sends only the rest.
/// </summary>
public sealed class DeliverNotifications(NotificationPlanner planner, INotificationStore store, NotificationSettingsSource settings, IEmailSender sender, TicketRunner tickets, NotificationInboxWriter inbox, SmsReminders sms) : IEventConsumer
{
    public const string FunctionName = "DeliverNotification";

    public static bool Accepts(string eventType) =>
        eventType is NotificationTriggers.MessageAddedEvent or ChatEventTypes.ReplyByEmail || NotificationTriggers.All.Contains(eventType) || NotificationTriggers.StatusEvents.Contains(eventType);

    public async Task HandleAsync(EventMessage message, CancellationToken cancellationToken)
    {
        await inbox.WriteAsync(message, cancellationToken);
        var planned = await planner.PlanAsync(message, await settings.GetAsync(cancellationToken), cancellationToken);
        await store.PlanAsync(planned, cancellationToken);
        Common.CrashPoints.Reach(Common.CrashPoints.NotificationPlanned);
        foreach (var (id, ticketId, email) in await store.PendingAsync(message.EventId, cancellationToken))
        {
            await sender.SendAsync(email, cancellationToken);
            await RecordAsync(tickets, ticketId, id, email, digest: false, cancellationToken);
            await store.MarkSentAsync(id, ticketId, cancellationToken);
        }

        await sms.SendAsync(message, cancellationToken);
    }

    /// <summary>The history line of a notification sent, on its ticket (deleted or not), once per notification; nothing when the ticket is gone.</summary>
    internal static async Task RecordAsync(TicketRunner tickets, string? ticketId, string notificationId, EmailMessage email, bool digest, CancellationToken cancellationToken)
    {
        if (ticketId is null)
        {
            return;
        }

        await tickets.RunAsync<bool>(
            ticketId,
            Actor.System("notifications"),
            TicketPrecondition.None,
            c =>
            {
                c.Ticket.RecordNotification(notificationId, [.. email.To.Concat(email.Cc).Select(a => a.Address)], email.Subject, digest, c.Now);
                return true;
            },
            cancellationToken,
            TicketLookup.IncludingDeleted);
    }
}

/// <summary>The stored settings, or the defaults before an admin saved any.</summary>
public sealed class NotificationSettingsSource(IDirectoryStore directory)
{
    public async Task<NotificationSettings> GetAsync(CancellationToken cancellationToken) =>
        (await directory.FindAsync(NotificationKinds.Settings, NotificationDefaults.SettingsId, cancellationToken))?.Value ?? NotificationDefaults.Settings;
}

/// <summary>
/// Sends each agent who chose a digest one email listing what waited for them, once per hour or
/// day. An agent who switched the digest off gets what is left at the next run.
/// </summary>
public sealed class SendNotificationDigests(INotificationStore store, IDirectoryStore directory, NotificationSettingsSource settings, NotificationContent content, IEmailSender sender, TicketRunner tickets, TimeProvider clock) : IScheduledJob
{
    public const string FunctionName = "SendNotificationDigests";

    public async Task<IReadOnlyList<string>> RunAsync(TimerInfo timer, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var current = await settings.GetAsync(cancellationToken);
        var sent = 0;
        foreach (var (agentId, lastSentAt) in await store.DigestRecipientsAsync(cancellationToken))
        {
            var preferences = (await directory.FindAsync(NotificationKinds.Preferences, agentId, cancellationToken))?.Value ?? NotificationPreferences.Default(agentId);
            var period = preferences.Digest == DigestFrequency.Daily ? TimeSpan.FromDays(1) : TimeSpan.FromHours(1);
            if (preferences.Digest != DigestFrequency.Off && lastSentAt is { } last && now - last < period)
            {
                continue;
            }

            var agent = (await directory.FindAsync(DirectoryKinds.Agent, agentId, cancellationToken))?.Value;
            var items = await store.DigestOfAsync(agentId, cancellationToken);
            if (agent is null || items.Count == 0)
            {
                continue;
            }

            var digest = await content.DigestAsync(current, new EmailAddress(agent.Email, agent.Name), items.Select(i => i.Email).ToArray(), DigestId(items.Select(i => i.Id)), cancellationToken);
            await sender.SendAsync(digest, cancellationToken);
            foreach (var (id, ticketId, _) in items)
            {
                await DeliverNotifications.RecordAsync(tickets, ticketId, id, digest, digest: true, cancellationToken);
            }

            await store.MarkDigestSentAsync(agentId, items, cancellationToken);
            sent++;
        }

        return [string.Create(CultureInfo.InvariantCulture, $"{sent} digests sent.")];
    }

    /// <summary>Stable for the same notifications, so a digest sent again after a crash carries the same Message-ID.</summary>
    private static string DigestId(IEnumerable<string> ids)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', ids)));
        return $"dig-{Convert.ToHexStringLower(hash)[..32]}@helpdesk";
    }
}
