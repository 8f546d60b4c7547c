namespace Helpdesk.Api.Events;

/// <summary>A store that keeps the events of its writes until the relay has published them to the local queue.</summary>
public interface IStoredEventSource
{
    /// <summary>Publishes every stored event not published yet; returns how many were.</summary>
    Task<int> RelayPendingAsync(CancellationToken cancellationToken);
}
