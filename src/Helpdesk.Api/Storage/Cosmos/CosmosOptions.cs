using Microsoft.Azure.Cosmos;

namespace Helpdesk.Api.Storage.Cosmos;

/// <summary>
/// <c>Storage:Cosmos</c>. In Azure only <see cref="Endpoint"/> is set and the app signs in with
/// its managed identity (DefaultAzureCredential); <see cref="Key"/> exists for local test servers.
/// </summary>
public sealed class CosmosOptions
{
    public const string Section = "Storage:Cosmos";

    public string Endpoint { get; set; } = string.Empty;

    public string? Key { get; set; }

    public string Database { get; set; } = "helpdesk";

    /// <summary>Direct in Azure (fewer hops); Gateway through firewalls and against test servers.</summary>
    public ConnectionMode ConnectionMode { get; set; } = ConnectionMode.Direct;

    /// <summary>Create the database and containers at start-up when they are missing (off when infrastructure code owns them).</summary>
    public bool CreateIfMissing { get; set; } = true;
}
