using System.Diagnostics;
using Helpdesk.Api.Common;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Events;

/// <summary>
/// What the relays and the delivery tell about events: a producer span per event put on its
/// queues (a child of the write that stored it, so the message carries that trace on), a
/// consumer span per delivery (a child of the producer), and the counters of what the events
/// say happened. Counted where an event is relayed, once per event, on every engine and host.
/// </summary>
public sealed class EventTelemetry(HelpdeskMetrics metrics)
{
    /// <summary>
    /// The message as it leaves for <paramref name="queues"/>: a producer span is recorded for it
    /// and the message carries that span's trace context (or the stored one when nothing is traced).
    /// </summary>
    public EventMessage Publish(EventMessage message, IReadOnlyList<string> queues)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(queues);
        Count(message.Type);
        if (queues.Count == 0)
        {
            return message;
        }

        using var span = Telemetry.Continue("event.publish", message.TraceParent, ActivityKind.Producer);
        if (span is null)
        {
            return message;
        }

        Describe(span, message);
        span.SetTag(TelemetryTags.Queue, string.Join(',', queues));
        return message with { TraceParent = span.Id };
    }

    /// <summary>The span of one delivery to a queue's consumer; the caller disposes it.</summary>
    public static Activity? Deliver(QueueConsumerRegistration consumer, EventMessage message, int? deliveryCount)
    {
        ArgumentNullException.ThrowIfNull(consumer);
        ArgumentNullException.ThrowIfNull(message);
        var span = Telemetry.Continue(consumer.SpanName, message.TraceParent);
        if (span is not null)
        {
            Describe(span, message);
            span.SetTag(TelemetryTags.Queue, consumer.Queue);
            span.SetTag(TelemetryTags.DeliveryCount, deliveryCount);
        }

        return span;
    }

    private static void Describe(Activity span, EventMessage message)
    {
        span.SetTag(TelemetryTags.EventId, message.EventId);
        span.SetTag(TelemetryTags.EventType, message.Type);
        span.SetTag(TelemetryTags.TicketId, message.TicketId);
    }

    private void Count(string eventType)
    {
        var counter = eventType switch
        {
            TicketEventTypes.Created => metrics.TicketsCreated,
            TicketEventTypes.Resolved => metrics.TicketsResolved,
            SlaEventTypes.Warning => metrics.SlaWarnings,
            SlaEventTypes.Breached => metrics.SlaBreaches,
            SlaEventTypes.Escalated => metrics.SlaEscalations,
            _ => null,
        };
        counter?.Add(1);
    }
}
