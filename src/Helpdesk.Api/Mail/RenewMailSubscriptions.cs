using System.Security.Cryptography;
using Helpdesk.Api.Triggers;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Mail;

/// <summary>
/// The <c>RenewMailSubscriptions</c> timer: for every support mailbox, creates the Graph
/// subscription when it is missing, renews it when it expires within the margin, and then
/// catches up through delta, keeping the delta link. Notifications are an accelerator; this run
/// is what guarantees no mail is ever lost. Without a public notification URL (standalone) it
/// only polls through delta.
/// </summary>
public sealed partial class RenewMailSubscriptions(
    GraphMailbox graph,
    IMailSubscriptions subscriptions,
    IMailJournal journal,
    IOptions<MailOptions> options,
    TimeProvider clock,
    ILogger<RenewMailSubscriptions> logger) : IScheduledJob
{
    public const string FunctionName = "RenewMailSubscriptions";

    /// <summary>Graph refuses an Outlook-message subscription that lives longer than this.</summary>
    public const int MaxSubscriptionMinutes = 10_080;

    public async Task<IReadOnlyList<string>> RunAsync(TimerInfo timer, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var logs = new List<string>();
        var held = (await subscriptions.SubscriptionsAsync(cancellationToken)).ToDictionary(s => s.Mailbox, StringComparer.OrdinalIgnoreCase);
        foreach (var mailbox in settings.Mailboxes)
        {
            try
            {
                if (!string.IsNullOrWhiteSpace(settings.NotificationUrl))
                {
                    logs.Add(await KeepSubscribedAsync(mailbox, held.GetValueOrDefault(mailbox.Id), cancellationToken));
                }

                var found = await CatchUpAsync(mailbox, cancellationToken);
                logs.Add($"{mailbox.Id}: delta found {found} new mail(s)");
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // One mailbox failing (throttled, permissions) must not keep the others unserved.
                LogMailboxFailed(logger, e, mailbox.Id);
                logs.Add($"{mailbox.Id}: failed ({e.GetType().Name}); retried next run");
            }
        }

        return logs;
    }

    private async Task<string> KeepSubscribedAsync(SupportMailbox mailbox, MailSubscription? current, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var margin = TimeSpan.FromMinutes(options.Value.RenewMarginMinutes);
        if (current is { ReauthorizeRequested: true } && current.ExpiresAt > now)
        {
            if (await graph.ReauthorizeAsync(current.SubscriptionId, cancellationToken))
            {
                await subscriptions.SaveSubscriptionAsync(current with { ReauthorizeRequested = false }, cancellationToken);
                LogReauthorized(logger, mailbox.Id, current.SubscriptionId);
                current = current with { ReauthorizeRequested = false };
            }
            else
            {
                return await SubscribeAsync(mailbox, current, cancellationToken);
            }
        }

        if (current is not null && current.ExpiresAt - now > margin)
        {
            return $"{mailbox.Id}: subscription {current.SubscriptionId} valid until {current.ExpiresAt:O}";
        }

        var expiresAt = now.AddMinutes(Math.Min(options.Value.SubscriptionMinutes, MaxSubscriptionMinutes));
        if (current is not null && current.ExpiresAt > now && await graph.RenewAsync(current.SubscriptionId, expiresAt, cancellationToken))
        {
            await subscriptions.SaveSubscriptionAsync(current with { ExpiresAt = expiresAt }, cancellationToken);
            LogRenewed(logger, mailbox.Id, current.SubscriptionId, expiresAt);
            return $"{mailbox.Id}: renewed {current.SubscriptionId}";
        }

        return await SubscribeAsync(mailbox, current, cancellationToken);
    }

    /// <summary>Creates a fresh subscription with a new clientState, replacing <paramref name="previous"/> if any.</summary>
    private async Task<string> SubscribeAsync(SupportMailbox mailbox, MailSubscription? previous, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var now = clock.GetUtcNow();
        var expiresAt = now.AddMinutes(Math.Min(settings.SubscriptionMinutes, MaxSubscriptionMinutes));
        if (previous is not null)
        {
            await graph.UnsubscribeAsync(previous.SubscriptionId, cancellationToken);
            await subscriptions.RemoveSubscriptionAsync(previous.SubscriptionId, cancellationToken);
        }

        var clientState = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));
        var created = await graph.SubscribeAsync(mailbox, settings.NotificationUrl!, settings.ResolvedLifecycleUrl!, clientState, expiresAt, cancellationToken);
        await subscriptions.SaveSubscriptionAsync(new MailSubscription(mailbox.Id, created.Id!, clientState, created.ExpirationDateTime ?? expiresAt, ReauthorizeRequested: false), cancellationToken);
        LogSubscribed(logger, mailbox.Id, created.Id!, expiresAt);
        return $"{mailbox.Id}: subscribed {created.Id}";
    }

    /// <summary>Records every mail delta reports since the stored link; ingestion deduplicates against notified ones.</summary>
    private async Task<int> CatchUpAsync(SupportMailbox mailbox, CancellationToken cancellationToken)
    {
        var link = await journal.DeltaLinkAsync(mailbox.Id, cancellationToken);
        var (ids, next) = await graph.DeltaAsync(mailbox, link, cancellationToken);
        return await journal.RecordDeltaAsync(mailbox.Id, ids, next, clock.GetUtcNow(), cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Subscribed to mailbox {Mailbox}: subscription {SubscriptionId} until {ExpiresAt}")]
    private static partial void LogSubscribed(ILogger logger, string mailbox, string subscriptionId, DateTimeOffset expiresAt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Renewed subscription {SubscriptionId} of mailbox {Mailbox} until {ExpiresAt}")]
    private static partial void LogRenewed(ILogger logger, string mailbox, string subscriptionId, DateTimeOffset expiresAt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Reauthorized subscription {SubscriptionId} of mailbox {Mailbox}")]
    private static partial void LogReauthorized(ILogger logger, string mailbox, string subscriptionId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Keeping mailbox {Mailbox} subscribed and caught up failed")]
    private static partial void LogMailboxFailed(ILogger logger, Exception exception, string mailbox);
}
