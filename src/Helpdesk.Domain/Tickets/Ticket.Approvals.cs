using System.Globalization;
using Helpdesk.Domain.Approvals;
using Helpdesk.Domain.Common;

namespace Helpdesk.Domain.Tickets;

/// <summary>
/// The event types of approvals. The <c>ticket.*</c> ones go with the history line of each change;
/// <see cref="Requested"/> (one per approver asked) and <see cref="Decided"/> (the outcome, for the
/// requester) are what the notification rules react to.
/// </summary>
public static class ApprovalEventTypes
{
    public const string TicketRequested = "ticket.approvalRequested";
    public const string TicketDecided = "ticket.approvalDecided";
    public const string TicketCancelled = "ticket.approvalCancelled";
    public const string TicketExpired = "ticket.approvalExpired";
    public const string Requested = "approval.requested";
    public const string Decided = "approval.decided";

    /// <summary>The request (or its reminder) to one approver of the approval's current step.</summary>
    public static DomainEvent RequestTo(Approval approval, string approverId, Actor by, DateTimeOffset now, bool reminder)
    {
        ArgumentNullException.ThrowIfNull(approval);
        return new DomainEvent(
            Guid.CreateVersion7(now),
            Requested,
            approval.TicketId,
            now,
            by,
            new Dictionary<string, string?>(StringComparer.Ordinal)
            {
                ["approvalId"] = approval.Id,
                ["step"] = approval.CurrentStep.ToString(CultureInfo.InvariantCulture),
                ["approverId"] = approverId,
                ["requestedBy"] = approval.RequestedBy,
                ["reason"] = approval.Reason,
                ["expiresAt"] = approval.ExpiresAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
                ["reminder"] = reminder ? "true" : "false",
            });
    }
}

/// <summary>
/// Approvals on a ticket. The approval lives in its own row; the ticket shows the one pending
/// approval (<see cref="PendingApprovalId"/>), keeps a history line of each step of it, and
/// carries its events, all written in one transaction with the approval. A pending approval does
/// not pause the SLA clocks: it is work on our side, not waiting on the customer.
/// </summary>
public sealed partial class Ticket
{
    /// <summary>The approval waiting for answers, if any; at most one at a time.</summary>
    public string? PendingApprovalId => _state.PendingApprovalId;

    public void RequestApproval(Approval approval, Actor by, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(approval);
        EnsureNotClosed();
        EnsureApprovalOf(approval);
        if (PendingApprovalId is not null)
        {
            throw new DomainRuleException("approval-pending", "The ticket already waits for an approval; cancel it or wait for its outcome first.");
        }

        _state = _state with { PendingApprovalId = approval.Id };
        Record(
            "approvalRequested",
            ApprovalEventTypes.TicketRequested,
            by,
            now,
            [new FieldChange("pendingApproval", null, approval.Id)],
            approval.Reason,
            ("approvalId", approval.Id),
            ("steps", approval.Steps.Count.ToString(CultureInfo.InvariantCulture)),
            ("approverIds", string.Join(',', approval.Current.ApproverIds)));
        AskCurrentStep(approval, by, now);
    }

    /// <summary>An approver answered: one history line; the next step asked, or the outcome told to the requester.</summary>
    public void RecordApprovalDecision(Approval before, Approval after, Actor by, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        EnsureNotClosed();
        EnsureApprovalOf(after);
        var decision = before.Current.Decisions.Count < after.Steps[before.CurrentStep].Decisions.Count
            ? after.Steps[before.CurrentStep].Decisions[^1]
            : throw new ArgumentException("The approval after the decision holds no new decision.", nameof(after));
        var changes = new List<FieldChange>();
        if (!after.IsPending)
        {
            _state = _state with { PendingApprovalId = null };
            changes.Add(new FieldChange("pendingApproval", after.Id, null));
        }

        Record(
            "approvalDecided",
            ApprovalEventTypes.TicketDecided,
            by,
            now,
            changes,
            decision.Comment,
            ("approvalId", after.Id),
            ("step", before.CurrentStep.ToString(CultureInfo.InvariantCulture)),
            ("approverId", decision.ApproverId),
            ("verdict", Names.Of(decision.Verdict)),
            ("channel", Names.Of(decision.Channel)),
            ("status", Names.Of(after.Status)));
        if (after.IsPending && after.CurrentStep != before.CurrentStep)
        {
            AskCurrentStep(after, by, now);
        }
        else if (!after.IsPending)
        {
            TellOutcome(after, by, now, decision.Comment);
        }
    }

    /// <summary>The requester withdrew the approval. Allowed on a closed ticket, so nothing stays pending for ever.</summary>
    public void RecordApprovalCancelled(Approval cancelled, Actor by, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(cancelled);
        EnsureApprovalOf(cancelled);
        SettleWithoutDecision(cancelled, "approvalCancelled", ApprovalEventTypes.TicketCancelled, by, now);
    }

    /// <summary>Nobody answered in time. Allowed on a closed ticket; the requester is told.</summary>
    public void RecordApprovalExpired(Approval expired, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(expired);
        EnsureApprovalOf(expired);
        var by = Actor.System("approvals");
        SettleWithoutDecision(expired, "approvalExpired", ApprovalEventTypes.TicketExpired, by, now);
        TellOutcome(expired, by, now, comment: null);
    }

    private void SettleWithoutDecision(Approval approval, string action, string eventType, Actor by, DateTimeOffset now)
    {
        var changes = new List<FieldChange>();
        if (PendingApprovalId == approval.Id)
        {
            _state = _state with { PendingApprovalId = null };
            changes.Add(new FieldChange("pendingApproval", approval.Id, null));
        }

        Record(action, eventType, by, now, changes, note: null, ("approvalId", approval.Id), ("status", Names.Of(approval.Status)));
    }

    private void AskCurrentStep(Approval approval, Actor by, DateTimeOffset now)
    {
        foreach (var approverId in approval.Current.Waiting)
        {
            _pendingEvents.Add(ApprovalEventTypes.RequestTo(approval, approverId, by, now, reminder: false));
        }
    }

    private void TellOutcome(Approval approval, Actor by, DateTimeOffset now, string? comment) =>
        _pendingEvents.Add(new DomainEvent(
            Guid.CreateVersion7(now),
            ApprovalEventTypes.Decided,
            Id,
            now,
            by,
            new Dictionary<string, string?>(StringComparer.Ordinal)
            {
                ["approvalId"] = approval.Id,
                ["decision"] = Names.Of(approval.Status),
                ["requestedBy"] = approval.RequestedBy,
                ["comment"] = comment,
                ["number"] = Number,
            }));

    private void EnsureApprovalOf(Approval approval)
    {
        if (approval.TicketId != Id)
        {
            throw new ArgumentException("The approval belongs to another ticket.", nameof(approval));
        }
    }
}
