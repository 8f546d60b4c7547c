using Helpdesk.Api.Common;
using Helpdesk.Api.Tickets;
using Helpdesk.Api.Storage;
using Helpdesk.Domain.Approvals;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Tests.Storage;

/// <summary>
/// The approval store's contract: an approval is stored with the ticket write that records it
/// (flag, history, events) or not at all, is settled once, and the deadline scan sees only the
/// pending approvals whose reminder or expiry is due.
/// </summary>
public abstract partial class StoreContractTests
{
    /// <summary>The reminder delay the stores are opened with (ApprovalOptions' default).</summary>
    protected static readonly TimeSpan ApprovalReminderAfter = TimeSpan.FromHours(24);

    [Fact]
    public async Task A_requested_approval_is_stored_with_the_ticket_flag_history_and_events()
    {
        var ticket = (await Store.Tickets.FindAsync((await CreateAsync("Refund")).Id, default))!;
        var approval = RequestApproval(ticket, "apr_1", T0.AddDays(7));

        await SaveItemAsync(ticket, TicketItemKinds.Approval, new Versioned<Approval>(approval, 0));

        ticket.Version.ShouldBe(2);
        var found = await Store.Approvals.FindAsync("apr_1", default);
        found.ShouldNotBeNull();
        found.Version.ShouldBe(1);
        StoreJson.Serialize(found.Value).ShouldBe(StoreJson.Serialize(approval));
        (await Store.Tickets.FindAsync(ticket.Id, default))!.PendingApprovalId.ShouldBe("apr_1");
        (await Store.Tickets.HistoryAsync(ticket.Id, 10, null, default)).Items.Select(h => h.Action).ShouldBe(["created", "approvalRequested"]);
        (await PendingEventsAsync(ticket.Id)).Select(e => e.Type).ShouldBe([TicketEventTypes.Created, ApprovalEventTypes.TicketRequested, ApprovalEventTypes.Requested]);
        (await Store.Approvals.FindAsync("apr_missing", default)).ShouldBeNull();
    }

    [Fact]
    public async Task A_decision_from_a_stale_approval_version_stores_nothing()
    {
        var ticket = (await Store.Tickets.FindAsync((await CreateAsync("Refund")).Id, default))!;
        var approval = RequestApproval(ticket, "apr_1", T0.AddDays(7));
        await SaveItemAsync(ticket, TicketItemKinds.Approval, new Versioned<Approval>(approval, 0));
        var first = (await Store.Tickets.FindAsync(ticket.Id, default))!;
        var decided = approval.Decide("agt_bob", ApprovalVerdict.Approve, null, null, DecisionChannel.Api, T0.AddHours(1));
        first.RecordApprovalDecision(approval, decided, Actor.Agent("agt_bob"), T0.AddHours(1));
        await SaveItemAsync(first, TicketItemKinds.Approval, new Versioned<Approval>(decided, 1));

        var second = (await Store.Tickets.FindAsync(ticket.Id, default))!;
        var rejected = approval.Decide("agt_bob", ApprovalVerdict.Reject, null, null, DecisionChannel.Link, T0.AddHours(2));
        second.RecordApprovalDecision(approval, rejected, Actor.Agent("agt_bob"), T0.AddHours(2));

        await Should.ThrowAsync<ConcurrencyConflictException>(() => SaveItemAsync(second, TicketItemKinds.Approval, new Versioned<Approval>(rejected, 1)));
        var stored = (await Store.Approvals.FindAsync("apr_1", default))!;
        stored.Version.ShouldBe(2);
        stored.Value.Status.ShouldBe(ApprovalStatus.Approved);
        (await Store.Tickets.FindAsync(ticket.Id, default))!.Version.ShouldBe(3);
        (await PendingEventsAsync(ticket.Id)).Count(e => e.Type == ApprovalEventTypes.Decided).ShouldBe(1);
    }

    [Fact]
    public async Task Of_10_concurrent_decisions_on_the_same_approval_version_exactly_one_is_stored()
    {
        var ticket = (await Store.Tickets.FindAsync((await CreateAsync("Refund")).Id, default))!;
        var approval = RequestApproval(ticket, "apr_1", T0.AddDays(7), ["agt_bob", "agt_cid"], ApprovalMode.AnyOf);
        await SaveItemAsync(ticket, TicketItemKinds.Approval, new Versioned<Approval>(approval, 0));
        var writers = new List<(Ticket Ticket, Approval Decided)>();
        for (var i = 0; i < 10; i++)
        {
            var copy = (await Store.Tickets.FindAsync(ticket.Id, default))!;
            var approver = i % 2 == 0 ? "agt_bob" : "agt_cid";
            var decided = approval.Decide(approver, i % 3 == 0 ? ApprovalVerdict.Reject : ApprovalVerdict.Approve, $"answer {i}", 0, DecisionChannel.Link, T0.AddHours(1));
            copy.RecordApprovalDecision(approval, decided, Actor.Agent(approver), T0.AddHours(1));
            writers.Add((copy, decided));
        }

        var outcomes = await Task.WhenAll(writers.Select(async w =>
        {
            try
            {
                await SaveItemAsync(w.Ticket, TicketItemKinds.Approval, new Versioned<Approval>(w.Decided, 1));
                return true;
            }
            catch (ConcurrencyConflictException)
            {
                return false;
            }
        }));

        outcomes.Count(won => won).ShouldBe(1);
        var winner = writers[Array.IndexOf(outcomes, true)].Decided;
        StoreJson.Serialize((await Store.Approvals.FindAsync("apr_1", default))!.Value).ShouldBe(StoreJson.Serialize(winner));
        (await Store.Tickets.FindAsync(ticket.Id, default))!.PendingApprovalId.ShouldBeNull();
        (await PendingEventsAsync(ticket.Id)).Count(e => e.Type == ApprovalEventTypes.TicketDecided).ShouldBe(1);
    }

    [Fact]
    public async Task A_tickets_approvals_list_oldest_first_and_page_without_loss()
    {
        var ticket = (await Store.Tickets.FindAsync((await CreateAsync("Refund")).Id, default))!;
        for (var i = 0; i < 5; i++)
        {
            var approval = RequestApproval(ticket, $"apr_{i}", T0.AddDays(7));
            await SaveItemAsync(ticket, TicketItemKinds.Approval, new Versioned<Approval>(approval, 0));
            var cancelled = approval.Cancel(T0.AddMinutes(i + 1));
            ticket.RecordApprovalCancelled(cancelled, Ada, T0.AddMinutes(i + 1));
            await SaveItemAsync(ticket, TicketItemKinds.Approval, new Versioned<Approval>(cancelled, 1));
        }

        var other = (await Store.Tickets.FindAsync((await CreateAsync("Other")).Id, default))!;
        await SaveItemAsync(other, TicketItemKinds.Approval, new Versioned<Approval>(RequestApproval(other, "apr_other", T0.AddDays(7)), 0));

        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var page = await Store.Approvals.ListAsync(ticket.Id, 2, cursor, default);
            page.Items.Count.ShouldBeLessThanOrEqualTo(2);
            seen.AddRange(page.Items.Select(a => a.Value.Id));
            cursor = page.NextCursor;
        }
        while (cursor is not null);

        seen.ShouldBe(["apr_0", "apr_1", "apr_2", "apr_3", "apr_4"]);
        (await Store.Approvals.ListAsync(ticket.Id, 10, null, default)).Items.ShouldAllBe(a => a.Version == 2 && a.Value.Status == ApprovalStatus.Cancelled);
    }

    [Fact]
    public async Task The_deadline_scan_reads_due_pending_approvals_soonest_first_and_a_reminder_is_marked_once()
    {
        var first = (await Store.Tickets.FindAsync((await CreateAsync("Refund")).Id, default))!;
        var second = (await Store.Tickets.FindAsync((await CreateAsync("Laptop")).Id, default))!;
        var third = (await Store.Tickets.FindAsync((await CreateAsync("Licence")).Id, default))!;
        var expiresSoon = RequestApproval(first, "apr_soon", T0.AddHours(2));
        var remindFirst = RequestApproval(second, "apr_remind", T0.AddDays(7));
        var settled = RequestApproval(third, "apr_settled", T0.AddHours(1));
        await SaveItemAsync(first, TicketItemKinds.Approval, new Versioned<Approval>(expiresSoon, 0));
        await SaveItemAsync(second, TicketItemKinds.Approval, new Versioned<Approval>(remindFirst, 0));
        await SaveItemAsync(third, TicketItemKinds.Approval, new Versioned<Approval>(settled, 0));
        var cancelled = settled.Cancel(T0.AddMinutes(5));
        third.RecordApprovalCancelled(cancelled, Ada, T0.AddMinutes(5));
        await SaveItemAsync(third, TicketItemKinds.Approval, new Versioned<Approval>(cancelled, 1));

        (await Store.Approvals.DueAsync(T0.AddHours(1), 10, default)).ShouldBeEmpty();
        (await Store.Approvals.DueAsync(T0.AddDays(2), 10, default)).Select(a => a.Value.Id).ShouldBe(["apr_soon", "apr_remind"]);
        (await Store.Approvals.DueAsync(T0.AddDays(2), 1, default)).Select(a => a.Value.Id).ShouldBe(["apr_soon"]);

        var due = (await Store.Approvals.DueAsync(T0.AddDays(2), 10, default)).Single(a => a.Value.Id == "apr_remind");
        await SaveItemAsync(second, TicketItemKinds.Approval, due with { Value = second.RemindApprovers(due.Value, T0.AddDays(2)) });
        await Should.ThrowAsync<ConcurrencyConflictException>(() => SaveItemAsync(second, TicketItemKinds.Approval, due with { Value = second.RemindApprovers(due.Value, T0.AddDays(2)) }));

        (await Store.Approvals.DueAsync(T0.AddDays(2), 10, default)).Select(a => a.Value.Id).ShouldBe(["apr_soon"]);
        (await Store.Approvals.DueAsync(T0.AddDays(8), 10, default)).Select(a => a.Value.Id).ShouldBe(["apr_soon", "apr_remind"]);
        var stored = (await Store.Approvals.FindAsync("apr_remind", default))!;
        stored.Version.ShouldBe(2);
        stored.Value.Current.RemindedAt.ShouldBe(T0.AddDays(2));
        (await Store.Tickets.FindAsync(second.Id, default))!.Version.ShouldBe(2);
        (await PendingEventsAsync(second.Id)).Count(e => e.Type == ApprovalEventTypes.Requested).ShouldBe(2);
    }

    private static Approval RequestApproval(Ticket ticket, string id, DateTimeOffset expiresAt, IReadOnlyList<string>? approvers = null, ApprovalMode mode = ApprovalMode.AllOf)
    {
        var approval = Approval.Request(id, ticket.Id, "agt_ada", "Please approve", [new ApprovalStepRequest(mode, approvers ?? ["agt_bob"])], T0, expiresAt);
        ticket.RequestApproval(approval, Ada, T0);
        return approval;
    }
}
