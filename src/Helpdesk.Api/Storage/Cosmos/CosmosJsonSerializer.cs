using System.Text.Json;
using Microsoft.Azure.Cosmos;

namespace Helpdesk.Api.Storage.Cosmos;

/// <summary>
/// Documents go through System.Text.Json with <see cref="StoreJson.Options"/>, so a ticket is
/// written to Cosmos DB exactly as it is written to SQLite (camelCase, enums by name), instead
/// of through the SDK's default Newtonsoft settings.
/// </summary>
public sealed class CosmosJsonSerializer : CosmosSerializer
{
    public override T FromStream<T>(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (typeof(Stream).IsAssignableFrom(typeof(T)))
        {
            return (T)(object)stream;
        }

        using (stream)
        {
            return JsonSerializer.Deserialize<T>(stream, StoreJson.Options)!;
        }
    }

    public override Stream ToStream<T>(T input)
    {
        var stream = new MemoryStream();
        JsonSerializer.Serialize(stream, input, StoreJson.Options);
        stream.Position = 0;
        return stream;
    }
}
