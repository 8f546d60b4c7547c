using Helpdesk.Api.Storage.Cosmos;
using Helpdesk.Api.Tests.Storage;
using Helpdesk.Api.Webhooks;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Tests.Cosmos;

/// <summary>The webhook store contract on Cosmos DB (the test server), one database per test.</summary>
[Collection(CosmosCollection.Name)]
public sealed class CosmosWebhookStoreContractTests(CosmosTestServer server) : WebhookStoreContractTests
{
    private readonly string _database = $"webhooks-{Guid.NewGuid():N}";
    private CosmosClient? _client;

    protected override Task<IWebhookStore> OpenAsync()
    {
        _client = server.CreateClient(new CosmosJsonSerializer());
        var containers = new CosmosContainers(_client, Options.Create(new CosmosOptions { Endpoint = server.Endpoint.ToString(), Database = _database }));
        return Task.FromResult<IWebhookStore>(new CosmosWebhookStore(containers, Queue, Options.Create(new WebhookRetentionOptions()), new CosmosRetry(TimeProvider.System)));
    }

    public override async Task DisposeAsync()
    {
        if (_client is not null)
        {
            using var deleted = await _client.GetDatabase(_database).DeleteStreamAsync();
            _client.Dispose();
        }

        await base.DisposeAsync();
    }
}
