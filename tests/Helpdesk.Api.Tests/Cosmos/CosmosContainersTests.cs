using Helpdesk.Api.Storage.Cosmos;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Tests.Cosmos;

/// <summary>
/// Start-up against a database an earlier version made: containers whose indexing policy or TTL
/// changed since are brought up to date in place, their documents kept; a container whose
/// partition key changed stops the start with a clear message.
/// </summary>
[Collection(CosmosCollection.Name)]
public sealed class CosmosContainersTests(CosmosTestServer server) : IAsyncLifetime
{
    private readonly string _database = $"containers-{Guid.NewGuid():N}";
    private readonly CosmosClient _client = server.CreateClient(new CosmosJsonSerializer());

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        using var deleted = await _client.GetDatabase(_database).DeleteStreamAsync();
        _client.Dispose();
    }

    [Fact]
    public async Task A_container_made_by_an_earlier_version_gets_the_current_indexing_policy_and_keeps_its_documents()
    {
        Database database = await _client.CreateDatabaseIfNotExistsAsync(_database);
        var old = new ContainerProperties(CosmosContainers.Tickets, "/ticketId");
        old.IndexingPolicy.IncludedPaths.Add(new IncludedPath { Path = "/*" });
        old.IndexingPolicy.ExcludedPaths.Add(new ExcludedPath { Path = "/snapshot/*" });
        Container container = await database.CreateContainerAsync(old);
        await container.CreateItemAsync(new { id = "t_1", ticketId = "t_1", type = "ticket" }, new PartitionKey("t_1"));

        await Open().GetAsync(CosmosContainers.Tickets, default);

        var now = (await container.ReadContainerAsync()).Resource;
        var wanted = CosmosContainers.Definitions().Single(c => c.Id == CosmosContainers.Tickets).IndexingPolicy;
        now.IndexingPolicy.ExcludedPaths.Select(p => p.Path).ShouldBeSubsetOf(wanted.ExcludedPaths.Select(p => p.Path).Append("/\"_etag\"/?"));
        now.IndexingPolicy.ExcludedPaths.Select(p => p.Path).ShouldContain("/writes/*");
        now.IndexingPolicy.CompositeIndexes.Count.ShouldBe(wanted.CompositeIndexes.Count);
        (await container.ReadItemAsync<dynamic>("t_1", new PartitionKey("t_1"))).StatusCode.ShouldBe(System.Net.HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_container_that_is_up_to_date_is_left_alone()
    {
        await Open().GetAsync(CosmosContainers.Tickets, default);
        var container = _client.GetContainer(_database, CosmosContainers.Idempotency);
        var before = (await container.ReadContainerAsync()).ETag;

        await Open().GetAsync(CosmosContainers.Idempotency, default);

        (await container.ReadContainerAsync()).ETag.ShouldBe(before);
    }

    [Fact]
    public async Task A_lost_ttl_is_put_back()
    {
        Database database = await _client.CreateDatabaseIfNotExistsAsync(_database);
        var withoutTtl = CosmosContainers.Definitions().Single(c => c.Id == CosmosContainers.Idempotency);
        withoutTtl.DefaultTimeToLive = null;
        Container container = await database.CreateContainerAsync(withoutTtl);

        await Open().GetAsync(CosmosContainers.Idempotency, default);

        (await container.ReadContainerAsync()).Resource.DefaultTimeToLive.ShouldBe(-1);
    }

    [Fact]
    public async Task A_container_partitioned_by_another_key_stops_the_start_and_says_why()
    {
        Database database = await _client.CreateDatabaseIfNotExistsAsync(_database);
        await database.CreateContainerAsync(new ContainerProperties(CosmosContainers.Keys, "/kind"));

        var refused = await Should.ThrowAsync<InvalidOperationException>(() => Open().GetAsync(CosmosContainers.Keys, default));

        refused.Message.ShouldContain("'keys'");
        refused.Message.ShouldContain("'/kind'");
        refused.Message.ShouldContain("'/id'");
    }

    private CosmosContainers Open() =>
        new(_client, Options.Create(new CosmosOptions { Endpoint = server.Endpoint.ToString(), Database = _database }));
}
