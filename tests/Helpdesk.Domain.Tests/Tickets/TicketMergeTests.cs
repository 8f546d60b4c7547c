using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;
using static Helpdesk.Domain.Tests.Tickets.TicketBuilder;

namespace Helpdesk.Domain.Tests.Tickets;

public sealed class TicketMergeTests
{
    private static Ticket Other(string id)
    {
        var ticket = Ticket.Create(
            new NewTicket(id, $"HD-{id}", "Other", null, new Requester("con_alice", "alice@contoso.com", "Alice"), "acc_contoso", Priority.Normal, null, null, null, null, null, null, null, null, [], true),
            Ada,
            TicketSettings.Default,
            T0);
        ticket.MarkSaved(1);
        return ticket;
    }

    [Fact]
    public void Merging_closes_the_source_as_a_tombstone_and_records_it_on_both_tickets()
    {
        var source = In(TicketStatus.InProgress);
        var target = Other("t_2");

        source.MergeInto(target, Ada, T0.AddHours(1));

        source.Status.ShouldBe(TicketStatus.Closed);
        source.MergedIntoId.ShouldBe("t_2");
        source.EndAt.ShouldBe(T0.AddHours(1));
        target.MergedFromIds.ShouldBe(["t_1"]);
        source.PendingHistory.Single().Action.ShouldBe("merged");
        source.PendingEvents.Single().Type.ShouldBe(TicketRemovalEventTypes.Merged);
        target.PendingHistory.Single().Action.ShouldBe("mergedIn");
        target.PendingEvents.Single().Data["fromId"].ShouldBe("t_1");
    }

    [Fact]
    public void The_targets_side_of_a_merge_and_of_its_undo_applied_again_changes_nothing()
    {
        var source = In(TicketStatus.InProgress);
        var target = Other("t_2");
        source.MergeInto(target, Ada, T0.AddHours(1));

        target.RecordMergedIn(source, Ada, T0.AddHours(1));
        target.MergedFromIds.ShouldBe(["t_1"]);
        target.PendingHistory.Count.ShouldBe(1);

        source.UndoMerge(target, TimeSpan.FromMinutes(30), Ada, T0.AddHours(1).AddMinutes(5));
        target.RecordMergeUndone(source, Ada, T0.AddHours(1).AddMinutes(5));

        target.MergedFromIds.ShouldBeEmpty();
        target.PendingHistory.Select(h => h.Action).ShouldBe(["mergedIn", "mergeUndone"]);
    }

    [Fact]
    public void Undo_within_the_window_gives_back_the_status_and_end_date()
    {
        var source = In(TicketStatus.WaitingOnCustomer);
        var target = Other("t_2");
        source.MergeInto(target, Ada, T0.AddHours(1));

        source.UndoMerge(target, TimeSpan.FromMinutes(30), Ada, T0.AddHours(1).AddMinutes(30));

        source.Status.ShouldBe(TicketStatus.WaitingOnCustomer);
        source.EndAt.ShouldBeNull();
        source.MergedIntoId.ShouldBeNull();
        target.MergedFromIds.ShouldBeEmpty();
    }

    [Fact]
    public void Undo_after_the_window_is_refused()
    {
        var source = In(TicketStatus.Open);
        var target = Other("t_2");
        source.MergeInto(target, Ada, T0);

        Should.Throw<DomainRuleException>(() => source.UndoMerge(target, TimeSpan.FromMinutes(30), Ada, T0.AddMinutes(31))).Code.ShouldBe("merge-undo-expired");
        source.MergedIntoId.ShouldBe("t_2");
    }

    [Fact]
    public void Merging_into_itself_a_tombstone_or_from_a_ticket_that_absorbed_others_is_refused()
    {
        var a = In(TicketStatus.Open);
        var b = Other("t_2");
        var c = Other("t_3");

        Should.Throw<DomainRuleException>(() => a.MergeInto(a, Ada, T0)).Code.ShouldBe("merge-into-self");
        a.MergeInto(b, Ada, T0);
        Should.Throw<DomainRuleException>(() => c.MergeInto(a, Ada, T0)).Code.ShouldBe("merge-into-tombstone");
        Should.Throw<DomainRuleException>(() => b.MergeInto(c, Ada, T0)).Code.ShouldBe("merge-chain");
        Should.Throw<DomainRuleException>(() => a.MergeInto(c, Ada, T0)).Code.ShouldBe("already-merged");
    }

    [Fact]
    public void A_closed_ticket_neither_merges_nor_absorbs()
    {
        var closed = In(TicketStatus.Closed);
        var open = Other("t_2");

        Should.Throw<DomainRuleException>(() => closed.MergeInto(open, Ada, T0)).Code.ShouldBe("ticket-closed");
        Should.Throw<DomainRuleException>(() => open.MergeInto(closed, Ada, T0)).Code.ShouldBe("ticket-closed");
    }

    [Fact]
    public void Deleting_and_restoring_are_recorded_and_restoring_a_live_ticket_is_refused()
    {
        var ticket = In(TicketStatus.Open);

        ticket.Delete(Ada, T0.AddHours(2));
        ticket.IsDeleted.ShouldBeTrue();
        ticket.Restore(Ada, T0.AddHours(3));

        ticket.IsDeleted.ShouldBeFalse();
        ticket.PendingHistory.Select(h => h.Action).ShouldBe(["deleted", "restored"]);
        Should.Throw<DomainRuleException>(() => ticket.Restore(Ada, T0.AddHours(4))).Code.ShouldBe("not-deleted");
    }
}
