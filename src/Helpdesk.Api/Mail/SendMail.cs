using System.Globalization;
using Helpdesk.Api.Common;
using Helpdesk.Api.Triggers;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Mail;

/// <summary>
/// The <c>SendMail</c> job: drains the outbound queue through Graph within the mailbox's limits —
/// at most <see cref="OutboundOptions.MessagesPerMinute"/> messages in any minute (the rest wait
/// for the window to free) and <see cref="OutboundOptions.ConcurrentSends"/> at once. A 429 puts
/// the mail back for the Retry-After Graph asked for and holds the mailbox's other mail as long;
/// other failures back off exponentially and dead-letter after
/// <see cref="OutboundOptions.MaxAttempts"/>. Mails that coalesce leave as one message. A mail
/// whose last attempt handed a complete draft to Graph is finished by asking Graph whether that
/// draft went out (<see cref="GraphEmailSender.ResumeAsync"/>), never sent a second time.
/// </summary>
public sealed partial class SendMail(IOutboundMailStore queue, OutboundMail outbound, GraphEmailSender sender, IOptions<MailOptions> options, HelpdeskMetrics metrics, TimeProvider clock, ILogger<SendMail> logger) : IScheduledJob
{
    public const string FunctionName = "SendMail";

    private const int BatchSize = 100;
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    public async Task<IReadOnlyList<string>> RunAsync(TimerInfo timer, CancellationToken cancellationToken)
    {
        var settings = options.Value.Outbound;
        var now = clock.GetUtcNow();
        var claimed = await queue.ClaimAsync(now, now + Lease, BatchSize, cancellationToken);
        int sent = 0, held = 0, failed = 0;
        foreach (var mailbox in claimed.GroupBy(m => m.Mailbox, StringComparer.OrdinalIgnoreCase))
        {
            var groups = mailbox.GroupBy(m => m.CoalesceKey ?? "#" + m.Seq.ToString(CultureInfo.InvariantCulture), StringComparer.Ordinal)
                .SelectMany(Attempts)
                .OrderBy(g => g[0].Seq)
                .ToList();
            var (recent, oldest) = await queue.SentSinceAsync(mailbox.Key, now - Window, cancellationToken);
            var budget = Math.Max(0, settings.MessagesPerMinute - recent);
            var windowFrees = (oldest ?? now) + Window;
            foreach (var group in groups.Skip(budget))
            {
                await queue.ReleaseAsync(group, windowFrees, null, refund: true, now, cancellationToken);
                held++;
            }

            var throttledUntil = (DateTimeOffset?)null;
            var gate = new Lock();
            await Parallel.ForEachAsync(
                groups.Take(budget),
                new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, settings.ConcurrentSends), CancellationToken = cancellationToken },
                async (group, ct) =>
                {
                    DateTimeOffset? pause;
                    lock (gate)
                    {
                        pause = throttledUntil;
                    }

                    if (pause is { } until)
                    {
                        await queue.ReleaseAsync(group, until, "Held back: Graph throttled the mailbox.", refund: true, clock.GetUtcNow(), CancellationToken.None);
                        Interlocked.Increment(ref held);
                        return;
                    }

                    // One send continues the trace of the work that queued the mail; a coalesced group links to each.
                    using var span = group.Count == 1
                        ? Telemetry.Continue("mail.send", group[0].Email.TraceParent, System.Diagnostics.ActivityKind.Internal)
                        : Telemetry.FanIn("mail.send", group.Select(m => m.Email.TraceParent));
                    span?.SetTag(TelemetryTags.Mailbox, mailbox.Key);
                    span?.SetTag(TelemetryTags.TicketId, group[0].Email.TicketId);
                    span?.SetTag("helpdesk.mail.coalesced", group.Count);
                    try
                    {
                        var sentAs = group[0].Handoff is { Ready: true } ready
                            ? await sender.ResumeAsync(ready, group[0].Email, ct)
                            : await sender.SendAsync(await CoalesceAsync(group, ct), group[0].Handoff, (handoff, c) => queue.RecordHandoffAsync(group, handoff, c), ct);
                        await queue.MarkSentAsync(group, sentAs, clock.GetUtcNow(), CancellationToken.None);
                        HelpdeskMetrics.Add(metrics.MailSent, mailbox.Key, "out");
                        Interlocked.Increment(ref sent);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        span.Failed(e);
                        var at = clock.GetUtcNow();
                        if (GraphMailbox.ThrottledFor(e) is { } wait)
                        {
                            lock (gate)
                            {
                                throttledUntil = at + wait;
                            }

                            HelpdeskMetrics.Add(metrics.MailThrottled, mailbox.Key, "out");
                            LogThrottled(logger, mailbox.Key, wait.TotalSeconds);
                            await queue.ReleaseAsync(group, at + wait, string.Create(CultureInfo.InvariantCulture, $"Throttled by Graph: retry after {wait.TotalSeconds} s."), refund: true, at, CancellationToken.None);
                            Interlocked.Increment(ref held);
                            return;
                        }

                        var attempts = group.Max(m => m.Attempts);
                        DateTimeOffset? retryAt = attempts >= settings.MaxAttempts ? null : at + TimeSpan.FromSeconds(Math.Min(30 * Math.Pow(2, attempts - 1), 3600));
                        LogFailed(logger, e, group[0].Email.MessageId, attempts, retryAt);
                        HelpdeskMetrics.Add(metrics.MailSendFailed, mailbox.Key, "out");
                        if (retryAt is null)
                        {
                            HelpdeskMetrics.Add(metrics.MailDeadLettered, mailbox.Key, "out");
                        }

                        await queue.ReleaseAsync(group, retryAt, $"{e.GetType().Name}: {e.Message}", refund: false, at, CancellationToken.None);
                        Interlocked.Increment(ref failed);
                    }
                });
        }

        return [string.Create(CultureInfo.InvariantCulture, $"{sent} mail(s) sent, {held} held back, {failed} failed")];
    }

    /// <summary>
    /// The messages a coalesced group leaves as: the mails an earlier attempt handed to Graph stay
    /// together (that attempt is finished, not redone with mails it did not carry), the rest are one message.
    /// </summary>
    private static IEnumerable<IReadOnlyList<QueuedMail>> Attempts(IEnumerable<QueuedMail> group)
    {
        var mails = group.OrderBy(m => m.Seq).ToList();
        foreach (var attempted in mails.Where(m => m.Handoff is not null).GroupBy(m => m.Handoff!.DraftId, StringComparer.Ordinal))
        {
            yield return [.. attempted];
        }

        if (mails.Where(m => m.Handoff is null).ToList() is { Count: > 0 } fresh)
        {
            yield return fresh;
        }
    }

    /// <summary>One message for a group: the mail itself, or every update of the burst, oldest first, with all their files.</summary>
    private async Task<EmailMessage> CoalesceAsync(IReadOnlyList<QueuedMail> group, CancellationToken cancellationToken)
    {
        if (group.Count == 1)
        {
            return group[0].Email;
        }

        var mails = new List<EmailMessage>();
        foreach (var mail in group)
        {
            mails.Add(await outbound.WithFilesAsync(mail.Email, cancellationToken));
        }

        return Merge(mails);
    }

    /// <summary>
    /// The burst as one message: the first mail's Message-ID (stable across retries), the subject of
    /// the public reply if there is one (it answers the customer's mail) or of the latest update,
    /// the bodies one after the other, every file, and automatic only when every part was. The
    /// header and footer each part was framed with appear once, around the whole (the latest frame).
    /// </summary>
    public static EmailMessage Merge(IReadOnlyList<EmailMessage> mails)
    {
        ArgumentNullException.ThrowIfNull(mails);
        var reply = mails.LastOrDefault(m => m.ConversationMessageId is not null);
        var headers = new Dictionary<string, string>((reply ?? mails[^1]).Headers ?? new Dictionary<string, string>(), StringComparer.OrdinalIgnoreCase);
        if (mails.All(m => m.Headers?.ContainsKey("Auto-Submitted") == true))
        {
            headers["Auto-Submitted"] = "auto-generated";
        }
        else
        {
            headers.Remove("Auto-Submitted");
        }

        headers["X-Helpdesk-Coalesced"] = mails.Count.ToString(CultureInfo.InvariantCulture);
        var frame = mails.LastOrDefault(m => m.Frame is not null)?.Frame ?? new EmailFrame(string.Empty, string.Empty, string.Empty, string.Empty);
        var texts = mails.Select(m => (m.Frame?.Unframe(m.TextBody) ?? m.TextBody).Trim());
        var htmls = mails.Select(m => m.Frame?.UnframeHtml(Inner(m.HtmlBody)) ?? Inner(m.HtmlBody));
        return mails[0] with
        {
            Subject = (reply ?? mails[^1]).Subject,
            TextBody = frame.TextHeader + string.Join("\r\n\r\n-----\r\n\r\n", texts) + "\r\n" + frame.TextFooter,
            HtmlBody = "<html><body>" + frame.HtmlHeader + string.Join("<hr>", htmls) + frame.HtmlFooter + "</body></html>",
            Headers = headers,
            ConversationMessageId = reply?.ConversationMessageId,
            Attachments = [.. mails.SelectMany(m => m.Attachments ?? [])],
            Frame = frame,
        };
    }

    private static string Inner(string html)
    {
        var start = html.IndexOf("<body>", StringComparison.OrdinalIgnoreCase);
        var end = html.LastIndexOf("</body>", StringComparison.OrdinalIgnoreCase);
        return start >= 0 && end > start ? html[(start + 6)..end] : html;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Graph throttled mailbox {Mailbox}: sending again in {Seconds} s")]
    private static partial void LogThrottled(ILogger logger, string mailbox, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sending mail {MessageId} failed on attempt {Attempts}; next attempt at {RetryAt} (none: dead-lettered)")]
    private static partial void LogFailed(ILogger logger, Exception exception, string messageId, int attempts, DateTimeOffset? retryAt);
}
