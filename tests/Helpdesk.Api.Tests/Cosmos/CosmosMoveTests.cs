using System.Text.Json.Nodes;
using Helpdesk.Api.Common;
using Helpdesk.Api.Storage.Cosmos;
using Helpdesk.Api.Tests.Infrastructure;
using Helpdesk.Api.Tests.Storage;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Tests.Cosmos;

/// <summary>
/// A message move on Cosmos DB is two commits in two partitions, in the order of a merge
/// (docs/adr/0007-merge-delete-purge.md): these tests stop a move between them, as a crash would,
/// and check that the next read of the source completes it exactly once, and that a refused
/// source commit leaves nothing on the target.
/// </summary>
[Collection(CosmosCollection.Name)]
public sealed class CosmosMoveTests(CosmosTestServer server) : IAsyncLifetime
{
    private static readonly Actor Ada = Actor.Agent("agt_ada");
    private readonly string _database = $"move-{Guid.NewGuid():N}";
    private readonly FakeClock _clock = new(new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero));
    private readonly List<CosmosClient> _clients = [];
    private int _tickets;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_clients.Count > 0)
        {
            using var deleted = await _clients[0].GetDatabase(_database).DeleteStreamAsync();
        }

        _clients.ForEach(c => c.Dispose());
    }

    [Fact]
    public async Task A_move_that_died_before_the_target_write_is_completed_once_by_the_next_read_of_the_source()
    {
        var process = Open();
        var (a, b) = await TwoTicketsWithThreadsAsync(process);
        var source = (await process.Tickets.FindAsync(a, default))!;
        var target = (await process.Tickets.FindAsync(b, default))!;
        var message = await MessageAsync(process, a, "A second");
        source.MoveMessageTo(target, message, Ada, Next());

        await process.Moves.WriteSourceAsync(source, target, message.Id, default);

        (await BodiesAsync(process, b)).ShouldBe(["B first"], "the target's write has not happened yet");
        var restarted = Open();
        (await restarted.Tickets.FindAsync(a, default)).ShouldNotBeNull();
        (await BodiesAsync(restarted, a)).ShouldBe(["A first"]);
        (await BodiesAsync(restarted, b)).ShouldBe(["B first", "A second"]);
        (await ActionsAsync(restarted, a)).Count(x => x == "messageMoved").ShouldBe(1);
        (await ActionsAsync(restarted, b)).Count(x => x == "messageMovedIn").ShouldBe(1);

        await restarted.Tickets.CompleteMovesAsync(a, default);
        await Open().Tickets.FindAsync(a, default);

        (await ActionsAsync(Open(), b)).Count(x => x == "messageMovedIn").ShouldBe(1, "completing again changes nothing");
        (await DocumentsInPartitionAsync(b)).ShouldBe(3, "the ticket and its two messages");
        (await DocumentsInPartitionAsync(a)).ShouldBe(2, "the ticket and its one message: the record and the moved value are gone");
    }

    [Fact]
    public async Task A_move_refused_by_the_source_leaves_nothing_on_the_target()
    {
        var process = Open();
        var (a, b) = await TwoTicketsWithThreadsAsync(process);
        var source = (await process.Tickets.FindAsync(a, default))!;
        var target = (await process.Tickets.FindAsync(b, default))!;
        var message = await MessageAsync(process, a, "A second");
        await ReplyAsync(Open(), a, "Meanwhile");
        source.MoveMessageTo(target, message, Ada, Next());

        await Should.ThrowAsync<ConcurrencyConflictException>(() => process.Moves.MoveAsync(source, target, message.Id, default));

        var fresh = Open();
        (await BodiesAsync(fresh, a)).ShouldBe(["A first", "A second", "Meanwhile"]);
        (await BodiesAsync(fresh, b)).ShouldBe(["B first"]);
        (await DocumentsInPartitionAsync(b)).ShouldBe(2, "the ticket and its one message: the copy was deleted");
    }

    private sealed record Process(CosmosTicketStore Tickets, CosmosConversationStore Messages, CosmosMessageMoves Moves);

    /// <summary>A process of its own (its own client and stores) over the test's database.</summary>
    private Process Open()
    {
        var client = server.CreateClient(new CosmosJsonSerializer());
        _clients.Add(client);
        var containers = new CosmosContainers(client, Options.Create(new CosmosOptions { Endpoint = server.Endpoint.ToString(), Database = _database }));
        var retry = new CosmosRetry(TimeProvider.System);
        var keys = new CosmosUniqueKeys(containers, retry);
        var tickets = new CosmosTicketStore(containers, new CosmosSequence(containers, retry), keys, new DueDateScheduler(), retry);
        var items = new CosmosTicketItems(containers, tickets, retry, NullLogger<CosmosTicketItems>.Instance);
        return new Process(tickets, new CosmosConversationStore(items), new CosmosMessageMoves(containers, tickets, items, keys, retry));
    }

    private DateTimeOffset Next()
    {
        _clock.Advance(TimeSpan.FromMinutes(1));
        return _clock.GetUtcNow();
    }

    private async Task<(string A, string B)> TwoTicketsWithThreadsAsync(Process process)
    {
        var a = await CreateAsync(process, "Printer jams");
        var b = await CreateAsync(process, "Printer jams again");
        await ReplyAsync(process, a, "A first");
        await ReplyAsync(process, b, "B first");
        await ReplyAsync(process, a, "A second");
        return (a, b);
    }

    private async Task<string> CreateAsync(Process process, string subject)
    {
        var n = Interlocked.Increment(ref _tickets);
        var ticket = Ticket.Create(
            new NewTicket(Ids.New("t", _clock), $"HD-{n:00000}", subject, null, new Requester("con_alice", "alice@contoso.com", "Alice"), null, Priority.Normal, null, null, null, null, null, null, null, null, [], true),
            Actor.Customer("con_alice"),
            TicketSettings.Default,
            Next());
        await process.Tickets.CreateAsync(ticket, default);
        return ticket.Id;
    }

    private async Task ReplyAsync(Process process, string ticketId, string text)
    {
        var ticket = (await process.Tickets.FindAsync(ticketId, default))!;
        var at = Next();
        var id = Ids.New("msg", _clock);
        ticket.AddAgentReply(id, [], Ada, at);
        await process.Messages.SaveAsync(ticket, new TicketMessage(id, ticketId, at, Ada, "Ada", MessageVisibility.Public, $"<p>{text}</p>", text, [], "api"), default);
    }

    private static async Task<TicketMessage> MessageAsync(Process process, string ticketId, string text) =>
        (await process.Messages.ListAsync(ticketId, true, 50, null, default)).Items.Single(m => m.Text == text);

    private static async Task<string[]> BodiesAsync(Process process, string ticketId) =>
        [.. (await process.Messages.ListAsync(ticketId, true, 50, null, default)).Items.Select(m => m.Text)];

    private static async Task<string[]> ActionsAsync(Process process, string ticketId) =>
        [.. (await process.Tickets.HistoryAsync(ticketId, 100, null, default)).Items.Select(h => h.Action)];

    private async Task<int> DocumentsInPartitionAsync(string ticketId)
    {
        var container = _clients[0].GetContainer(_database, CosmosContainers.Tickets);
        using var iterator = container.GetItemQueryIterator<JsonNode>(new QueryDefinition("SELECT c.id FROM c WHERE c.ticketId = @t").WithParameter("@t", ticketId), requestOptions: new QueryRequestOptions { PartitionKey = new PartitionKey(ticketId) });
        var count = 0;
        while (iterator.HasMoreResults)
        {
            count += (await iterator.ReadNextAsync()).Count;
        }

        return count;
    }
}
