using System.Text.Json;
using Helpdesk.Api.Triggers;

namespace Helpdesk.Api.Events;

/// <summary>
/// The envelope routes of the event functions. <c>RelayOutbox</c> (Cosmos DB change feed) answers
/// with the events as Service Bus output-binding messages, one array element per message and one
/// output binding per queue. Each queue's consumer function (<c>serviceBusTrigger</c>, binding
/// <c>message</c>) runs the same consumer code as the local queue and answers 500 when it failed,
/// so Service Bus redelivers and finally dead-letters the message.
/// </summary>
public static partial class QueueTriggers
{
    public const string RelayFunction = "RelayOutbox";
    public const string DocumentsBinding = "documents";
    public const string MessageBinding = "message";

    /// <summary>The output binding of a queue in RelayOutbox's function.json: the queue name in camelCase.</summary>
    public static string OutputBinding(string queue)
    {
        var parts = queue.Split('-');
        return parts[0] + string.Concat(parts.Skip(1).Select(p => char.ToUpperInvariant(p[0]) + p[1..]));
    }

    public static IEndpointRouteBuilder MapQueueTriggers(this IEndpointRouteBuilder app)
    {
        app.MapPost($"/{RelayFunction}", Relay)
            .AddEndpointFilter<TriggerEndpoints.LocalCallersOnly>()
            .AllowAnonymous()
            .ExcludeFromDescription();

        foreach (var consumer in app.ServiceProvider.GetServices<QueueConsumerRegistration>())
        {
            app.MapPost($"/{consumer.FunctionName}", (InvocationRequest envelope, QueueDelivery delivery, ILoggerFactory loggers, CancellationToken ct) =>
                    ConsumeAsync(consumer, envelope, delivery, loggers.CreateLogger(typeof(QueueTriggers)), ct))
                .AddEndpointFilter<TriggerEndpoints.LocalCallersOnly>()
                .AllowAnonymous()
                .ExcludeFromDescription();
        }

        return app;
    }

    private static IResult Relay(InvocationRequest envelope, OutboxRelay relay, EventTelemetry telemetry)
    {
        if (envelope.Binding(DocumentsBinding) is not { } documents)
        {
            return Results.Json(InvocationResult.Empty("No documents in the invocation."));
        }

        var outputs = new Dictionary<string, List<EventMessage>>(StringComparer.Ordinal);
        var count = 0;
        foreach (var stored in OutboxRelay.EventsIn(documents))
        {
            count++;
            var queues = relay.QueuesFor(stored.Type);
            var message = telemetry.Publish(stored, queues);
            foreach (var queue in queues)
            {
                var binding = OutputBinding(queue);
                if (!outputs.TryGetValue(binding, out var list))
                {
                    outputs[binding] = list = [];
                }

                list.Add(message);
            }
        }

        var log = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"Relayed {count} events to {outputs.Count} queues.");
        return Results.Json(new InvocationResult(outputs.ToDictionary(o => o.Key, o => (object?)o.Value, StringComparer.Ordinal), [log], null), Storage.StoreJson.Options);
    }

    private static async Task<IResult> ConsumeAsync(QueueConsumerRegistration consumer, InvocationRequest envelope, QueueDelivery delivery, ILogger logger, CancellationToken cancellationToken)
    {
        var deliveryCount = envelope.MetaInt("DeliveryCount") ?? 1;
        EventMessage message;
        try
        {
            message = EventMessage.Parse(envelope.Binding(MessageBinding) ?? throw new InvalidDataException($"The invocation has no '{MessageBinding}' binding."));
        }
        catch (Exception e) when (e is InvalidDataException or JsonException)
        {
            LogUnreadable(logger, e, consumer.FunctionName, deliveryCount);
            return Results.Json(InvocationResult.Empty($"Unreadable message: {e.Message}"), statusCode: StatusCodes.Status500InternalServerError);
        }

        try
        {
            var outputs = new Dictionary<string, object?>(StringComparer.Ordinal);
            var outcome = await delivery.DeliverAsync(consumer, message, deliveryCount, cancellationToken, outputs);
            return Results.Json(new InvocationResult(outputs, [$"Event {message.EventId} ({message.Type}): {outcome}."], null));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogFailed(logger, e, consumer.FunctionName, message.EventId, message.Type, deliveryCount);
            return Results.Json(InvocationResult.Empty($"Event {message.EventId} failed: {e.GetType().Name}"), statusCode: StatusCodes.Status500InternalServerError);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Function} failed on event {EventId} ({Type}), delivery {DeliveryCount}; Service Bus redelivers it")]
    private static partial void LogFailed(ILogger logger, Exception exception, string function, string eventId, string type, int deliveryCount);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Function} got an unreadable message, delivery {DeliveryCount}; it ends in the dead-letter queue")]
    private static partial void LogUnreadable(ILogger logger, Exception exception, string function, int deliveryCount);
}
