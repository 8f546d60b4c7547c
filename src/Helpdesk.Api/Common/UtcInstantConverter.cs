using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Helpdesk.Api.Common;

/// <summary>
/// Instants on the wire are ISO-8601 in UTC (<c>2026-11-22T09:30:00Z</c>). Input must carry a
/// zone designator: a bare local time is ambiguous and refused rather than guessed.
/// </summary>
public sealed class UtcInstantConverter : JsonConverter<DateTimeOffset>
{
    public static bool TryParse(string text, out DateTimeOffset value)
    {
        value = default;
        var hasZone = text.EndsWith('Z') || text.EndsWith('z') || (text.Length > 6 && text[^6] is '+' or '-' && text[^3] == ':');
        return hasZone && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out value);
    }

    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String && TryParse(reader.GetString()!, out var value))
        {
            return value.ToUniversalTime();
        }

        throw new JsonException("An ISO-8601 instant with a time zone is required.");
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture));
}
