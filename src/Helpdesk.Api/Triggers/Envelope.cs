using System.Text.Json;
using System.Text.Json.Serialization;

namespace Helpdesk.Api.Triggers;

/// <summary>
/// What the Azure Functions host POSTs to <c>/{FunctionName}</c> for every non-HTTP trigger
/// (custom-handler contract). Binding values that are not JSON objects arrive serialized again,
/// sometimes twice: read them with <see cref="EnvelopeValues.Decode"/>.
/// </summary>
public sealed record InvocationRequest(
    [property: JsonPropertyName("Data")] Dictionary<string, JsonElement>? Data,
    [property: JsonPropertyName("Metadata")] Dictionary<string, JsonElement>? Metadata)
{
    public JsonElement? Binding(string name) =>
        Data is not null && Data.TryGetValue(name, out var value) ? EnvelopeValues.Decode(value) : null;

    public JsonElement? Meta(string name) =>
        Metadata is not null && Metadata.TryGetValue(name, out var value) ? EnvelopeValues.Decode(value) : null;

    /// <summary>A numeric metadata value; the host sends numbers as strings.</summary>
    public int? MetaInt(string name) =>
        Meta(name) switch
        {
            { ValueKind: JsonValueKind.Number } number when number.TryGetInt32(out var n) => n,
            { ValueKind: JsonValueKind.String } text when int.TryParse(text.GetString(), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var n) => n,
            _ => null,
        };
}

/// <summary>
/// The answer to the host: output binding values, log lines, return value. A non-2xx status
/// fails the invocation (Service Bus then redelivers), so handlers answer 500 when work failed.
/// </summary>
public sealed record InvocationResult(
    [property: JsonPropertyName("Outputs")] Dictionary<string, object?> Outputs,
    [property: JsonPropertyName("Logs")] List<string> Logs,
    [property: JsonPropertyName("ReturnValue")] object? ReturnValue)
{
    public static InvocationResult Empty(params string[] logs) => new([], [.. logs], null);
}

/// <summary>
/// The output binding values a trigger's work produced (a <c>signalR</c> binding's messages),
/// one per invocation scope; the trigger route answers them in <see cref="InvocationResult.Outputs"/>.
/// </summary>
public sealed class InvocationOutputs
{
    private readonly Dictionary<string, object?> _values = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, object?> Values => _values;

    public void Set(string binding, object? value) => _values[binding] = value;
}

public static class EnvelopeValues
{
    /// <summary>
    /// Undoes the host's re-serialization: while the value is a string that is itself JSON, parse
    /// it again. A Service Bus body arrives as a string holding a string holding the JSON.
    /// </summary>
    public static JsonElement Decode(JsonElement value)
    {
        var current = value;
        for (var depth = 0; depth < 4 && current.ValueKind == JsonValueKind.String; depth++)
        {
            var text = current.GetString()!;
            var trimmed = text.TrimStart();
            if (trimmed.Length == 0 || trimmed[0] is not ('{' or '[' or '"'))
            {
                break;
            }

            try
            {
                using var document = JsonDocument.Parse(text);
                current = document.RootElement.Clone();
            }
            catch (JsonException)
            {
                break;
            }
        }

        return current;
    }
}

/// <summary>The timer binding's value: when it was due and whether this run is late.</summary>
public sealed record TimerInfo(bool IsPastDue, DateTimeOffset? Last, DateTimeOffset? Next)
{
    public static TimerInfo From(JsonElement? value)
    {
        if (value is not { ValueKind: JsonValueKind.Object } timer)
        {
            return new TimerInfo(false, null, null);
        }

        var pastDue = timer.TryGetProperty(nameof(IsPastDue), out var p) && p.ValueKind == JsonValueKind.True;
        DateTimeOffset? last = null, next = null;
        if (timer.TryGetProperty("ScheduleStatus", out var status) && status.ValueKind == JsonValueKind.Object)
        {
            last = Instant(status, nameof(Last));
            next = Instant(status, nameof(Next));
        }

        return new TimerInfo(pastDue, last, next);
    }

    private static DateTimeOffset? Instant(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            && DateTimeOffset.TryParse(value.GetString(), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var instant)
            ? instant
            : null;
}
