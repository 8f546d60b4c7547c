using System.Globalization;
using Helpdesk.Api.Common;
using Helpdesk.Api.Tickets;
using Helpdesk.Api.Triggers;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Approvals;

/// <summary>
/// The <c>ProcessApprovalDeadlines</c> timer (every five minutes). A pending approval past its
/// expiry expires: the approval, its ticket's history line and the <c>approval.decided</c> event
/// for the requester are one write. A step that waited <see cref="ApprovalOptions.ReminderAfterHours"/>
/// reminds its approvers who have not answered once: one <c>approval.requested</c> event each
/// (marked as a reminder), written with the approval's new version. Both writes are guarded by
/// the version read, so repeated or overlapping runs act once.
/// </summary>
public sealed class ProcessApprovalDeadlines(IApprovalStore store, ITicketStore tickets, TimeProvider clock) : IScheduledJob
{
    public const string FunctionName = "ProcessApprovalDeadlines";
    private const int BatchSize = 200;

    public async Task<IReadOnlyList<string>> RunAsync(TimerInfo timer, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var (reminded, expired) = (0, 0);
        while (true)
        {
            var due = await store.DueAsync(now, BatchSize, cancellationToken);
            var acted = 0;
            foreach (var approval in due)
            {
                if (now >= approval.Value.ExpiresAt)
                {
                    if (await ExpireAsync(approval, now, cancellationToken))
                    {
                        expired++;
                        acted++;
                    }
                }
                else if (await RemindAsync(approval, now, cancellationToken))
                {
                    reminded++;
                    acted++;
                }
            }

            if (due.Count < BatchSize || acted == 0)
            {
                return [string.Create(CultureInfo.InvariantCulture, $"{reminded} approval reminder(s) sent, {expired} approval(s) expired")];
            }
        }
    }

    private async Task<bool> ExpireAsync(Versioned<Domain.Approvals.Approval> approval, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var ticket = await tickets.FindAsync(approval.Value.TicketId, cancellationToken);
        if (ticket is null)
        {
            return false;
        }

        var expiredApproval = approval.Value.Expire(now);
        ticket.RecordApprovalExpired(expiredApproval, now);
        try
        {
            await store.SaveAsync(ticket, approval with { Value = expiredApproval }, cancellationToken);
            return true;
        }
        catch (ConcurrencyConflictException)
        {
            return false;
        }
    }

    private async Task<bool> RemindAsync(Versioned<Domain.Approvals.Approval> approval, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var remindedApproval = approval.Value.Reminded(now);
        var by = Actor.System("approvals");
        var reminders = remindedApproval.Current.Waiting.Select(a => ApprovalEventTypes.RequestTo(remindedApproval, a, by, now, reminder: true)).ToList();
        return await store.MarkRemindedAsync(approval with { Value = remindedApproval }, reminders, cancellationToken);
    }
}
