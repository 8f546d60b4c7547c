using System.Security.Cryptography;
using System.Text;

namespace Helpdesk.Api.Storage.Cosmos;

/// <summary>
/// Cosmos DB ids may not contain '/', '\', '?' or '#' and are at most 255 characters; keys made of
/// user input (emails, request paths) are hashed into a fixed-length id instead, marked by a
/// leading '~' that a kept key never contains, so the two forms cannot collide.
/// </summary>
internal static class CosmosIds
{
    public static string Safe(string key) =>
        key.Length <= 200 && key.AsSpan().IndexOfAny("/\\?#~") < 0 && !key.Any(char.IsControl)
            ? key
            : "~" + Hash(key);

    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
