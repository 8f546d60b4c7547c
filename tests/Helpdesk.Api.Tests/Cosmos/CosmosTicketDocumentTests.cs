using Helpdesk.Api.Storage.Cosmos;
using Helpdesk.Api.Tests.Storage;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Tests.Cosmos;

/// <summary>What the Cosmos ticket document holds beyond the shared store contract.</summary>
[Collection(CosmosCollection.Name)]
public sealed class CosmosTicketDocumentTests(CosmosTestServer server) : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);
    private readonly CosmosClient _client = server.CreateClient(new CosmosJsonSerializer());
    private readonly string _database = $"document-{Guid.NewGuid():N}";
    private CosmosTicketStore _store = null!;

    public Task InitializeAsync()
    {
        var containers = new CosmosContainers(_client, Options.Create(new CosmosOptions { Endpoint = server.Endpoint.ToString(), Database = _database }));
        var retry = new CosmosRetry(TimeProvider.System);
        var sequence = new CosmosSequence(containers, retry);
        _store = StoreEngines.Cosmos(containers, sequence, new CosmosUniqueKeys(containers, retry), retry, new CosmosTicketItems(containers, retry));
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Each_version_carries_the_events_of_the_latest_writes_so_a_skipped_version_loses_none()
    {
        var ticket = Ticket.Create(
            new NewTicket("t_1", "HD-1", "Printer jams", null, new Requester("con_a", "a@contoso.com", null), null, Priority.Normal, null, null, null, null, null, null, null, null, [], true),
            Actor.Customer("con_a"),
            TicketSettings.Default,
            T0);
        await _store.SaveAsync(ticket, default);
        for (var i = 1; i <= TicketDocument.RetainedEvents + 4; i++)
        {
            ticket.Update(new TicketChanges { Progress = Optional.Of(i % 100) }, TicketSettings.Default, Actor.Agent("agt_ada"), T0.AddMinutes(i));
            await _store.SaveAsync(ticket, default);
        }

        var document = (await _client.GetContainer(_database, CosmosContainers.Tickets).ReadItemAsync<TicketDocument>("t_1", new PartitionKey("t_1"))).Resource;

        document.Events.Count.ShouldBe(TicketDocument.RetainedEvents);
        document.Events.ShouldAllBe(e => e.Type == TicketEventTypes.Updated);
        document.Events.Select(e => e.OccurredAt).ShouldBeInOrder();
        document.Events[^1].OccurredAt.ShouldBe(T0.AddMinutes(TicketDocument.RetainedEvents + 4));
        document.History.Count.ShouldBe(TicketDocument.RetainedEvents + 5);
        document.Version.ShouldBe(TicketDocument.RetainedEvents + 5);
    }

    public async Task DisposeAsync()
    {
        using var deleted = await _client.GetDatabase(_database).DeleteStreamAsync();
        _client.Dispose();
    }
}
