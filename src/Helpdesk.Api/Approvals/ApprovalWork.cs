using Helpdesk.Api.Common;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Approvals;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;
using Microsoft.AspNetCore.Mvc;

namespace Helpdesk.Api.Approvals;

/// <summary>
/// A command on an approval: find its ticket, then through <see cref="TicketRunner"/> read the
/// approval again, check who may act, change it and record it on the ticket, and write both at
/// once. A write that lost a race (another approver answered at the same moment) is tried again
/// on fresh data, where a stale If-Match on the approval is refused.
/// </summary>
public sealed class ApprovalWork(IApprovalStore store, TicketRunner runner)
{
    /// <summary>
    /// <c>refuse</c> answers null to go on, or the problem that refuses the caller (checked on every
    /// attempt); <c>change</c> changes the approval, records it on the ticket, and returns the approval as changed.
    /// </summary>
    public async Task<Outcome<Versioned<Approval>>> RunAsync(
        string approvalId,
        Actor by,
        string? ifMatch,
        Func<Approval, DateTimeOffset, ProblemDetails?> refuse,
        Func<Approval, Ticket, DateTimeOffset, Approval> change,
        CancellationToken cancellationToken)
    {
        var located = await store.FindAsync(approvalId, cancellationToken);
        if (located is null)
        {
            return Problems.Missing("approval");
        }

        var outcome = await runner.RunAsync<Versioned<Approval>>(
            located.Value.TicketId,
            by,
            TicketPrecondition.None,
            async c =>
            {
                var found = await store.FindAsync(approvalId, cancellationToken);
                if (found is null)
                {
                    return Problems.Missing("approval");
                }

                if (ETags.Refusal(ifMatch, found.Version, required: false) is { } stale)
                {
                    return stale;
                }

                if (refuse(found.Value, c.Now) is { } refused)
                {
                    return refused;
                }

                var changed = change(found.Value, c.Ticket, c.Now);
                c.Write(TicketItemWrite.Put(TicketItemKinds.Approval, approvalId, found with { Value = changed }));
                return new Versioned<Approval>(changed, found.Version + 1);
            },
            cancellationToken);
        return outcome.Problem is { Status: StatusCodes.Status404NotFound } ? Problems.Missing("approval") : outcome;
    }

    public static ProblemDetails NotAnApprover() =>
        Problems.Create(StatusCodes.Status403Forbidden, ProblemTypes.Rule("not-an-approver"), "Only an approver of the current step may decide it.", null);
}
