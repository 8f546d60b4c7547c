using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Helpdesk.Api.Common;
using Helpdesk.Api.Events;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Webhooks;

/// <summary>The events a subscription can name (API.md), and which event types each one covers.</summary>
public static class WebhookEvents
{
    public const string TicketCreated = "ticket.created";
    public const string TicketUpdated = "ticket.updated";
    public const string TicketResolved = "ticket.resolved";
    public const string SlaBreached = "sla.breached";

    public static readonly IReadOnlyList<string> All = [TicketCreated, TicketUpdated, TicketResolved, SlaBreached];

    /// <summary>
    /// The subscription event an event type is delivered under. <c>ticket.updated</c> covers
    /// every change to an existing ticket (edits, assignment, status changes, messages), since a
    /// flow waiting for "updated" wants to hear of all of them.
    /// </summary>
    public static IEnumerable<string> For(string eventType) => eventType switch
    {
        TicketEventTypes.Created => [TicketCreated],
        TicketEventTypes.Resolved => [TicketResolved, TicketUpdated],
        SlaBreached => [SlaBreached],
        _ when eventType.StartsWith("ticket.", StringComparison.Ordinal) => [TicketUpdated],
        _ => [],
    };

    public static bool Accepts(string eventType) => For(eventType).Any();
}

/// <summary>The body POSTed to a subscriber: the event and the ticket as it is now.</summary>
public sealed record WebhookPayload(string Id, string Event, string Type, DateTimeOffset OccurredAt, string? TicketId, TicketResponse? Ticket, IReadOnlyDictionary<string, string?> Data);

/// <summary>
/// The consumer of the <c>webhooks</c> queue: POSTs the event to every matching subscription,
/// signed with its secret. A hook that answers 404 or 410 is gone and its subscription is
/// removed; any other failure fails the message after the other hooks were served, so the
/// redelivery (with the queue's backoff, for 24 hours, then the dead letters) retries only the
/// hooks still owed. Each delivery carries the event id for the receiver to drop repeats.
/// </summary>
public sealed partial class DeliverWebhooks(IWebhookStore store, ITicketStore tickets, TicketPresenter presenter, IHttpClientFactory http, HelpdeskMetrics metrics, TimeProvider clock, ILogger<DeliverWebhooks> logger) : IEventConsumer
{
    public const string FunctionName = "DeliverWebhooks";
    public const string HttpClientName = "webhooks";

    /// <summary>Retried with backoff for 24 hours, then dead-lettered.</summary>
    public static QueuePolicy Policy { get; } = new(MaxAttempts: 200, BaseDelay: TimeSpan.FromSeconds(30), MaxDelay: TimeSpan.FromHours(1), VisibilityTimeout: TimeSpan.FromMinutes(5), RetryFor: TimeSpan.FromHours(24));

    public async Task HandleAsync(EventMessage message, CancellationToken cancellationToken)
    {
        var failures = new List<string>();
        Ticket? ticket = null;
        var ticketLoaded = false;
        foreach (var eventName in WebhookEvents.For(message.Type))
        {
            foreach (var hook in await store.ForEventAsync(eventName, cancellationToken))
            {
                if (await store.WasServedAsync(message.EventId, hook.Id, cancellationToken))
                {
                    continue;
                }

                if (!ticketLoaded)
                {
                    ticket = message.TicketId is null ? null : await tickets.FindAsync(message.TicketId, cancellationToken);
                    ticketLoaded = true;
                }

                if (!Matches(hook.Filters, ticket))
                {
                    continue;
                }

                var outcome = await PostAsync(hook, eventName, message, ticket, cancellationToken);
                if (outcome is null)
                {
                    metrics.WebhooksFailed.Add(1);
                    failures.Add(hook.Id);
                    continue;
                }

                await store.RecordAsync(message.EventId, hook.Id, outcome, clock.GetUtcNow(), cancellationToken);
            }
        }

        if (failures.Count > 0)
        {
            throw new HttpRequestException($"Webhook deliveries failed for {string.Join(", ", failures)}; they are retried.");
        }
    }

    /// <summary>Returns the outcome to record, or null when the delivery must be retried.</summary>
    private async Task<string?> PostAsync(WebhookSubscription hook, string eventName, EventMessage message, Ticket? ticket, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.Serialize(
            new WebhookPayload(message.EventId, eventName, message.Type, message.OccurredAt, message.TicketId, ticket is null ? null : await presenter.PresentAsync(ticket, cancellationToken), message.Data),
            Storage.StoreJson.Options);
        var timestamp = clock.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        using var request = new HttpRequestMessage(HttpMethod.Post, hook.NotificationUrl)
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add(HmacSignature.Header, HmacSignature.Sign(hook.Secret, timestamp, body));
        request.Headers.Add("X-Helpdesk-Event", eventName);
        request.Headers.Add("X-Helpdesk-Event-Id", message.EventId);

        HttpResponseMessage response;
        try
        {
            response = await http.CreateClient(HttpClientName).SendAsync(request, cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or Polly.Timeout.TimeoutRejectedException)
        {
            LogFailed(logger, e, hook.Id, message.EventId, 0);
            return null;
        }

        using (response)
        {
            if (response.IsSuccessStatusCode)
            {
                return "delivered";
            }

            if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Gone)
            {
                await store.DeleteAsync(hook.Id, cancellationToken);
                LogRemoved(logger, hook.Id, (int)response.StatusCode);
                return "removed";
            }

            LogFailed(logger, null, hook.Id, message.EventId, (int)response.StatusCode);
            return null;
        }
    }

    private static bool Matches(WebhookFilters filters, Ticket? ticket) =>
        (filters.Priority is null || (ticket is not null && Names.Of(ticket.Priority) == filters.Priority))
        && (filters.TeamId is null || ticket?.TeamId == filters.TeamId)
        && (filters.AssigneeId is null || ticket?.AssigneeId == filters.AssigneeId)
        && (filters.AccountId is null || ticket?.AccountId == filters.AccountId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook {HookId} failed for event {EventId} (status {Status}); it is retried")]
    private static partial void LogFailed(ILogger logger, Exception? exception, string hookId, string eventId, int status);

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook {HookId} answered {Status}: the subscription is removed")]
    private static partial void LogRemoved(ILogger logger, string hookId, int status);
}
