using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Azure.Cosmos;

namespace Helpdesk.Api.Storage.Cosmos;

/// <summary>
/// Documents go through System.Text.Json with <see cref="StoreJson.Options"/>, so a ticket is
/// written to Cosmos DB exactly as it is written to SQLite (camelCase, enums by name), instead
/// of through the SDK's default Newtonsoft settings. One difference: Cosmos DB keeps JSON
/// numbers as IEEE 754 doubles (10.10 comes back as 10.1, large amounts lose digits), so
/// decimals (money) are stored as invariant strings and read from either form.
/// </summary>
public sealed class CosmosJsonSerializer : CosmosSerializer
{
    private static readonly JsonSerializerOptions Options = new(StoreJson.Options) { Converters = { new ExactDecimalConverter() } };

    public override T FromStream<T>(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (typeof(Stream).IsAssignableFrom(typeof(T)))
        {
            return (T)(object)stream;
        }

        using (stream)
        {
            return JsonSerializer.Deserialize<T>(stream, Options)!;
        }
    }

    public override Stream ToStream<T>(T input)
    {
        var stream = new MemoryStream();
        JsonSerializer.Serialize(stream, input, Options);
        stream.Position = 0;
        return stream;
    }

    private sealed class ExactDecimalConverter : JsonConverter<decimal>
    {
        public override decimal Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.String
                ? decimal.Parse(reader.GetString()!, NumberStyles.Number, CultureInfo.InvariantCulture)
                : reader.GetDecimal();

        public override void Write(Utf8JsonWriter writer, decimal value, JsonSerializerOptions options) =>
            writer.WriteStringValue(value.ToString(CultureInfo.InvariantCulture));
    }
}
