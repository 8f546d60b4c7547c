using System.Globalization;
using Helpdesk.Api.Deletion;
using Helpdesk.Api.Directory;
using Helpdesk.Api.Tickets;
using Helpdesk.Api.Triggers;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Retention;

/// <summary>
/// The <c>PurgeExpiredTickets</c> timer (hourly): purges, through the deletion path an admin's purge
/// takes (audit row, merged tombstones, visits, files), the closed tickets the retention policy
/// says are kept no longer. At most <see cref="RetentionOptions.BatchSize"/> tickets a run, so one
/// run stays short; the next run reads the rules' tickets again and goes on where this one stopped
/// (purged tickets are gone, a purge cut short is found again and finished). Each ticket is read
/// again and checked against the policy before it goes: one changed since the query stays.
/// </summary>
public sealed partial class PurgeExpiredTickets(
    IDirectoryStore directory,
    IRetentionStore store,
    ITicketStore tickets,
    TicketPurges purges,
    IOptions<RetentionOptions> options,
    TimeProvider clock,
    ILogger<PurgeExpiredTickets> logger) : IScheduledJob
{
    public const string FunctionName = "PurgeExpiredTickets";

    private static readonly Actor Retention = Actor.System("retention");

    public async Task<IReadOnlyList<string>> RunAsync(TimerInfo timer, CancellationToken cancellationToken)
    {
        var policy = (await directory.FindAsync(RetentionPolicy.Kind, RetentionPolicy.Id, cancellationToken))?.Value ?? RetentionPolicy.None;
        var now = clock.GetUtcNow();
        var budget = Math.Max(1, options.Value.BatchSize);
        var logs = new List<string>();
        foreach (var rule in policy.Rules)
        {
            if (budget == 0)
            {
                break;
            }

            var purged = 0;
            var scope = policy.ScopeOf(rule, now);
            foreach (var candidate in await store.CandidatesAsync(scope, 0, budget, cancellationToken))
            {
                var ticket = await tickets.FindIncludingDeletedAsync(candidate.Id, cancellationToken);
                if (ticket is null || !Expired(ticket, policy, rule, now))
                {
                    continue;
                }

                await purges.PurgeAsync(ticket, Retention, now, cancellationToken);
                LogPurged(logger, ticket.Id, rule.Name);
                purged++;
                budget--;
            }

            if (purged > 0)
            {
                logs.Add(string.Create(CultureInfo.InvariantCulture, $"Retention rule '{rule.Name}': {purged} ticket(s) purged"));
            }
        }

        return logs.Count > 0 ? logs : ["No ticket past its retention"];
    }

    /// <summary>The stored ticket still is what the query found: closed, unchanged since the cutoff, not a tombstone, and governed by the rule.</summary>
    private static bool Expired(Ticket ticket, RetentionPolicy policy, RetentionRule rule, DateTimeOffset now) =>
        ticket.Status == TicketStatus.Closed
        && ticket.MergedIntoId is null
        && ticket.UpdatedAt < rule.ClosedBefore(now)
        && policy.RuleFor(ticket.AccountId, ticket.Type) == rule;

    [LoggerMessage(Level = LogLevel.Information, Message = "Purged ticket {TicketId} under retention rule {Rule}")]
    private static partial void LogPurged(ILogger logger, string ticketId, string rule);
}
