using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Mail;

/// <summary>
/// Ready needs, with mail on and Graph notifications asked for (<c>Mail:NotificationUrl</c>), a
/// live Graph subscription for every mailbox: an expired one means new mail arrives only at the
/// next delta catch-up. A mailbox not subscribed yet (before the first <c>RenewMailSubscriptions</c>
/// run) is degraded, not down.
/// </summary>
internal sealed class SubscriptionHealthCheck(IMailSubscriptions subscriptions, IOptions<MailOptions> options, TimeProvider clock) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var settings = options.Value;
        if (settings.Mailboxes.Count == 0)
        {
            return HealthCheckResult.Healthy("Mail is off.");
        }

        if (string.IsNullOrWhiteSpace(settings.NotificationUrl))
        {
            return HealthCheckResult.Healthy("Mail is polled through delta (no notification URL): no subscription to keep.");
        }

        var now = clock.GetUtcNow();
        var held = (await subscriptions.SubscriptionsAsync(cancellationToken)).ToDictionary(s => s.Mailbox, StringComparer.OrdinalIgnoreCase);
        var expired = settings.Mailboxes.Where(m => held.TryGetValue(m.Id, out var s) && s.ExpiresAt <= now).Select(m => m.Id).ToList();
        var missing = settings.Mailboxes.Where(m => !held.ContainsKey(m.Id)).Select(m => m.Id).ToList();
        if (expired.Count > 0)
        {
            return HealthCheckResult.Unhealthy($"The Graph subscription of mailbox {string.Join(", ", expired)} has expired.");
        }

        return missing.Count > 0
            ? HealthCheckResult.Degraded($"Mailbox {string.Join(", ", missing)} has no Graph subscription yet; the next RenewMailSubscriptions run makes one.")
            : HealthCheckResult.Healthy("Every mailbox's Graph subscription is live.");
    }
}
