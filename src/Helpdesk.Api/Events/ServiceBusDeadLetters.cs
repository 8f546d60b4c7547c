using System.Globalization;
using System.Text.Json;
using Azure.Messaging.ServiceBus;
using Helpdesk.Api.Common;

namespace Helpdesk.Api.Events;

/// <summary>
/// The dead letters of the Service Bus queues, under the Functions host (where a trigger that
/// keeps failing leaves its message in the queue's dead-letter sub-queue after the queue's max
/// delivery count), read with the app's managed identity (Azure Service Bus Data Receiver and
/// Sender on the namespace, infra-bicep/modules/servicebus.bicep).
/// An id is <c>{queue}-{sequence number}</c>; a queue's dead letters are listed oldest first
/// (Service Bus peeks by increasing sequence number), one queue after the other.
/// A re-drive sends a copy of the message to its queue and then completes the dead letter: if the
/// process dies in between the message runs twice, which the consumers already absorb (each
/// drops an event it processed before).
/// </summary>
public sealed class ServiceBusDeadLetters(ServiceBusClient client, IEnumerable<QueueConsumerRegistration> consumers) : IDeadLetters
{
    /// <summary>How many dead letters a re-drive looks through for its own before giving up.</summary>
    private const int MaxScan = 2000;

    private readonly string[] _queues = [.. consumers.Select(c => c.Queue).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

    public async Task<Page<DeadLetter>> ListAsync(string? queue, int limit, string? cursor, CancellationToken cancellationToken)
    {
        var queues = queue is null ? _queues : [.. _queues.Where(q => q == queue)];
        var (startQueue, from) = cursor is null ? (queues.FirstOrDefault(), 0L) : Paging.DecodeOrderedKey(cursor);
        var start = Array.IndexOf(queues, startQueue);
        if (start < 0)
        {
            return new Page<DeadLetter>([], null);
        }

        var items = new List<DeadLetter>();
        for (var i = start; i < queues.Length; i++)
        {
            await using var receiver = DeadLetterReceiver(queues[i]);
            var next = i == start ? from : 0;
            while (true)
            {
                // A peek may answer fewer than asked while more wait: peek on until it answers none.
                var peeked = await receiver.PeekMessagesAsync(limit - items.Count + 1, next, cancellationToken);
                if (peeked.Count == 0)
                {
                    break;
                }

                foreach (var message in peeked)
                {
                    if (items.Count == limit)
                    {
                        return new Page<DeadLetter>(items, Paging.EncodeKey(queues[i], message.SequenceNumber));
                    }

                    items.Add(Map(queues[i], message));
                }

                next = peeked[^1].SequenceNumber + 1;
            }
        }

        return new Page<DeadLetter>(items, null);
    }

    public async Task<DeadLetter?> FindAsync(string id, CancellationToken cancellationToken)
    {
        if (ParseId(id) is not var (queue, sequence))
        {
            return null;
        }

        await using var receiver = DeadLetterReceiver(queue);
        return await receiver.PeekMessageAsync(sequence, cancellationToken) is { } message && message.SequenceNumber == sequence
            ? Map(queue, message)
            : null;
    }

    public async Task<DeadLetter?> RedriveAsync(string id, CancellationToken cancellationToken)
    {
        if (ParseId(id) is not var (queue, sequence))
        {
            return null;
        }

        await using var receiver = DeadLetterReceiver(queue);
        await using var sender = client.CreateSender(queue);

        // A locked message cannot be received by its sequence number: take the sub-queue's
        // messages in order, holding the locks of the others (released at the end) so the scan
        // moves forward, until this one comes.
        var held = new List<ServiceBusReceivedMessage>();
        try
        {
            while (held.Count < MaxScan)
            {
                var batch = await receiver.ReceiveMessagesAsync(100, TimeSpan.FromSeconds(5), cancellationToken);
                if (batch.Count == 0)
                {
                    return null;
                }

                foreach (var message in batch)
                {
                    if (message.SequenceNumber != sequence)
                    {
                        held.Add(message);
                        continue;
                    }

                    await sender.SendMessageAsync(Resubmission(message), cancellationToken);
                    await receiver.CompleteMessageAsync(message, cancellationToken);
                    return Map(queue, message);
                }
            }

            return null;
        }
        finally
        {
            foreach (var message in held)
            {
                await receiver.AbandonMessageAsync(message, cancellationToken: CancellationToken.None);
            }
        }
    }

    /// <summary>A dead-lettered Service Bus message as the admin routes show it.</summary>
    internal static DeadLetter Map(string queue, ServiceBusReceivedMessage message)
    {
        var body = message.Body.ToString();
        string? type = null;
        string? ticketId = null;
        try
        {
            using var json = JsonDocument.Parse(body);
            var parsed = EventMessage.Parse(json.RootElement);
            (type, ticketId) = (parsed.Type, parsed.TicketId);
        }
        catch (Exception e) when (e is JsonException or InvalidDataException)
        {
            // Not an event message (sent by hand to the queue): shown with its raw body.
        }

        var reason = string.Join(": ", new[] { message.DeadLetterReason, message.DeadLetterErrorDescription }.Where(s => !string.IsNullOrWhiteSpace(s)));
        return new DeadLetter(
            string.Create(CultureInfo.InvariantCulture, $"{queue}-{message.SequenceNumber}"),
            queue,
            message.MessageId,
            type,
            ticketId,
            message.DeliveryCount,
            message.EnqueuedTime,
            null,
            reason.Length == 0 ? null : reason,
            body);
    }

    /// <summary>The message sent back to its queue: same body, id and properties, without the dead-letter marks.</summary>
    internal static ServiceBusMessage Resubmission(ServiceBusReceivedMessage message)
    {
        var copy = new ServiceBusMessage(message);
        copy.ApplicationProperties.Remove("DeadLetterReason");
        copy.ApplicationProperties.Remove("DeadLetterErrorDescription");
        return copy;
    }

    internal static (string Queue, long Sequence)? ParseId(string id)
    {
        var dash = id.LastIndexOf('-');
        return dash > 0 && long.TryParse(id.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var sequence)
            ? (id[..dash], sequence)
            : null;
    }

    private ServiceBusReceiver DeadLetterReceiver(string queue) =>
        client.CreateReceiver(queue, new ServiceBusReceiverOptions { SubQueue = SubQueue.DeadLetter, ReceiveMode = ServiceBusReceiveMode.PeekLock, PrefetchCount = 0 });
}
