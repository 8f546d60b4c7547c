using Helpdesk.Api.Common;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Approvals;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Approvals;

/// <summary>
/// Load the approval and its ticket, check who may act, change both through their rules, save
/// them in one transaction. A write that lost a race (another approver answered at the same
/// moment) is tried again on fresh data, unless the client sent If-Match: then it is a 412.
/// </summary>
public sealed class ApprovalWork(IApprovalStore store, ITicketStore tickets, TimeProvider clock)
{
    private const int Attempts = 3;

    /// <summary>
    /// <c>refuse</c> answers null to go on, or the answer that refuses the caller (checked on every
    /// attempt); <c>change</c> changes the approval, records it on the ticket, and returns the approval as changed.
    /// </summary>
    public async Task<IResult> RunAsync(
        string approvalId,
        HttpContext http,
        Func<Approval, DateTimeOffset, IResult?> refuse,
        Func<Approval, Ticket, DateTimeOffset, Approval> change,
        CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var found = await store.FindAsync(approvalId, cancellationToken);
            var ticket = found is null ? null : await tickets.FindAsync(found.Value.TicketId, cancellationToken);
            if (found is null || ticket is null)
            {
                return Problems.NotFound("approval");
            }

            if (ETags.CheckIfSent(http.Request, found.Version) is { } stale)
            {
                return stale;
            }

            var now = clock.GetUtcNow();
            if (refuse(found.Value, now) is { } refused)
            {
                return refused;
            }

            var changed = change(found.Value, ticket, now);
            try
            {
                await store.SaveAsync(ticket, found with { Value = changed }, cancellationToken);
            }
            catch (ConcurrencyConflictException) when (attempt < Attempts && http.Request.Headers.IfMatch.Count == 0)
            {
                continue;
            }

            ETags.Set(http.Response, found.Version + 1);
            return TypedResults.Ok(changed);
        }
    }

    public static IResult NotAnApprover() =>
        Problems.Result(Problems.Create(StatusCodes.Status403Forbidden, ProblemTypes.Rule("not-an-approver"), "Only an approver of the current step may decide it.", null));
}
