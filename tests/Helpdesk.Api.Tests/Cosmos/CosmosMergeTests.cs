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
/// A merge on Cosmos DB is two commits in two partitions (docs/adr/0007-merge-delete-purge.md):
/// these tests stop a merge and an undo between them, as a crash would, and check that the next
/// read of the source completes it exactly once.
/// </summary>
[Collection(CosmosCollection.Name)]
public sealed class CosmosMergeTests(CosmosTestServer server) : IAsyncLifetime
{
    private static readonly Actor Ada = Actor.Agent("agt_ada");
    private readonly string _database = $"merge-{Guid.NewGuid():N}";
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
    public async Task A_merge_that_died_before_the_target_write_is_completed_by_the_next_read_of_the_source()
    {
        var process = Open();
        var (a, b) = await TwoTicketsWithThreadsAsync(process);
        var source = (await process.Tickets.FindAsync(a, default))!;
        var target = (await process.Tickets.FindAsync(b, default))!;
        source.MergeInto(target, Ada, Next());

        await process.Merges.WriteSourceAsync(source, target, default);

        (await BodiesAsync(process, b)).ShouldBe(["B first"], "the target's write has not happened yet");
        var restarted = Open();
        var tombstone = (await restarted.Tickets.FindAsync(a, default))!;
        tombstone.MergedIntoId.ShouldBe(b);
        (await BodiesAsync(restarted, b)).ShouldBe(["A first", "B first", "A second"]);
        (await BodiesAsync(restarted, a)).ShouldBeEmpty();
        (await restarted.Tickets.FindAsync(b, default))!.MergedFromIds.ShouldBe([a]);
        (await ActionsAsync(restarted, b)).Count(x => x == "mergedIn").ShouldBe(1);

        await restarted.Tickets.CompleteMergeAsync(a, default);

        (await BodiesAsync(restarted, b)).ShouldBe(["A first", "B first", "A second"]);
        (await ActionsAsync(restarted, b)).Count(x => x == "mergedIn").ShouldBe(1);
    }

    [Fact]
    public async Task A_completion_repeated_after_dying_before_the_record_was_marked_done_changes_nothing_twice()
    {
        var process = Open();
        var (a, b) = await TwoTicketsWithThreadsAsync(process);
        var source = (await process.Tickets.FindAsync(a, default))!;
        var target = (await process.Tickets.FindAsync(b, default))!;
        source.MergeInto(target, Ada, Next());
        await process.Merges.MergeAsync(source, target, default);
        var targetVersion = (await process.Tickets.FindAsync(b, default))!.Version;

        await MarkMergePendingAgainAsync(a);
        var restarted = Open();
        (await restarted.Tickets.FindAsync(a, default))!.MergedIntoId.ShouldBe(b);

        (await BodiesAsync(restarted, b)).ShouldBe(["A first", "B first", "A second"]);
        (await restarted.Tickets.FindAsync(b, default))!.Version.ShouldBe(targetVersion);
        (await ActionsAsync(restarted, b)).Count(x => x == "mergedIn").ShouldBe(1);
    }

    [Fact]
    public async Task An_undo_that_died_before_the_target_write_is_completed_by_the_next_read_of_the_source()
    {
        var process = Open();
        var (a, b) = await TwoTicketsWithThreadsAsync(process);
        var source = (await process.Tickets.FindAsync(a, default))!;
        var target = (await process.Tickets.FindAsync(b, default))!;
        source.MergeInto(target, Ada, Next());
        await process.Merges.MergeAsync(source, target, default);
        await ReplyAsync(process, b, "After the merge");
        source = (await process.Tickets.FindAsync(a, default))!;
        target = (await process.Tickets.FindIncludingDeletedAsync(b, default))!;
        source.UndoMerge(target, TimeSpan.FromHours(1), Ada, Next());

        await process.Merges.WriteUndoSourceAsync(source, target, default);

        var restarted = Open();
        var restored = (await restarted.Tickets.FindAsync(a, default))!;
        restored.MergedIntoId.ShouldBeNull();
        (await BodiesAsync(restarted, a)).ShouldBe(["A first", "A second"]);
        (await BodiesAsync(restarted, b)).ShouldBe(["B first", "After the merge"]);
        (await restarted.Tickets.FindAsync(b, default))!.MergedFromIds.ShouldBeEmpty();
        (await ActionsAsync(restarted, b)).Last().ShouldBe("mergeUndone");
        await ReplyAsync(restarted, a, "A lives again");
        (await BodiesAsync(restarted, a)).Last().ShouldBe("A lives again");
    }

    [Fact]
    public async Task A_merge_refused_because_the_source_moved_on_leaves_the_target_untouched()
    {
        var process = Open();
        var (a, b) = await TwoTicketsWithThreadsAsync(process);
        var source = (await process.Tickets.FindAsync(a, default))!;
        var target = (await process.Tickets.FindAsync(b, default))!;
        await ReplyAsync(Open(), a, "Meanwhile");
        source.MergeInto(target, Ada, Next());

        await Should.ThrowAsync<ConcurrencyConflictException>(() => process.Merges.MergeAsync(source, target, default));

        var fresh = Open();
        (await fresh.Tickets.FindAsync(a, default))!.MergedIntoId.ShouldBeNull();
        (await BodiesAsync(fresh, a)).ShouldBe(["A first", "A second", "Meanwhile"]);
        (await BodiesAsync(fresh, b)).ShouldBe(["B first"]);
        (await DocumentsInPartitionAsync(b)).ShouldBe(2, "the ticket and its one message: the copies were deleted");
    }

    private sealed record Process(CosmosTicketStore Tickets, CosmosConversationStore Messages, CosmosTicketMerges Merges);

    /// <summary>A process of its own (its own client and stores) over the test's database.</summary>
    private Process Open()
    {
        var client = server.CreateClient(new CosmosJsonSerializer());
        _clients.Add(client);
        var containers = new CosmosContainers(client, Options.Create(new CosmosOptions { Endpoint = server.Endpoint.ToString(), Database = _database }));
        var retry = new CosmosRetry(TimeProvider.System);
        var tickets = new CosmosTicketStore(containers, new CosmosSequence(containers, retry), new CosmosUniqueKeys(containers, retry), new DueDateScheduler(), retry);
        var items = new CosmosTicketItems(containers, tickets, retry, NullLogger<CosmosTicketItems>.Instance);
        return new Process(tickets, new CosmosConversationStore(items), new CosmosTicketMerges(containers, tickets, items, retry));
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

    private static async Task<string[]> BodiesAsync(Process process, string ticketId) =>
        [.. (await process.Messages.ListAsync(ticketId, true, 50, null, default)).Items.Select(m => m.Text)];

    private static async Task<string[]> ActionsAsync(Process process, string ticketId) =>
        [.. (await process.Tickets.HistoryAsync(ticketId, 100, null, default)).Items.Select(h => h.Action)];

    /// <summary>What a process that died after the target's commit, before marking the record done, leaves on the source.</summary>
    private async Task MarkMergePendingAgainAsync(string ticketId)
    {
        var container = _clients[0].GetContainer(_database, CosmosContainers.Tickets);
        using var read = await container.ReadItemStreamAsync(ticketId, new PartitionKey(ticketId));
        var document = (await JsonNode.ParseAsync(read.Content))!.AsObject();
        var record = document["items"]!.AsArray().Single(r => r!["kind"]!.GetValue<string>() == "merge")!;
        record["id"] = "pending";
        using var body = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(document.ToJsonString()));
        using var replaced = await container.ReplaceItemStreamAsync(body, ticketId, new PartitionKey(ticketId));
        replaced.EnsureSuccessStatusCode();
    }

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
