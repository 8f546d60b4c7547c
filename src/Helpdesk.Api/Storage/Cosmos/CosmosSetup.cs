using Azure.Identity;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Storage.Cosmos;

public static class CosmosSetup
{
    /// <summary>
    /// The Cosmos DB plumbing the stores share. The client signs in with DefaultAzureCredential (the app's managed
    /// identity in Azure) unless a key is configured, which only local test servers use.
    /// </summary>
    public static IServiceCollection AddCosmosStorage(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<CosmosOptions>().Bind(configuration.GetSection(CosmosOptions.Section))
            .Validate(o => Uri.TryCreate(o.Endpoint, UriKind.Absolute, out _), "Storage:Cosmos:Endpoint must be the account's URL when Storage:Provider is 'cosmos'.")
            .ValidateOnStart();
        services.AddSingleton(sp => CreateClient(sp.GetRequiredService<IOptions<CosmosOptions>>().Value));
        services.AddSingleton<CosmosContainers>();
        services.AddSingleton(new CosmosRetry(TimeProvider.System));
        services.AddSingleton<CosmosSequence>();
        services.AddSingleton<CosmosUniqueKeys>();
        services.AddSingleton<IStoreHealth, CosmosStoreHealth>();
        return services;
    }

    private static CosmosClient CreateClient(CosmosOptions options)
    {
        var clientOptions = new CosmosClientOptions
        {
            ConnectionMode = options.ConnectionMode,
            Serializer = new CosmosJsonSerializer(),
            MaxRetryAttemptsOnRateLimitedRequests = 9,
            MaxRetryWaitTimeOnRateLimitedRequests = TimeSpan.FromSeconds(30),
        };
        return string.IsNullOrEmpty(options.Key)
            ? new CosmosClient(options.Endpoint, new DefaultAzureCredential(), clientOptions)
            : new CosmosClient(options.Endpoint, options.Key, clientOptions);
    }
}

internal sealed class CosmosStoreHealth(CosmosContainers containers) : IStoreHealth
{
    public async Task<bool> IsHealthyAsync(CancellationToken cancellationToken)
    {
        var tickets = await containers.GetAsync(CosmosContainers.Tickets, cancellationToken);
        var read = await tickets.ReadContainerAsync(cancellationToken: cancellationToken);
        return read.StatusCode == System.Net.HttpStatusCode.OK;
    }

    /// <summary>The containers the stores use that the database lacks (one listing, not a read per container).</summary>
    public async Task<IReadOnlyList<string>> MissingSchemaAsync(CancellationToken cancellationToken)
    {
        var database = (await containers.GetAsync(CosmosContainers.Tickets, cancellationToken)).Database;
        var present = new HashSet<string>(StringComparer.Ordinal);
        using var iterator = database.GetContainerQueryIterator<ContainerProperties>();
        while (iterator.HasMoreResults)
        {
            foreach (var container in await iterator.ReadNextAsync(cancellationToken))
            {
                present.Add(container.Id);
            }
        }

        return [.. CosmosContainers.Definitions().Select(d => d.Id).Where(id => !present.Contains(id)).Select(id => $"container {id}")];
    }
}
