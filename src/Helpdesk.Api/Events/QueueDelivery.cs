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
    public async Task<DeliveryOutcome> DeliverAsync(QueueConsumerRegistration consumer, EventMessage message, CancellationToken cancellationToken)
    {
        if (await processed.IsProcessedAsync(consumer.FunctionName, message.EventId, cancellationToken))
        {
            return DeliveryOutcome.Duplicate;
        }

        await using (var scope = scopes.CreateAsyncScope())
        {
            var handler = (IEventConsumer)scope.ServiceProvider.GetRequiredService(consumer.ConsumerType);
            await handler.HandleAsync(message, cancellationToken);
        }

        await processed.TryMarkAsync(consumer.FunctionName, message.EventId, cancellationToken);
        return DeliveryOutcome.Processed;
    }
}
