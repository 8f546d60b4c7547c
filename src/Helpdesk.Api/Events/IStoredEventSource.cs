namespace Helpdesk.Api.Events;

/// <summary>A store that keeps the events of its writes until the relay has published them to the local queue.</summary>
public interface IStoredEventSource
{
    /// <summary>Publishes every stored event not published yet; returns how many were.</summary>
    Task<int> RelayPendingAsync(CancellationToken cancellationToken);

    /// <summary>When the oldest event not published yet occurred; null when every event is published.</summary>
    Task<DateTimeOffset?> OldestPendingAsync(CancellationToken cancellationToken);
}
