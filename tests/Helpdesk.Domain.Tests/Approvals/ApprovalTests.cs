using Helpdesk.Domain.Approvals;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;
using static Helpdesk.Domain.Tests.Tickets.TicketBuilder;

namespace Helpdesk.Domain.Tests.Approvals;

public sealed class ApprovalTests
{
    private static readonly DateTimeOffset Expiry = T0.AddDays(7);

    private static Approval Chain(params ApprovalStepRequest[] steps) =>
        Approval.Request("apv_1", "t_1", "agt_ada", "Refund 500 EUR", steps, T0, Expiry);

    private static ApprovalStepRequest AllOf(params string[] ids) => new(ApprovalMode.AllOf, ids);

    private static ApprovalStepRequest AnyOf(params string[] ids) => new(ApprovalMode.AnyOf, ids);

    [Fact]
    public void An_all_of_step_waits_for_every_approver_then_the_chain_moves_to_the_next_step()
    {
        var approval = Chain(AllOf("agt_bob", "agt_cid"), AnyOf("agt_dan"));

        var once = approval.Decide("agt_bob", ApprovalVerdict.Approve, null, null, DecisionChannel.Api, T0.AddMinutes(1));
        var twice = once.Decide("agt_cid", ApprovalVerdict.Approve, "ok", null, DecisionChannel.Api, T0.AddMinutes(2));

        once.CurrentStep.ShouldBe(0);
        once.Current.Waiting.ShouldBe(["agt_cid"]);
        twice.CurrentStep.ShouldBe(1);
        twice.Status.ShouldBe(ApprovalStatus.Pending);
        twice.Current.StartedAt.ShouldBe(T0.AddMinutes(2));
    }

    [Fact]
    public void One_rejection_rejects_an_all_of_step_and_ends_the_chain()
    {
        var rejected = Chain(AllOf("agt_bob", "agt_cid"), AnyOf("agt_dan"))
            .Decide("agt_cid", ApprovalVerdict.Reject, "too much", null, DecisionChannel.Api, T0.AddMinutes(1));

        rejected.Status.ShouldBe(ApprovalStatus.Rejected);
        rejected.ClosedAt.ShouldBe(T0.AddMinutes(1));
        Should.Throw<DomainRuleException>(() => rejected.Decide("agt_bob", ApprovalVerdict.Approve, null, null, DecisionChannel.Api, T0.AddMinutes(2)))
            .Code.ShouldBe("approval-closed");
    }

    [Fact]
    public void The_first_answer_settles_an_any_of_step_and_the_last_step_settles_the_approval()
    {
        var approved = Chain(AnyOf("agt_bob", "agt_cid")).Decide("agt_cid", ApprovalVerdict.Approve, null, null, DecisionChannel.Link, T0.AddMinutes(1));

        approved.Status.ShouldBe(ApprovalStatus.Approved);
        approved.Steps[0].Decisions.ShouldHaveSingleItem().Channel.ShouldBe(DecisionChannel.Link);
    }

    [Fact]
    public void Nobody_outside_the_current_step_decides_and_nobody_decides_twice()
    {
        var approval = Chain(AllOf("agt_bob", "agt_cid"), AnyOf("agt_dan"));

        Should.Throw<DomainRuleException>(() => approval.Decide("agt_dan", ApprovalVerdict.Approve, null, null, DecisionChannel.Api, T0)).Code.ShouldBe("not-an-approver");
        var once = approval.Decide("agt_bob", ApprovalVerdict.Approve, null, null, DecisionChannel.Api, T0);
        Should.Throw<DomainRuleException>(() => once.Decide("agt_bob", ApprovalVerdict.Reject, null, null, DecisionChannel.Api, T0)).Code.ShouldBe("already-decided");
    }

    [Fact]
    public void A_link_of_a_settled_step_is_refused()
    {
        var second = Chain(AnyOf("agt_bob"), AnyOf("agt_bob", "agt_dan")).Decide("agt_bob", ApprovalVerdict.Approve, null, 0, DecisionChannel.Link, T0);

        Should.Throw<DomainRuleException>(() => second.Decide("agt_bob", ApprovalVerdict.Approve, null, 0, DecisionChannel.Link, T0)).Code.ShouldBe("approval-step-closed");
    }

    [Fact]
    public void An_approval_past_its_expiry_takes_no_decision_and_expires()
    {
        var approval = Chain(AnyOf("agt_bob"));

        Should.Throw<DomainRuleException>(() => approval.Decide("agt_bob", ApprovalVerdict.Approve, null, null, DecisionChannel.Api, Expiry)).Code.ShouldBe("approval-expired");
        Should.Throw<DomainRuleException>(() => approval.Expire(Expiry.AddMinutes(-1))).Code.ShouldBe("approval-not-expired");
        approval.Expire(Expiry).Status.ShouldBe(ApprovalStatus.Expired);
    }

    [Fact]
    public void A_reminder_is_due_once_per_step_after_the_delay()
    {
        var approval = Chain(AnyOf("agt_bob"));

        approval.ReminderAt(TimeSpan.FromHours(24)).ShouldBe(T0.AddHours(24));
        approval.Reminded(T0.AddHours(24)).ReminderAt(TimeSpan.FromHours(24)).ShouldBeNull();
    }

    [Theory]
    [InlineData("", "reason")]
    [InlineData("Refund", "steps[0].approverIds")]
    public void A_request_without_reason_or_asking_the_requester_is_invalid(string reason, string field)
    {
        Should.Throw<DomainValidationException>(() => Approval.Request("apv_1", "t_1", "agt_ada", reason, [AnyOf("agt_ada")], T0, Expiry)).Field.ShouldBe(field);
    }

    [Fact]
    public void The_ticket_shows_one_pending_approval_and_asks_each_approver_of_the_step()
    {
        var ticket = New(Ada);
        ticket.MarkSaved(1);
        var approval = Approval.Request("apv_1", ticket.Id, Ada.Id, "Refund", [AllOf("agt_bob", "agt_cid")], T0, Expiry);

        ticket.RequestApproval(approval, Ada, T0);

        ticket.PendingApprovalId.ShouldBe("apv_1");
        ticket.PendingHistory.ShouldHaveSingleItem().Action.ShouldBe("approvalRequested");
        ticket.PendingEvents.Where(e => e.Type == ApprovalEventTypes.Requested).Select(e => e.Data["approverId"]).ShouldBe(["agt_bob", "agt_cid"]);
        Should.Throw<DomainRuleException>(() => ticket.RequestApproval(approval with { Id = "apv_2" }, Ada, T0)).Code.ShouldBe("approval-pending");
    }

    [Fact]
    public void The_outcome_clears_the_pending_approval_and_tells_the_requester()
    {
        var ticket = New(Ada);
        var approval = Approval.Request("apv_1", ticket.Id, Ada.Id, "Refund", [AnyOf("agt_bob")], T0, Expiry);
        ticket.RequestApproval(approval, Ada, T0);
        ticket.MarkSaved(1);
        var approved = approval.Decide("agt_bob", ApprovalVerdict.Approve, "fine", null, DecisionChannel.Api, T0.AddMinutes(5));

        ticket.RecordApprovalDecision(approval, approved, Actor.Agent("agt_bob"), T0.AddMinutes(5));

        ticket.PendingApprovalId.ShouldBeNull();
        ticket.PendingHistory.ShouldHaveSingleItem().Note.ShouldBe("fine");
        var told = ticket.PendingEvents.Single(e => e.Type == ApprovalEventTypes.Decided);
        told.Data["decision"].ShouldBe("approved");
        told.Data["requestedBy"].ShouldBe(Ada.Id);
    }

    [Fact]
    public void A_closed_ticket_takes_no_decision_but_its_approval_still_expires()
    {
        var ticket = New(Ada);
        var approval = Approval.Request("apv_1", ticket.Id, Ada.Id, "Refund", [AnyOf("agt_bob")], T0, Expiry);
        ticket.RequestApproval(approval, Ada, T0);
        ticket.Close(null, Ada, T0.AddMinutes(1));
        var approved = approval.Decide("agt_bob", ApprovalVerdict.Approve, null, null, DecisionChannel.Api, T0.AddMinutes(2));

        Should.Throw<DomainRuleException>(() => ticket.RecordApprovalDecision(approval, approved, Actor.Agent("agt_bob"), T0.AddMinutes(2))).Code.ShouldBe("ticket-closed");
        ticket.RecordApprovalExpired(approval.Expire(Expiry), Expiry);
        ticket.PendingApprovalId.ShouldBeNull();
    }
}
