using Helpdesk.Api.Common;

namespace Helpdesk.Api.Events;

public enum DeliveryOutcome
{
    Processed,
    Duplicate,
}

/// <summary>
/// Hands one message to its queue's consumer, in Azure (a Service Bus trigger) and standalone
/// (the local queue) alike: an event the consumer already processed is dropped, a processed one
/// is remembered. A consumer that throws leaves the event unmarked, so the redelivery runs it again.
/// </summary>
public sealed class QueueDelivery(IServiceScopeFactory scopes, IProcessedEvents processed)
{
    /// <summary>
    /// Delivers <paramref name="message"/> for the <paramref name="deliveryCount"/>th time, in a span
    /// that continues the message's trace; the output binding values the consumer set
    /// (<see cref="Triggers.InvocationOutputs"/>) are copied to <paramref name="outputs"/> when given.
    /// </summary>
    public async Task<DeliveryOutcome> DeliverAsync(QueueConsumerRegistration consumer, EventMessage message, int deliveryCount, CancellationToken cancellationToken, IDictionary<string, object?>? outputs = null)
    {
        ArgumentNullException.ThrowIfNull(consumer);
        ArgumentNullException.ThrowIfNull(message);
        using var span = EventTelemetry.Deliver(consumer, message, deliveryCount);
        try
        {
            if (await processed.IsProcessedAsync(consumer.FunctionName, message.EventId, cancellationToken))
            {
                span?.SetTag("helpdesk.delivery.outcome", nameof(DeliveryOutcome.Duplicate));
                return DeliveryOutcome.Duplicate;
            }

            await using (var scope = scopes.CreateAsyncScope())
            {
                var handler = (IEventConsumer)scope.ServiceProvider.GetRequiredService(consumer.ConsumerType);
                await handler.HandleAsync(message, cancellationToken);
                if (outputs is not null)
                {
                    foreach (var (binding, value) in scope.ServiceProvider.GetRequiredService<Triggers.InvocationOutputs>().Values)
                    {
                        outputs[binding] = value;
                    }
                }
            }

            await processed.TryMarkAsync(consumer.FunctionName, message.EventId, cancellationToken);
            span?.SetTag("helpdesk.delivery.outcome", nameof(DeliveryOutcome.Processed));
            return DeliveryOutcome.Processed;
        }
        catch (Exception e)
        {
            span.Failed(e);
            throw;
        }
    }
}
