using Helpdesk.Api.Common;
using Helpdesk.Api.Events;
using Helpdesk.Api.Storage.Cosmos;
using Helpdesk.Api.Storage.Sqlite;
using Helpdesk.Api.Tests.Storage;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;
using Microsoft.Azure.Cosmos;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Tests.Cosmos;

/// <summary>The standalone relay of Cosmos DB mode: ticket documents drained into the local queue, each event once.</summary>
[Collection(CosmosCollection.Name)]
public sealed class CosmosEventRelayTests(CosmosTestServer server) : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);
    private static readonly Actor Ada = Actor.Agent("agt_ada");
    private readonly CosmosClient _client = server.CreateClient(new CosmosJsonSerializer());
    private readonly string _database = $"relay-{Guid.NewGuid():N}";
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "helpdesk-tests", Guid.NewGuid().ToString("N"));
    private CosmosTicketStore _tickets = null!;
    private OutboxRelay _outbox = null!;
    private CosmosEventRelay _relay = null!;
    private SqliteDatabase _sqlite = null!;

    public Task InitializeAsync()
    {
        var containers = new CosmosContainers(_client, Options.Create(new CosmosOptions { Endpoint = server.Endpoint.ToString(), Database = _database }));
        var retry = new CosmosRetry(TimeProvider.System);
        _tickets = StoreEngines.Cosmos(containers, new CosmosSequence(containers, retry), new CosmosUniqueKeys(containers, retry), retry, new CosmosTicketItems(containers, retry));
        _sqlite = new SqliteDatabase(_folder);
        _sqlite.Migrate([SqliteSchema.Foundation, EventsSchema.Queue]);
        _outbox = new OutboxRelay(_sqlite, [new QueueConsumerRegistration(QueueNames.Notifications, "Notify", typeof(object), _ => true, QueuePolicy.Default, "notify")], new EventTelemetry(new HelpdeskMetrics(new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>())), TimeProvider.System);
        _relay = new CosmosEventRelay(containers, _outbox, retry);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_drained_document_keeps_no_events_and_each_event_is_queued_once()
    {
        var ticket = await CreateAsync();
        ticket.Assign("agt_ada", null, Ada, T0.AddMinutes(1));
        await _tickets.SaveAsync(ticket, default);

        (await _relay.RelayPendingAsync(default)).ShouldBe(2);
        (await _relay.RelayPendingAsync(default)).ShouldBe(0);
        ticket.Start(Ada, T0.AddMinutes(2));
        await _tickets.SaveAsync(ticket, default);
        (await _relay.RelayPendingAsync(default)).ShouldBe(1);

        (await StoredEventsAsync(ticket.Id)).ShouldBeEmpty();
        (await QueuedAsync()).ShouldBe(3);
        (await _tickets.FindAsync(ticket.Id, default))!.Version.ShouldBe(3);
    }

    [Fact]
    public async Task A_crash_between_publishing_and_draining_repeats_no_event()
    {
        var ticket = await CreateAsync();
        await _outbox.PublishAsync(await StoredEventsAsync(ticket.Id), default);

        (await _relay.RelayPendingAsync(default)).ShouldBe(0);

        (await StoredEventsAsync(ticket.Id)).ShouldBeEmpty();
        (await QueuedAsync()).ShouldBe(1);
    }

    [Fact]
    public async Task A_ticket_written_from_before_the_drain_keeps_its_new_events_and_gets_no_old_ones_back()
    {
        var ticket = await CreateAsync();
        await _relay.RelayPendingAsync(default);

        ticket.Assign("agt_ada", null, Ada, T0.AddMinutes(1));
        await _tickets.SaveAsync(ticket, default);

        (await StoredEventsAsync(ticket.Id)).Select(e => e.Type).ShouldBe([TicketEventTypes.Assigned]);
        (await _relay.RelayPendingAsync(default)).ShouldBe(1);
        (await QueuedAsync()).ShouldBe(2);
    }

    public async Task DisposeAsync()
    {
        using var deleted = await _client.GetDatabase(_database).DeleteStreamAsync();
        _client.Dispose();
        SqliteConnection.ClearAllPools();
        if (System.IO.Directory.Exists(_folder))
        {
            System.IO.Directory.Delete(_folder, recursive: true);
        }
    }

    private async Task<Ticket> CreateAsync()
    {
        var ticket = Ticket.Create(
            new NewTicket($"t_{Guid.NewGuid():N}", $"HD-{Guid.NewGuid():N}"[..12], "Printer jams", null, new Requester("con_alice", "alice@contoso.com", "Alice"), null, Priority.Normal, null, null, null, null, null, null, null, null, [], true),
            Actor.Customer("con_alice"),
            TicketSettings.Default,
            T0);
        await _tickets.SaveAsync(ticket, default);
        return ticket;
    }

    private async Task<IReadOnlyList<DomainEvent>> StoredEventsAsync(string ticketId) =>
        (await _client.GetContainer(_database, CosmosContainers.Tickets).ReadItemAsync<TicketDocument>(ticketId, new PartitionKey(ticketId))).Resource.Events;

    private async Task<long> QueuedAsync()
    {
        await using var connection = await _sqlite.OpenAsync(default);
        await using var command = connection.Command("SELECT COUNT(*) FROM queue_messages");
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
