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
        var retry = new CosmosRetry(TimeProvider.System);
        return Task.FromResult<IWebhookStore>(new CosmosWebhookStore(containers, new CosmosSequence(containers, retry), Queue, Options.Create(new WebhookRetentionOptions()), retry));
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
