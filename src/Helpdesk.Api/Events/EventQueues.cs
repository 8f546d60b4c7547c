namespace Helpdesk.Api.Events;

/// <summary>The queue names of ARCHITECTURE.md; the same names in Service Bus and in the local queue.</summary>
public static class QueueNames
{
    public const string Notifications = "notifications";
    public const string Approvals = "approvals";
    public const string Webhooks = "webhooks";
}

/// <summary>
/// Does the work a queue message asks for. Delivery is at least once: the runner drops a message
/// whose event this consumer already processed, but a consumer that writes must still be safe
/// when it is stopped half-way and the message comes again.
/// </summary>
public interface IEventConsumer
{
    Task HandleAsync(EventMessage message, CancellationToken cancellationToken);
}

/// <summary>
/// How long a queue keeps trying. A delivery that fails waits <see cref="BaseDelay"/>, doubled on
/// each further failure up to <see cref="MaxDelay"/>; after <see cref="MaxAttempts"/> deliveries,
/// or once the message is older than <see cref="RetryFor"/>, it is dead-lettered. A worker that
/// dies holding a message loses it to another after <see cref="VisibilityTimeout"/>.
/// </summary>
public sealed record QueuePolicy(int MaxAttempts, TimeSpan BaseDelay, TimeSpan MaxDelay, TimeSpan VisibilityTimeout, TimeSpan? RetryFor = null)
{
    /// <summary>Service Bus defaults: ten deliveries.</summary>
    public static QueuePolicy Default { get; } = new(10, TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(30), TimeSpan.FromMinutes(5));

    public TimeSpan DelayAfter(int attempts)
    {
        var exponent = Math.Clamp(attempts - 1, 0, 30);
        var delay = BaseDelay.TotalSeconds * Math.Pow(2, exponent);
        return TimeSpan.FromSeconds(Math.Min(delay, MaxDelay.TotalSeconds));
    }
}

/// <summary>
/// One queue and its consumer. <see cref="FunctionName"/> is the Service Bus triggered function
/// (its route is <c>POST /{FunctionName}</c>); <see cref="Accepts"/> says which event types the
/// relay puts on this queue (none for a queue fed by another producer, like inbound mail);
/// <see cref="SpanName"/> names the span of each delivery for what it does (<c>notification.deliver</c>).
/// </summary>
public sealed record QueueConsumerRegistration(string Queue, string FunctionName, Type ConsumerType, Func<string, bool> Accepts, QueuePolicy Policy, string SpanName);

public static class QueueConsumerRegistrations
{
    /// <summary>Registers the consumer of a queue (scoped), the events the relay routes to it and the name of its deliveries' span.</summary>
    public static IServiceCollection AddQueueConsumer<TConsumer>(this IServiceCollection services, string queue, string functionName, string spanName, Func<string, bool> accepts, QueuePolicy? policy = null)
        where TConsumer : class, IEventConsumer =>
        services.AddScoped<TConsumer>().AddSingleton(new QueueConsumerRegistration(queue, functionName, typeof(TConsumer), accepts, policy ?? QueuePolicy.Default, spanName));
}
