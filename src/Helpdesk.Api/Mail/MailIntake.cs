using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Helpdesk.Api.Common;
using Helpdesk.Domain.Directory;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Mail;

/// <summary>
/// One inbound mail through the steps of its ingestion: fetch it through Graph, filter it
/// (firewall), wait for the mails of its conversation in flight (<see cref="MailConversationLocks"/>),
/// deduplicate it by Message-ID per mailbox (the first mail to take it holds it, and only the
/// holder recovers an attempt of its own that stopped after its ticket write), hold back a burst,
/// thread it onto a ticket (<see cref="MailThreading"/>), write it there
/// (<see cref="MailTicketWriter"/>), settle its journal row, tidy the mailbox.
/// </summary>
/// <remarks>
/// Exactly once: the conversation message id is derived from the mailbox and the Message-ID, so
/// a retry after a crash between storing the message and settling the journal finds its own
/// message instead of adding a second one, and a copy of the same mail under another Graph id
/// cannot be stored twice.
/// </remarks>
public sealed partial class MailIntake(
    IMailJournal journal,
    IMailThreadIds threadIds,
    GraphMailbox graph,
    MailThreading threading,
    MailRules rules,
    MailTicketWriter writer,
    MailConversationLocks conversations,
    IOptions<MailOptions> options,
    HelpdeskMetrics metrics,
    TimeProvider clock,
    ILogger<MailIntake> logger)
{
    /// <summary>How soon a mail that found its conversation leased to another mail is tried again.</summary>
    internal static readonly TimeSpan LeaseRetry = TimeSpan.FromSeconds(5);

    /// <summary>Takes one mail in, in a <c>mail.ingest</c> span (mailbox, journal seq, outcome, ticket id; never the sender or the subject).</summary>
    public async Task IngestAsync(InboundMail mail, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(mail);
        using var span = Telemetry.Start("mail.ingest");
        span?.SetTag(TelemetryTags.Mailbox, mail.Mailbox);
        span?.SetTag(TelemetryTags.MailSeq, mail.Seq);
        try
        {
            var (state, ticketId) = await TakeInAsync(mail, cancellationToken);
            span?.SetTag(TelemetryTags.MailOutcome, state);
            span?.SetTag(TelemetryTags.TicketId, ticketId);
            var counter = state switch
            {
                InboundStates.Done => metrics.MailIngested,
                InboundStates.Filtered => metrics.MailFiltered,
                InboundStates.Quarantined => metrics.MailQuarantined,
                _ => null,
            };
            if (counter is not null)
            {
                HelpdeskMetrics.Add(counter, mail.Mailbox, "in");
            }
        }
        catch (Exception e)
        {
            span.Failed(e);
            throw;
        }
    }

    private async Task<(string State, string? TicketId)> TakeInAsync(InboundMail mail, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var mailbox = settings.Find(mail.Mailbox) ?? throw new InvalidOperationException($"Mailbox {mail.Mailbox} is no longer configured.");

        // Fetch.
        var message = await graph.GetMessageAsync(mailbox, mail.GraphId, cancellationToken);
        if (message is null)
        {
            await SettleAsync(mail, new InboundOutcome(InboundStates.Gone, "The message no longer exists in the mailbox."), cancellationToken);
            return (InboundStates.Gone, null);
        }

        var from = message.From?.EmailAddress?.Address ?? message.Sender?.EmailAddress?.Address ?? string.Empty;
        var internetMessageId = message.InternetMessageId ?? $"<{mail.GraphId}@graph.invalid>";
        var outcome = new InboundOutcome(InboundStates.Done, From: EmailAddresses.Normalize(from), Subject: message.Subject, InternetMessageId: internetMessageId);

        // Filter.
        if (MailFirewall.Classify(message, settings) is { } noise)
        {
            LogFiltered(logger, mail.Seq, noise);
            await SettleAsync(mail, outcome with { State = InboundStates.Filtered, Reason = noise }, cancellationToken);
            return (InboundStates.Filtered, null);
        }

        // One mail of a conversation at a time from here to its settling: an original and its
        // reply taken in side by side would each miss the other's ticket. Within this process the
        // conversation's gates order them; across instances its leases in the store do, and a mail
        // finding a lease held by another mail goes back to the journal for a moment, its attempt
        // not counted, and then threads onto that mail's ticket.
        var cites = MailThreading.Cites(message, internetMessageId);
        var keys = MailConversationLocks.KeysOf(internetMessageId, cites, message.ConversationId).Distinct(StringComparer.Ordinal).ToList();
        using var turn = await conversations.EnterAsync(keys, cancellationToken);
        var now = clock.GetUtcNow();
        if (await threadIds.LeaseAsync(mailbox.Id, keys, mail.Seq, now, now + IngestMail.Lease, cancellationToken) is { } holder)
        {
            LogWaiting(logger, mail.Seq, holder);
            var reason = string.Create(CultureInfo.InvariantCulture, $"Waiting: inbound mail {holder} of this conversation is being taken in.");
            await journal.PutBackAsync(mail.Seq, reason, now + LeaseRetry, cancellationToken);
            return (InboundStates.Pending, null);
        }

        try
        {
            return await TakeInLeasedAsync(mail, mailbox, message, from, internetMessageId, cites, outcome, cancellationToken);
        }
        finally
        {
            await ReleaseLeasesAsync(mailbox.Id, keys, mail.Seq);
        }
    }

    /// <summary>Deduplicates, threads, writes and settles a mail holding its conversation's leases.</summary>
    private async Task<(string State, string? TicketId)> TakeInLeasedAsync(
        InboundMail mail, SupportMailbox mailbox, Microsoft.Graph.Models.Message message, string from, string internetMessageId, IReadOnlyList<string> cites, InboundOutcome outcome, CancellationToken cancellationToken)
    {
        // Deduplicate: the first mail to take the Message-ID holds it; only the holder may finish
        // an attempt of its own that stopped after its ticket write.
        var record = new MessageIdRecord(internetMessageId, mailbox.Id, string.Empty, MessageIdRecord.In, mail.GraphId, message.ConversationId, cites);
        if (await threadIds.TakeAsync(record, mail.Seq, clock.GetUtcNow(), cancellationToken) is { } first)
        {
            var reason = $"Duplicate: the mail with Graph id {first} was taken in first under this Message-ID.";
            await SettleAsync(mail, outcome with { State = InboundStates.Duplicate, Reason = reason }, cancellationToken);
            return (InboundStates.Duplicate, null);
        }

        var messageId = MessageIdFor(mailbox.Id, internetMessageId);
        if (await threadIds.TicketOfStoredMessageAsync(messageId, cancellationToken) is { } storedOn)
        {
            var files = await writer.RecoverAsync(mailbox, mail.GraphId, message, storedOn, messageId, cancellationToken);
            await journal.CompleteAsync(mail.Seq, outcome with { TicketId = storedOn, Reason = string.Join(' ', ["Recovered after an interrupted attempt.", .. files]) }, record with { TicketId = storedOn }, clock.GetUtcNow(), cancellationToken);
            return (InboundStates.Done, storedOn);
        }

        // Hold back a burst.
        if (!mail.Released && await IsBurstAsync(mail.Seq, outcome.From!, cancellationToken) is { } burst)
        {
            LogQuarantined(logger, mail.Seq);
            await SettleAsync(mail, outcome with { State = InboundStates.Quarantined, Reason = burst }, cancellationToken);
            return (InboundStates.Quarantined, null);
        }

        // The mailbox's collector rules: a quarantine holds the mail (a supervisor's release lets it through).
        var routing = await rules.ApplyAsync(mailbox, message, outcome.From!, cancellationToken);
        if (routing.Quarantine is { } held && !mail.Released)
        {
            LogQuarantined(logger, mail.Seq);
            await SettleAsync(mail, outcome with { State = InboundStates.Quarantined, Reason = held }, cancellationToken);
            return (InboundStates.Quarantined, null);
        }

        // Thread, write, settle.
        var threaded = await threading.ResolveAsync(mailbox.Id, internetMessageId, message, from, cancellationToken);
        var written = await writer.WriteAsync(mailbox, mail.GraphId, message, from, messageId, internetMessageId, threaded?.Ticket, routing, cancellationToken);
        CrashPoints.Reach(CrashPoints.TicketWrittenBeforeSettled);
        var signal = threaded?.Signal ?? ThreadSignals.NewTicket;
        var why = written.Notes.Prepend(threaded?.Why).OfType<string>().ToList();
        await journal.CompleteAsync(
            mail.Seq,
            outcome with { TicketId = written.TicketId, ThreadedBy = signal, Reason = why.Count == 0 ? null : string.Join(' ', why) },
            record with { TicketId = written.TicketId },
            clock.GetUtcNow(),
            cancellationToken);
        LogIngested(logger, mail.Seq, written.TicketId, signal);
        await TidyAsync(mailbox, mail, cancellationToken);
        return (InboundStates.Done, written.TicketId);
    }

    /// <summary>The conversation message id of an inbound mail: the same mail always gets the same id.</summary>
    public static string MessageIdFor(string mailbox, string internetMessageId)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(EmailAddresses.Normalize(mailbox) + "\n" + internetMessageId));
        return "msg_" + Convert.ToHexStringLower(hash.AsSpan(0, 16));
    }

    /// <summary>
    /// Gives up the mail's leases once its attempt ended: settled, or failed before its ticket
    /// write (nothing to find) or after it (its <c>taking</c> record and stored message lead to the
    /// ticket). A lease left behind ends with the claim lease or at the next start-up.
    /// </summary>
    private async Task ReleaseLeasesAsync(string mailbox, IReadOnlyList<string> keys, long seq)
    {
        try
        {
            await threadIds.ReleaseLeasesAsync(mailbox, keys, seq, CancellationToken.None);
        }
        catch (Exception e)
        {
            LogLeaseReleaseFailed(logger, e, seq);
        }
    }

    private Task SettleAsync(InboundMail mail, InboundOutcome outcome, CancellationToken cancellationToken) =>
        journal.SettleAsync(mail.Seq, outcome, clock.GetUtcNow(), cancellationToken);

    private async Task<string?> IsBurstAsync(long seq, string from, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var now = clock.GetUtcNow();
        var recent = await journal.TakeInFromSenderAsync(seq, from, now.AddMinutes(-settings.SenderWindowMinutes), now, cancellationToken);
        return recent >= settings.MaxMailsPerSender
            ? string.Create(CultureInfo.InvariantCulture, $"Burst: {recent} mails from this sender within {settings.SenderWindowMinutes} minutes.")
            : null;
    }

    private async Task TidyAsync(SupportMailbox mailbox, InboundMail mail, CancellationToken cancellationToken)
    {
        try
        {
            await graph.TidyAsync(mailbox, mail.GraphId, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The mail is in the helpdesk already; a mailbox left untidy is only cosmetic.
            LogTidyFailed(logger, e, mail.Seq);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Inbound mail {Seq} went to ticket {TicketId} (threaded by {Signal})")]
    private static partial void LogIngested(ILogger logger, long seq, string ticketId, string signal);

    [LoggerMessage(Level = LogLevel.Information, Message = "Inbound mail {Seq} waits for inbound mail {Holder} of its conversation")]
    private static partial void LogWaiting(ILogger logger, long seq, long holder);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Releasing the conversation leases of inbound mail {Seq} failed; they end with its claim lease")]
    private static partial void LogLeaseReleaseFailed(ILogger logger, Exception exception, long seq);

    [LoggerMessage(Level = LogLevel.Information, Message = "Inbound mail {Seq} filtered: {Reason}")]
    private static partial void LogFiltered(ILogger logger, long seq, string reason);

    /// <summary>The sender is a customer's address: it is in the journal for a supervisor, never in the logs.</summary>
    [LoggerMessage(Level = LogLevel.Warning, Message = "Inbound mail {Seq} quarantined (a burst from one sender, or a collector rule)")]
    private static partial void LogQuarantined(ILogger logger, long seq);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Marking read / moving inbound mail {Seq} failed")]
    private static partial void LogTidyFailed(ILogger logger, Exception exception, long seq);
}
