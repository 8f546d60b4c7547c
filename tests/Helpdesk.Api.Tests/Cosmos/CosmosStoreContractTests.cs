using Helpdesk.Api.Activities;
using Helpdesk.Api.Approvals;
using Helpdesk.Api.Attachments;
using Helpdesk.Api.Conversation;
using Helpdesk.Api.Directory;
using Helpdesk.Api.Expenses;
using Helpdesk.Api.Idempotency;
using Helpdesk.Api.Storage.Cosmos;
using Helpdesk.Api.Tests.Storage;
using Helpdesk.Api.Tickets;
using Helpdesk.Api.Time;
using Helpdesk.Domain.Tickets;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Tests.Cosmos;

/// <summary>The store contract on Cosmos DB (the test server), one database per test.</summary>
[Collection(CosmosCollection.Name)]
public sealed class CosmosStoreContractTests(CosmosTestServer server) : StoreContractTests
{
    private readonly string _database = $"contract-{Guid.NewGuid():N}";
    private readonly List<CosmosClient> _clients = [];

    protected override Task<Stores> OpenAsync()
    {
        var client = server.CreateClient(new CosmosJsonSerializer());
        _clients.Add(client);
        var containers = new CosmosContainers(client, Options.Create(new CosmosOptions { Endpoint = server.Endpoint.ToString(), Database = _database }));
        var retry = new CosmosRetry(TimeProvider.System);
        var sequence = new CosmosSequence(containers, retry);
        var keys = new CosmosUniqueKeys(containers, retry);
        var items = new CosmosTicketItems(containers, retry);
        var tickets = StoreEngines.Cosmos(containers, sequence, keys, retry, items);
        return Task.FromResult(new Stores(
            tickets,
            new CosmosTicketNumbers(sequence),
            new CosmosDirectoryStore(containers, sequence, keys, retry),
            new CosmosIdempotencyStore(containers, retry),
            new CosmosConversationStore(items),
            new CosmosTimeStore(items, keys),
            new CosmosCostLineStore(items),
            new CosmosActivityStore(items),
            new CosmosAttachmentIndex(items),
            new CosmosApprovalStore(items)));
    }

    protected override async Task<IReadOnlyList<DomainEvent>> PendingEventsAsync(string ticketId)
    {
        var client = server.CreateClient(new CosmosJsonSerializer());
        _clients.Add(client);
        var document = await client.GetContainer(_database, CosmosContainers.Tickets).ReadItemAsync<TicketDocument>(ticketId, new PartitionKey(ticketId));
        return document.Resource.Events;
    }

    /// <summary>A write that died after storing the message's document and before its ticket write (the commit).</summary>
    protected override async Task LeaveUnfinishedMessageWriteAsync(TicketMessage message)
    {
        var client = server.CreateClient(new CosmosJsonSerializer());
        _clients.Add(client);
        var document = new ItemDocument<TicketMessage>($"message:{message.Id}:{Guid.NewGuid():N}", message.TicketId, CosmosTicketItems.ItemType, "message", message.Id, null, message);
        await client.GetContainer(_database, CosmosContainers.Tickets).CreateItemAsync(document, new PartitionKey(message.TicketId));
    }

    public override async Task DisposeAsync()
    {
        if (_clients.Count > 0)
        {
            using var deleted = await _clients[0].GetDatabase(_database).DeleteStreamAsync();
        }

        foreach (var client in _clients)
        {
            client.Dispose();
        }
    }
}
