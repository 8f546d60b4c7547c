using Helpdesk.Domain.Common;

namespace Helpdesk.Domain.Approvals;

/// <summary>How a step settles: every approver must approve, or the first answer decides.</summary>
public enum ApprovalMode
{
    /// <summary>Every approver approves; one rejection rejects the step.</summary>
    AllOf,

    /// <summary>The first approver to answer settles the step, either way.</summary>
    AnyOf,
}

public enum ApprovalStatus
{
    Pending,
    Approved,
    Rejected,
    Cancelled,
    Expired,
}

public enum ApprovalVerdict
{
    Approve,
    Reject,
}

/// <summary>How a decision reached us: the authenticated API or a signed email link.</summary>
public enum DecisionChannel
{
    Api,
    Link,
}

/// <summary>One approver's answer: who, when, which way, why.</summary>
public sealed record ApprovalDecision(string ApproverId, ApprovalVerdict Verdict, string? Comment, DateTimeOffset At, DecisionChannel Channel);

/// <summary>A step as a request states it.</summary>
public sealed record ApprovalStepRequest(ApprovalMode Mode, IReadOnlyList<string> ApproverIds);

/// <summary>
/// One step of a chain. It starts when the previous one is approved; <see cref="RemindedAt"/>
/// is set once its pending approvers were reminded.
/// </summary>
public sealed record ApprovalStep(
    ApprovalMode Mode,
    IReadOnlyList<string> ApproverIds,
    IReadOnlyList<ApprovalDecision> Decisions,
    ApprovalStatus Status,
    DateTimeOffset? StartedAt,
    DateTimeOffset? RemindedAt)
{
    /// <summary>The approvers of this step who have not answered yet.</summary>
    public IReadOnlyList<string> Waiting => [.. ApproverIds.Where(a => !Decisions.Any(d => d.ApproverId == a))];
}

/// <summary>
/// An approval asked on a ticket (FEATURES.md §8): a reason and an ordered chain of steps, each
/// settled by all of or any of its approvers. A rejection ends the chain; the approval of the
/// last step approves it. It expires unanswered at <see cref="ExpiresAt"/>; the requester may
/// cancel it while it is pending. Once it is no longer pending nothing changes it.
/// </summary>
public sealed record Approval(
    string Id,
    string TicketId,
    string RequestedBy,
    string Reason,
    IReadOnlyList<ApprovalStep> Steps,
    int CurrentStep,
    ApprovalStatus Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    DateTimeOffset? ClosedAt)
{
    public const int MaxReasonLength = 4_000;
    public const int MaxCommentLength = 4_000;
    public const int MaxSteps = 10;
    public const int MaxApproversPerStep = 20;

    public ApprovalStep Current => Steps[CurrentStep];

    public bool IsPending => Status == ApprovalStatus.Pending;

    public static Approval Request(string id, string ticketId, string requestedBy, string reason, IReadOnlyList<ApprovalStepRequest> steps, DateTimeOffset now, DateTimeOffset expiresAt)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        ArgumentException.ThrowIfNullOrWhiteSpace(ticketId);
        ArgumentException.ThrowIfNullOrWhiteSpace(requestedBy);
        ArgumentNullException.ThrowIfNull(steps);
        var cleanReason = reason?.Trim();
        if (string.IsNullOrEmpty(cleanReason) || cleanReason.Length > MaxReasonLength)
        {
            throw new DomainValidationException("reason", $"The reason is required, at most {MaxReasonLength} characters.");
        }

        if (steps.Count is 0 or > MaxSteps)
        {
            throw new DomainValidationException("steps", $"An approval has from 1 to {MaxSteps} steps.");
        }

        if (expiresAt <= now)
        {
            throw new DomainValidationException("expiresAt", "An approval expires in the future.");
        }

        var checkedSteps = steps.Select((s, i) => CheckStep(s, i, requestedBy)).ToList();
        checkedSteps[0] = checkedSteps[0] with { StartedAt = now };
        return new Approval(id, ticketId, requestedBy, cleanReason, checkedSteps, 0, ApprovalStatus.Pending, now, expiresAt, null);
    }

    /// <summary>Whether this agent is asked to answer the step now waiting (answered or not).</summary>
    public bool IsApproverOfCurrentStep(string agentId) => IsPending && Current.ApproverIds.Contains(agentId, StringComparer.Ordinal);

    /// <summary>The approval is pending and still inside its time.</summary>
    public bool IsOpenAt(DateTimeOffset now) => IsPending && now < ExpiresAt;

    /// <summary>
    /// Records one approver's answer on the current step. <paramref name="step"/> is the step a
    /// signed link was made for (null from the API): a link of a step that is over is refused.
    /// </summary>
    public Approval Decide(string approverId, ApprovalVerdict verdict, string? comment, int? step, DecisionChannel channel, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(approverId);
        EnsureOpen(now);
        if (step is { } linked && linked != CurrentStep)
        {
            throw new DomainRuleException("approval-step-closed", "This step of the approval is already settled.");
        }

        if (!Current.ApproverIds.Contains(approverId, StringComparer.Ordinal))
        {
            throw new DomainRuleException("not-an-approver", "Only an approver of the current step may decide it.");
        }

        if (Current.Decisions.Any(d => d.ApproverId == approverId))
        {
            throw new DomainRuleException("already-decided", "This approver already answered this step; a decision is final.");
        }

        var cleanComment = string.IsNullOrWhiteSpace(comment) ? null : comment.Trim();
        if (cleanComment is { Length: > MaxCommentLength })
        {
            throw new DomainValidationException("comment", $"The comment is at most {MaxCommentLength} characters.");
        }

        var decisions = new List<ApprovalDecision>(Current.Decisions) { new(approverId, verdict, cleanComment, now, channel) };
        var stepStatus = (Current.Mode, verdict) switch
        {
            (_, ApprovalVerdict.Reject) => ApprovalStatus.Rejected,
            (ApprovalMode.AnyOf, ApprovalVerdict.Approve) => ApprovalStatus.Approved,
            _ => decisions.Count == Current.ApproverIds.Count ? ApprovalStatus.Approved : ApprovalStatus.Pending,
        };

        var steps = Steps.ToList();
        steps[CurrentStep] = Current with { Decisions = decisions, Status = stepStatus };
        if (stepStatus == ApprovalStatus.Pending)
        {
            return this with { Steps = steps };
        }

        if (stepStatus == ApprovalStatus.Approved && CurrentStep + 1 < Steps.Count)
        {
            steps[CurrentStep + 1] = steps[CurrentStep + 1] with { StartedAt = now };
            return this with { Steps = steps, CurrentStep = CurrentStep + 1 };
        }

        return this with { Steps = steps, Status = stepStatus, ClosedAt = now };
    }

    /// <summary>The requester withdraws the request while it is pending.</summary>
    public Approval Cancel(DateTimeOffset now)
    {
        EnsureOpen(now);
        return Close(ApprovalStatus.Cancelled, now);
    }

    /// <summary>Unanswered at its expiry, a pending approval expires; before that, or once settled, it does not.</summary>
    public Approval Expire(DateTimeOffset now)
    {
        if (!IsPending)
        {
            throw Closed();
        }

        return now < ExpiresAt
            ? throw new DomainRuleException("approval-not-expired", "The approval is still inside its time.")
            : Close(ApprovalStatus.Expired, now);
    }

    /// <summary>When the current step's reminder is due, or null once it was sent.</summary>
    public DateTimeOffset? ReminderAt(TimeSpan delay) =>
        IsPending && Current.RemindedAt is null && Current.StartedAt is { } started ? started + delay : null;

    /// <summary>
    /// The next deadline the deadline timer acts on: the current step's reminder (until sent) if
    /// it comes before the expiry, else the expiry while pending; null once settled.
    /// </summary>
    public DateTimeOffset? DueAt(TimeSpan reminderDelay) =>
        ReminderAt(reminderDelay) is { } remindAt && remindAt < ExpiresAt ? remindAt : IsPending ? ExpiresAt : null;

    public Approval Reminded(DateTimeOffset now)
    {
        if (!IsOpenAt(now))
        {
            throw Closed();
        }

        var steps = Steps.ToList();
        steps[CurrentStep] = Current with { RemindedAt = now };
        return this with { Steps = steps };
    }

    private Approval Close(ApprovalStatus status, DateTimeOffset now)
    {
        var steps = Steps.ToList();
        steps[CurrentStep] = Current with { Status = status };
        return this with { Steps = steps, Status = status, ClosedAt = now };
    }

    private void EnsureOpen(DateTimeOffset now)
    {
        if (!IsPending)
        {
            throw Closed();
        }

        if (now >= ExpiresAt)
        {
            throw new DomainRuleException("approval-expired", "The approval expired unanswered.");
        }
    }

    private DomainRuleException Closed() =>
        new("approval-closed", $"The approval is {Names.Of(Status)}: it cannot change any more.");

    private static ApprovalStep CheckStep(ApprovalStepRequest step, int index, string requestedBy)
    {
        var field = $"steps[{index}].approverIds";
        var approvers = (step.ApproverIds ?? []).Select(a => a?.Trim()).ToList();
        if (approvers.Count is 0 or > MaxApproversPerStep || approvers.Any(string.IsNullOrEmpty))
        {
            throw new DomainValidationException(field, $"A step names from 1 to {MaxApproversPerStep} approvers.");
        }

        var distinct = approvers.Distinct(StringComparer.Ordinal).Select(a => a!).ToArray();
        return distinct.Contains(requestedBy, StringComparer.Ordinal)
            ? throw new DomainValidationException(field, "Nobody approves their own request.")
            : new ApprovalStep(step.Mode, distinct, [], ApprovalStatus.Pending, null, null);
    }
}
