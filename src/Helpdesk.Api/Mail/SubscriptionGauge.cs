using System.Diagnostics.Metrics;
using Helpdesk.Api.Common;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Mail;

/// <summary>
/// <c>helpdesk.graph.subscription.seconds_to_expiry</c> by <c>mailbox</c> (docs/telemetry.md; the
/// expiring-subscription alert reads it): for each configured mailbox, while notifications are on
/// (<c>Mail:NotificationUrl</c> set), the seconds until its Graph subscription expires — negative
/// once it has, 0 when it has none. Nothing while mail is off or only polled through delta.
/// </summary>
internal sealed class SubscriptionGauge : ITelemetrySample
{
    private readonly IMailSubscriptions _subscriptions;
    private readonly IOptions<MailOptions> _options;
    private readonly TimeProvider _clock;
    private IReadOnlyDictionary<string, DateTimeOffset?> _expiries = new Dictionary<string, DateTimeOffset?>();

    public SubscriptionGauge(IMailSubscriptions subscriptions, IOptions<MailOptions> options, HelpdeskMetrics metrics, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        _subscriptions = subscriptions;
        _options = options;
        _clock = clock;
        metrics.Meter.CreateObservableGauge(
            "helpdesk.graph.subscription.seconds_to_expiry",
            () => SecondsToExpiry(_expiries, _clock.GetUtcNow()).Select(e => new Measurement<long>(e.Seconds, new KeyValuePair<string, object?>(TelemetryTags.Mailbox, e.Mailbox))),
            "s",
            "Seconds until each mailbox's Graph subscription expires (negative once expired, 0 without one).");
    }

    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        var settings = _options.Value;
        if (settings.Mailboxes.Count == 0 || string.IsNullOrWhiteSpace(settings.NotificationUrl))
        {
            _expiries = new Dictionary<string, DateTimeOffset?>();
            return;
        }

        var held = (await _subscriptions.SubscriptionsAsync(cancellationToken)).ToDictionary(s => s.Mailbox, s => s.ExpiresAt, StringComparer.OrdinalIgnoreCase);
        _expiries = settings.Mailboxes.ToDictionary(m => m.Id, m => held.TryGetValue(m.Id, out var expiresAt) ? expiresAt : (DateTimeOffset?)null, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>Each mailbox's seconds to expiry at <paramref name="now"/>: negative once expired, 0 without a subscription.</summary>
    public static IEnumerable<(string Mailbox, long Seconds)> SecondsToExpiry(IReadOnlyDictionary<string, DateTimeOffset?> expiries, DateTimeOffset now) =>
        expiries.Select(e => (e.Key, e.Value is { } at ? (long)Math.Floor((at - now).TotalSeconds) : 0L));
}
