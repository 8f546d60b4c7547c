using Helpdesk.Api.Common;

namespace Helpdesk.Api.Events;

/// <summary>
/// The dead letters of the event queues, wherever the queues are: the local queue standalone,
/// Service Bus's dead-letter sub-queues under the Functions host. The admin routes read and
/// re-drive through this, so they answer the same on a laptop and in Azure.
/// </summary>
public interface IDeadLetters
{
    /// <summary>A page of dead letters, of one queue or of all.</summary>
    Task<Page<DeadLetter>> ListAsync(string? queue, int limit, string? cursor, CancellationToken cancellationToken);

    Task<DeadLetter?> FindAsync(string id, CancellationToken cancellationToken);

    /// <summary>Puts the dead letter back on its queue with fresh attempts; null when there is no such dead letter.</summary>
    Task<DeadLetter?> RedriveAsync(string id, CancellationToken cancellationToken);
}

/// <summary>A dead letter put back on its queue: it is <see cref="Ready"/> for its next delivery.</summary>
public sealed record RedrivenDeadLetter(string Id, string Queue, string MessageId, string State)
{
    public const string Ready = "ready";
}

/// <summary>The local queue's dead letters (standalone): ids are the queue's sequence numbers.</summary>
public sealed class LocalDeadLetters(LocalQueue local, EventSignal signal) : IDeadLetters
{
    public Task<Page<DeadLetter>> ListAsync(string? queue, int limit, string? cursor, CancellationToken cancellationToken) =>
        local.ListDeadAsync(queue, limit, cursor, cancellationToken);

    public async Task<DeadLetter?> FindAsync(string id, CancellationToken cancellationToken) =>
        ParseId(id) is { } seq ? await local.FindDeadAsync(seq, cancellationToken) : null;

    public async Task<DeadLetter?> RedriveAsync(string id, CancellationToken cancellationToken)
    {
        if (ParseId(id) is not { } seq || await local.FindDeadAsync(seq, cancellationToken) is not { } letter || !await local.RedriveAsync(seq, cancellationToken))
        {
            return null;
        }

        // The runner delivers it on its next sweep; wake it now.
        signal.Pulse();
        return letter;
    }

    private static long? ParseId(string id) =>
        long.TryParse(id, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seq) ? seq : null;
}
