using System.Globalization;
using Helpdesk.Api.Common;
using Helpdesk.Api.Tickets;
using Helpdesk.Api.Triggers;
using Helpdesk.Domain.Approvals;
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
public sealed class ProcessApprovalDeadlines(IApprovalStore store, TicketRunner runner, TimeProvider clock) : IScheduledJob
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

    /// <summary>Expires the approval, unless someone answered it or another run acted on it since it was read.</summary>
    private Task<bool> ExpireAsync(Versioned<Approval> due, DateTimeOffset now, CancellationToken cancellationToken) =>
        ActAsync(
            due,
            TicketLookup.Live,
            (approval, ticket) =>
            {
                var expired = approval.Expire(now);
                ticket.RecordApprovalExpired(expired, now);
                return expired;
            },
            cancellationToken);

    /// <summary>Reminds the current step's approvers who have not answered, once.</summary>
    private Task<bool> RemindAsync(Versioned<Approval> due, DateTimeOffset now, CancellationToken cancellationToken) =>
        ActAsync(due, TicketLookup.IncludingDeleted, (approval, ticket) => ticket.RemindApprovers(approval, now), cancellationToken);

    /// <summary>Writes what <paramref name="act"/> makes of the approval, if it is still as it was read.</summary>
    private async Task<bool> ActAsync(Versioned<Approval> due, TicketLookup lookup, Func<Approval, Ticket, Approval> act, CancellationToken cancellationToken)
    {
        var outcome = await runner.RunAsync<bool>(
            due.Value.TicketId,
            Actor.System("approvals"),
            TicketPrecondition.None,
            async c =>
            {
                var current = await store.FindAsync(due.Value.Id, cancellationToken);
                if (current is null || current.Version != due.Version)
                {
                    return false;
                }

                c.Write(TicketItemWrite.Put(TicketItemKinds.Approval, due.Value.Id, current with { Value = act(current.Value, c.Ticket) }));
                return true;
            },
            cancellationToken,
            lookup);
        return outcome.Succeeded && outcome.Value;
    }
}
