using System.Text.Json.Nodes;
using Helpdesk.Api.Common;
using Helpdesk.Api.Conversation;
using Helpdesk.Api.Storage.Cosmos;
using Helpdesk.Api.Tests.Storage;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Helpdesk.Api.Tests.Cosmos;

/// <summary>
/// Base of the Cosmos DB tests that stop writes half-way or lose their answers: a database of
/// the test's own, "processes" opened on it (each its own client and stores, as a restarted
/// instance would have), and the tickets and replies those tests start from.
/// </summary>
public abstract class CosmosPartitionTest(CosmosTestServer server, string prefix) : IAsyncLifetime
{
    protected static readonly Actor Ada = Actor.Agent("agt_ada");
    private readonly List<CosmosClient> _clients = [];
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero));
    private int _tickets;

    protected string Database { get; } = $"{prefix}-{Guid.NewGuid():N}";

    /// <summary>The tickets container, read and written around the stores (as a crash leaves it).</summary>
    protected Container TicketDocuments => _clients[0].GetContainer(Database, CosmosContainers.Tickets);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_clients.Count > 0)
        {
            using var deleted = await _clients[0].GetDatabase(Database).DeleteStreamAsync();
        }

        _clients.ForEach(c => c.Dispose());
    }

    /// <summary>A process of its own over the test's database; <paramref name="handlers"/> sit between its client and the server.</summary>
    private protected Process Open(params RequestHandler[] handlers)
    {
        var client = server.CreateClient(new CosmosJsonSerializer(), handlers);
        _clients.Add(client);
        var containers = new CosmosContainers(client, Options.Create(new CosmosOptions { Endpoint = server.Endpoint.ToString(), Database = Database }));
        var retry = new CosmosRetry(TimeProvider.System);
        var keys = new CosmosUniqueKeys(containers, retry);
        var items = new CosmosTicketItems(containers, retry);
        return new Process(StoreEngines.Cosmos(containers, new CosmosSequence(containers, retry), keys, retry, items), new CosmosConversationStore(items));
    }

    protected DateTimeOffset Next()
    {
        _clock.Advance(TimeSpan.FromMinutes(1));
        return _clock.GetUtcNow();
    }

    private protected async Task<(string A, string B)> TwoTicketsWithThreadsAsync(Process process)
    {
        var a = await CreateAsync(process, "Printer jams");
        var b = await CreateAsync(process, "Printer jams again");
        await ReplyAsync(process, a, "A first");
        await ReplyAsync(process, b, "B first");
        await ReplyAsync(process, a, "A second");
        return (a, b);
    }

    private protected async Task<string> CreateAsync(Process process, string subject, string? id = null)
    {
        var n = Interlocked.Increment(ref _tickets);
        var ticket = Ticket.Create(
            new NewTicket(id ?? Ids.New("t", _clock), $"HD-{n:00000}", subject, null, new Requester("con_alice", "alice@contoso.com", "Alice"), null, Priority.Normal, null, null, null, null, null, null, null, null, [], true),
            Actor.Customer("con_alice"),
            TicketSettings.Default,
            Next());
        await process.Tickets.SaveAsync(ticket, default);
        return ticket.Id;
    }

    private protected async Task ReplyAsync(Process process, string ticketId, string text)
    {
        var ticket = (await process.Tickets.FindAsync(ticketId, default))!;
        var at = Next();
        var id = Ids.New("msg", _clock);
        ticket.AddAgentReply(id, [], Ada, at);
        await process.Tickets.SaveAsync(ticket, [TicketItemWrite.Add(TicketItemKinds.Message, id, new TicketMessage(id, ticketId, at, Ada, "Ada", MessageVisibility.Public, $"<p>{text}</p>", text, [], "api"))], default);
    }

    private protected static async Task<string[]> BodiesAsync(Process process, string ticketId) =>
        [.. (await process.Messages.ListAsync(ticketId, true, 50, null, default)).Items.Select(m => m.Text)];

    private protected static async Task<string[]> ActionsAsync(Process process, string ticketId) =>
        [.. (await process.Tickets.HistoryAsync(ticketId, 100, null, default)).Items.Select(h => h.Action)];

    protected async Task<int> DocumentsInPartitionAsync(string ticketId)
    {
        using var iterator = TicketDocuments.GetItemQueryIterator<JsonNode>(new QueryDefinition("SELECT c.id FROM c WHERE c.ticketId = @t").WithParameter("@t", ticketId), requestOptions: new QueryRequestOptions { PartitionKey = new PartitionKey(ticketId) });
        var count = 0;
        while (iterator.HasMoreResults)
        {
            count += (await iterator.ReadNextAsync()).Count;
        }

        return count;
    }

    internal sealed record Process(CosmosTicketStore Tickets, CosmosConversationStore Messages);
}
