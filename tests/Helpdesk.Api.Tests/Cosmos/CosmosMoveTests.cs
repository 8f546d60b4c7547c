using Helpdesk.Api.Common;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Tests.Cosmos;

/// <summary>
/// A message move on Cosmos DB is two commits in two partitions, in the order of a merge
/// (docs/adr/0007-merge-delete-purge.md): these tests stop a move between them, as a crash would,
/// and check that the next read of the source completes it exactly once, and that a refused
/// source commit leaves nothing on the target.
/// </summary>
[Collection(CosmosCollection.Name)]
public sealed class CosmosMoveTests(CosmosTestServer server) : CosmosPartitionTest(server, "move")
{
    [Fact]
    public async Task A_move_that_died_before_the_target_write_is_completed_once_by_the_next_read_of_the_source()
    {
        var process = Open();
        var (a, b) = await TwoTicketsWithThreadsAsync(process);
        var source = (await process.Tickets.FindAsync(a, default))!;
        var target = (await process.Tickets.FindAsync(b, default))!;
        var message = await MessageAsync(process, a, "A second");
        source.MoveMessageTo(target, message, Ada, Next());

        await process.Tickets.WriteMoveSourceAsync(source, target, message.Id, default);

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

        await Should.ThrowAsync<ConcurrencyConflictException>(() => process.Tickets.MoveMessageAsync(source, target, message.Id, default));

        var fresh = Open();
        (await BodiesAsync(fresh, a)).ShouldBe(["A first", "A second", "Meanwhile"]);
        (await BodiesAsync(fresh, b)).ShouldBe(["B first"]);
        (await DocumentsInPartitionAsync(b)).ShouldBe(2, "the ticket and its one message: the copy was deleted");
    }

    private static async Task<TicketMessage> MessageAsync(Process process, string ticketId, string text) =>
        (await process.Messages.ListAsync(ticketId, true, 50, null, default)).Items.Single(m => m.Text == text);
}
