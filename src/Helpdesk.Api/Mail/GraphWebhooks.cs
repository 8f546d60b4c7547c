using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Helpdesk.Api.Common;

namespace Helpdesk.Api.Mail;

/// <summary>
/// Where Microsoft Graph calls us: change notifications and lifecycle events. No bearer token:
/// each item carries the clientState of its subscription, compared in constant time. The
/// answer must come well under 3 s, so a notification is only recorded (durably, in the inbound
/// journal) and answered 202; ingestion fetches and threads the mail afterwards.
/// </summary>
internal static partial class GraphWebhooks
{
    public static async Task<IResult> NotificationsAsync(HttpRequest request, IMailSubscriptions store, IMailJournal journal, TimeProvider clock, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (Handshake(request) is { } echo)
        {
            return echo;
        }

        var items = await ReadItemsAsync(request, cancellationToken);
        if (items is null)
        {
            return Problems.Result(Problems.Validation("value", "Expected a JSON object with a 'value' array of notifications."));
        }

        var logger = loggers.CreateLogger(typeof(GraphWebhooks));
        var accepted = new List<(string Mailbox, string GraphId)>();
        var subscriptions = new Dictionary<string, MailSubscription?>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            var subscription = await AuthenticateAsync(item, store, subscriptions, cancellationToken);
            var messageId = Text(item, "resourceData", "id");
            if (subscription is null || messageId is null)
            {
                LogRejected(logger, Text(item, "subscriptionId") ?? "(none)");
                continue;
            }

            accepted.Add((subscription.Mailbox, messageId));
        }

        if (accepted.Count == 0)
        {
            return Unauthenticated();
        }

        await journal.RecordNotifiedAsync(accepted, clock.GetUtcNow(), cancellationToken);
        return TypedResults.Accepted((string?)null);
    }

    public static async Task<IResult> LifecycleAsync(HttpRequest request, IMailSubscriptions store, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (Handshake(request) is { } echo)
        {
            return echo;
        }

        var items = await ReadItemsAsync(request, cancellationToken);
        if (items is null)
        {
            return Problems.Result(Problems.Validation("value", "Expected a JSON object with a 'value' array of lifecycle events."));
        }

        var logger = loggers.CreateLogger(typeof(GraphWebhooks));
        var subscriptions = new Dictionary<string, MailSubscription?>(StringComparer.Ordinal);
        var handled = 0;
        foreach (var item in items)
        {
            var subscription = await AuthenticateAsync(item, store, subscriptions, cancellationToken);
            if (subscription is null)
            {
                LogRejected(logger, Text(item, "subscriptionId") ?? "(none)");
                continue;
            }

            var lifecycleEvent = Text(item, "lifecycleEvent");
            switch (lifecycleEvent)
            {
                case "reauthorizationRequired":
                    await store.RequestReauthorizationAsync(subscription.SubscriptionId, cancellationToken);
                    break;
                case "subscriptionRemoved":
                    // Forget it: the next renewal run subscribes again and its delta round fetches what arrived meanwhile.
                    await store.RemoveSubscriptionAsync(subscription.SubscriptionId, cancellationToken);
                    break;
                default:
                    // "missed" (and any event Graph adds later): every renewal run catches up through delta.
                    break;
            }

            LogLifecycle(logger, lifecycleEvent ?? "(none)", subscription.Mailbox, subscription.SubscriptionId);
            handled++;
        }

        return handled == 0 ? Unauthenticated() : TypedResults.Accepted((string?)null);
    }

    /// <summary>Graph's validation request: echo the token, as text/plain, within 10 s.</summary>
    private static Microsoft.AspNetCore.Http.HttpResults.ContentHttpResult? Handshake(HttpRequest request) =>
        request.Query.TryGetValue("validationToken", out var token) && !string.IsNullOrEmpty(token)
            ? TypedResults.Text(token.ToString(), "text/plain", Encoding.UTF8)
            : null;

    private static async Task<List<JsonElement>?> ReadItemsAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        try
        {
            using var document = await JsonDocument.ParseAsync(request.Body, cancellationToken: cancellationToken);
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("value", out var value)
                || value.ValueKind != JsonValueKind.Array)
            {
                return null;
            }

            return [.. value.EnumerateArray().Where(i => i.ValueKind == JsonValueKind.Object).Select(i => i.Clone())];
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The subscription an item belongs to, only when its clientState matches the one we gave Graph.</summary>
    private static async Task<MailSubscription?> AuthenticateAsync(JsonElement item, IMailSubscriptions store, Dictionary<string, MailSubscription?> cache, CancellationToken cancellationToken)
    {
        var subscriptionId = Text(item, "subscriptionId");
        var clientState = Text(item, "clientState");
        if (subscriptionId is null || clientState is null)
        {
            return null;
        }

        if (!cache.TryGetValue(subscriptionId, out var subscription))
        {
            subscription = await store.FindSubscriptionAsync(subscriptionId, cancellationToken);
            cache[subscriptionId] = subscription;
        }

        return subscription is not null
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(clientState), Encoding.UTF8.GetBytes(subscription.ClientState))
            ? subscription
            : null;
    }

    private static string? Text(JsonElement item, params string[] path)
    {
        var current = item;
        foreach (var name in path)
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(name, out current))
            {
                return null;
            }
        }

        return current.ValueKind == JsonValueKind.String ? current.GetString() : null;
    }

    private static IResult Unauthenticated() =>
        Problems.Result(Problems.Create(StatusCodes.Status401Unauthorized, "urn:helpdesk:problem:graph-client-state", "No item carried a known subscription and its clientState.", null));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a Graph callback item for subscription {SubscriptionId}: unknown subscription or wrong clientState")]
    private static partial void LogRejected(ILogger logger, string subscriptionId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Graph lifecycle event {LifecycleEvent} for mailbox {Mailbox}, subscription {SubscriptionId}")]
    private static partial void LogLifecycle(ILogger logger, string lifecycleEvent, string mailbox, string subscriptionId);
}
