using System.Globalization;
using Helpdesk.Api.Events;
using Helpdesk.Api.Triggers;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Webhooks;

public sealed class WebhookRetentionOptions
{
    public const string Section = "Webhooks";

    /// <summary>Days a record of a served hook (delivered, or removed for 404/410) is kept.</summary>
    public int KeepDeliveredDays { get; set; } = 7;

    /// <summary>Days a dead-lettered webhook delivery is kept for an admin to look at or re-drive.</summary>
    public int KeepDeadDays { get; set; } = 30;
}

/// <summary>
/// The <c>PurgeWebhookDeliveries</c> timer (hourly): the per-hook delivery records and the dead
/// letters of the <c>webhooks</c> queue do not pile up for ever. A served-hook record is kept
/// while its event may still come back (waiting for a retry, or a dead letter that may be
/// re-driven): dropping it then would send that hook the event twice.
/// </summary>
public sealed class PurgeWebhookDeliveries(IWebhookStore store, LocalQueue queue, IOptions<WebhookRetentionOptions> options, TimeProvider clock) : IScheduledJob
{
    public const string FunctionName = "PurgeWebhookDeliveries";

    public async Task<IReadOnlyList<string>> RunAsync(TimerInfo timer, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var dead = await queue.PurgeDeadAsync(QueueNames.Webhooks, now.AddDays(-options.Value.KeepDeadDays), cancellationToken);
        var served = await store.PurgeServedAsync(now.AddDays(-options.Value.KeepDeliveredDays), cancellationToken);
        return [string.Create(CultureInfo.InvariantCulture, $"{served} webhook delivery record(s) and {dead} dead letter(s) purged")];
    }
}
