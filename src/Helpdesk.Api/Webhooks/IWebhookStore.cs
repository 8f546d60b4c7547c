namespace Helpdesk.Api.Webhooks;

/// <summary>Optional narrowing of a subscription: every filter given must match the ticket.</summary>
public sealed record WebhookFilters(string? Priority = null, string? TeamId = null, string? AssigneeId = null, string? AccountId = null);

/// <summary>A Power Automate (or any) webhook subscription. The secret signs every delivery and is shown once.</summary>
public sealed record WebhookSubscription(string Id, string NotificationUrl, string Event, WebhookFilters Filters, string Secret, string CreatedBy, DateTimeOffset CreatedAt);

/// <summary>
/// Subscriptions, and per event which of them were already served, so a redelivered event only
/// retries the hooks that failed. Every app instance must see the same data: on Cosmos DB both
/// live in the account, not in an instance's file.
/// </summary>
public interface IWebhookStore
{
    Task CreateAsync(WebhookSubscription subscription, CancellationToken cancellationToken);

    Task<WebhookSubscription?> FindAsync(string id, CancellationToken cancellationToken);

    /// <summary>The subscriptions to an event, oldest first.</summary>
    Task<IReadOnlyList<WebhookSubscription>> ForEventAsync(string eventName, CancellationToken cancellationToken);

    /// <summary>Removes a subscription; false when there was none.</summary>
    Task<bool> DeleteAsync(string id, CancellationToken cancellationToken);

    Task<bool> WasServedAsync(string eventId, string hookId, CancellationToken cancellationToken);

    /// <summary>Records that a hook was served an event; recording it again keeps the first record.</summary>
    Task RecordAsync(string eventId, string hookId, string outcome, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes the records of served hooks older than <paramref name="before"/> whose event is no
    /// longer on the webhooks queue (neither waiting for a retry nor dead-lettered); returns how many.
    /// </summary>
    Task<int> PurgeServedAsync(DateTimeOffset before, CancellationToken cancellationToken);
}
