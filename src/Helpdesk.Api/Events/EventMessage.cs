using System.Globalization;
using System.Text.Json;
using Helpdesk.Api.Storage;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Events;

/// <summary>
/// The body of every queue message, in Service Bus and in the local queue alike. The Service Bus
/// output binding of a custom handler sets only the body, so the event id (what consumers dedupe
/// by), the correlation id and the W3C <c>traceparent</c> of the span that published it (the
/// consumer's span continues that trace) travel here, not in message properties.
/// </summary>
public sealed record EventMessage(
    string EventId,
    string Type,
    string? TicketId,
    string CorrelationId,
    DateTimeOffset OccurredAt,
    Actor Actor,
    IReadOnlyDictionary<string, string?> Data,
    string? TraceParent = null)
{
    /// <summary>A stored event as a message; the event starts its own correlation chain.</summary>
    public static EventMessage From(DomainEvent domainEvent)
    {
        var id = domainEvent.Id.ToString("D", CultureInfo.InvariantCulture);
        return new EventMessage(id, domainEvent.Type, domainEvent.TicketId, id, domainEvent.OccurredAt, domainEvent.Actor, domainEvent.Data, domainEvent.TraceParent);
    }

    public string? Value(string key) => Data.TryGetValue(key, out var value) ? value : null;

    public string ToJson() => StoreJson.Serialize(this);

    /// <summary>Reads a message body; throws <see cref="InvalidDataException"/> when it is not one.</summary>
    public static EventMessage Parse(JsonElement body)
    {
        EventMessage? message;
        try
        {
            message = body.Deserialize<EventMessage>(StoreJson.Options);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException("The message body is not an event message.", e);
        }

        return message is { EventId.Length: > 0, Type.Length: > 0 } && message.Data is not null && message.Actor is not null
            ? message
            : throw new InvalidDataException("The message body lacks an event id, a type, an actor or data.");
    }

    public static EventMessage Parse(string body)
    {
        using var document = JsonDocument.Parse(body);
        return Parse(document.RootElement);
    }
}
