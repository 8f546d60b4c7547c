using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Events;

/// <summary>
/// Plays the Functions host's part for events when the app runs on its own: relays the stored
/// events (the SQLite outbox, and the Cosmos DB ticket documents in Cosmos DB mode) to the local queue, then delivers every due message to its consumer, settling each one
/// (completed, retried later, or dead-lettered). Tests call <see cref="RunOnceAsync"/> directly.
/// </summary>
public sealed partial class EventPump(
    IEnumerable<IStoredEventSource> sources,
    LocalQueue queue,
    QueueDelivery delivery,
    IProcessedEvents processed,
    IEnumerable<QueueConsumerRegistration> consumers,
    Common.HelpdeskMetrics metrics,
    ILogger<EventPump> logger)
{
    private const int MaxDeliveriesPerRun = 500;
    private readonly Dictionary<string, QueueConsumerRegistration> _consumers = consumers.ToDictionary(c => c.Queue, StringComparer.Ordinal);

    /// <summary>One sweep; returns how many messages were settled.</summary>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        foreach (var source in sources)
        {
            await source.RelayPendingAsync(cancellationToken);
        }

        var policies = _consumers.ToDictionary(c => c.Key, c => c.Value.Policy, StringComparer.Ordinal);
        var settled = 0;
        while (settled < MaxDeliveriesPerRun && await queue.LeaseNextAsync(policies, cancellationToken) is { } lease)
        {
            await DeliverAsync(lease, _consumers[lease.Queue], cancellationToken);
            settled++;
        }

        await processed.PurgeExpiredAsync(cancellationToken);
        return settled;
    }

    private async Task DeliverAsync(QueueLease lease, QueueConsumerRegistration consumer, CancellationToken cancellationToken)
    {
        EventMessage message;
        try
        {
            message = EventMessage.Parse(lease.Body);
        }
        catch (Exception e) when (e is InvalidDataException or System.Text.Json.JsonException)
        {
            LogPoison(logger, e, lease.Queue, lease.MessageId);
            metrics.EventsDeadLettered.Add(1, new KeyValuePair<string, object?>(Common.TelemetryTags.Queue, lease.Queue));
            await queue.DeadLetterAsync(lease, e.Message, cancellationToken);
            return;
        }

        try
        {
            await delivery.DeliverAsync(consumer, message, lease.Attempts, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutting down: the lease runs out and the message comes back, as after a crash.
            throw;
        }
        catch (Exception e)
        {
            var dead = await queue.FailAsync(lease, consumer.Policy, $"{e.GetType().Name}: {e.Message}", cancellationToken);
            if (dead)
            {
                metrics.EventsDeadLettered.Add(1, new KeyValuePair<string, object?>(Common.TelemetryTags.Queue, lease.Queue));
                LogDeadLettered(logger, e, lease.Queue, message.EventId, message.Type, lease.Attempts);
            }
            else
            {
                LogFailed(logger, e, lease.Queue, message.EventId, message.Type, lease.Attempts);
            }

            return;
        }

        await queue.CompleteAsync(lease, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Delivery {Attempt} of event {EventId} ({Type}) on queue {Queue} failed; it is retried after a backoff")]
    private static partial void LogFailed(ILogger logger, Exception exception, string queue, string eventId, string type, int attempt);

    [LoggerMessage(Level = LogLevel.Error, Message = "Event {EventId} ({Type}) on queue {Queue} is dead-lettered after {Attempt} deliveries")]
    private static partial void LogDeadLettered(ILogger logger, Exception exception, string queue, string eventId, string type, int attempt);

    [LoggerMessage(Level = LogLevel.Error, Message = "Message {MessageId} on queue {Queue} is not an event message; it is dead-lettered")]
    private static partial void LogPoison(ILogger logger, Exception exception, string queue, string messageId);
}

/// <summary>Wakes the standalone runner early: a write just stored events. Pulses while it is awake fold into one.</summary>
public sealed class EventSignal
{
    private readonly Channel<bool> _pulses = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public void Pulse() => _pulses.Writer.TryWrite(true);

    /// <summary>Waits for a pulse or the timeout, whichever comes first.</summary>
    public async Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        try
        {
            await _pulses.Reader.ReadAsync(timeoutSource.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The sweep interval passed without a pulse: time for a periodic sweep.
        }
    }
}

/// <summary>
/// Runs the pump after every write and at least every <see cref="EventsOptions.SweepInterval"/>.
/// Off under the Functions host (change feed and Service Bus do this there) and in tests.
/// </summary>
internal sealed partial class EventPumpRunner(
    EventSignal signal,
    IServiceScopeFactory scopes,
    IOptions<Triggers.JobsOptions> jobs,
    IOptions<EventsOptions> options,
    ILogger<EventPumpRunner> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!jobs.Value.RunInProcess || Environment.GetEnvironmentVariable(Hosting.CustomHandler.PortVariable) is not null)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<EventPump>().RunOnceAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogFailed(logger, e);
            }

            try
            {
                await signal.WaitAsync(options.Value.SweepInterval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The event pump failed; it sweeps again shortly")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
