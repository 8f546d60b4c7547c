using System.Text.Json.Nodes;
using Helpdesk.Api.Common;
using Microsoft.Azure.Cosmos;

namespace Helpdesk.Api.Tests.Cosmos;

/// <summary>
/// A merge on Cosmos DB is two commits in two partitions (docs/adr/0007-merge-delete-purge.md):
/// these tests stop a merge and an undo between them, as a crash would, and check that the next
/// read of the source completes it exactly once.
/// </summary>
[Collection(CosmosCollection.Name)]
public sealed class CosmosMergeTests(CosmosTestServer server) : CosmosPartitionTest(server, "merge")
{
    [Fact]
    public async Task A_merge_that_died_before_the_target_write_is_completed_by_the_next_read_of_the_source()
    {
        var process = Open();
        var (a, b) = await TwoTicketsWithThreadsAsync(process);
        var source = (await process.Tickets.FindAsync(a, default))!;
        var target = (await process.Tickets.FindAsync(b, default))!;
        source.MergeInto(target, Ada, Next());

        await process.Tickets.WriteMergeSourceAsync(source, target, default);

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
        await process.Tickets.MergeAsync(source, target, default);
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
        await process.Tickets.MergeAsync(source, target, default);
        await ReplyAsync(process, b, "After the merge");
        source = (await process.Tickets.FindAsync(a, default))!;
        target = (await process.Tickets.FindIncludingDeletedAsync(b, default))!;
        source.UndoMerge(target, TimeSpan.FromHours(1), Ada, Next());

        await process.Tickets.WriteUndoSourceAsync(source, target, default);

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

        await Should.ThrowAsync<ConcurrencyConflictException>(() => process.Tickets.MergeAsync(source, target, default));

        var fresh = Open();
        (await fresh.Tickets.FindAsync(a, default))!.MergedIntoId.ShouldBeNull();
        (await BodiesAsync(fresh, a)).ShouldBe(["A first", "A second", "Meanwhile"]);
        (await BodiesAsync(fresh, b)).ShouldBe(["B first"]);
        (await DocumentsInPartitionAsync(b)).ShouldBe(2, "the ticket and its one message: the copies were deleted");
    }

    /// <summary>What a process that died after the target's commit, before marking the record done, leaves on the source.</summary>
    private async Task MarkMergePendingAgainAsync(string ticketId)
    {
        var container = TicketDocuments;
        using var read = await container.ReadItemStreamAsync(ticketId, new PartitionKey(ticketId));
        var document = (await JsonNode.ParseAsync(read.Content))!.AsObject();
        var record = document["items"]!.AsArray().Single(r => r!["kind"]!.GetValue<string>() == "merge")!;
        record["id"] = "pending";
        using var body = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(document.ToJsonString()));
        using var replaced = await container.ReplaceItemStreamAsync(body, ticketId, new PartitionKey(ticketId));
        replaced.EnsureSuccessStatusCode();
    }
}
