using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Helpdesk.Api.Attachments;
using Helpdesk.Api.Conversation;
using Helpdesk.Api.Directory;
using Helpdesk.Api.Tickets;
using Helpdesk.Api.Triggers;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Directory;
using Helpdesk.Domain.Tickets;
using Microsoft.Extensions.Options;
using Microsoft.Graph.Models;
using Contact = Helpdesk.Domain.Directory.Contact;

namespace Helpdesk.Api.Mail;

/// <summary>
/// The <c>IngestMail</c> job: drains the inbound journal. For each recorded mail it fetches the
/// message through Graph, passes it through the firewall, deduplicates it by Message-ID per
/// mailbox, threads it onto a ticket or opens a new one, and records the outcome. A failing mail
/// is retried with backoff and dead-lettered after <see cref="MailOptions.MaxAttempts"/>; it
/// never holds up the others.
/// </summary>
/// <remarks>
/// Exactly once: the conversation message id is derived from the mailbox and the Message-ID, so
/// a retry after a crash between storing the message and settling the journal finds its own
/// message instead of adding a second one, and a copy of the same mail under another Graph id
/// cannot be stored twice.
/// </remarks>
public sealed partial class IngestMail(
    IMailStore store,
    GraphMailbox graph,
    MailThreading threading,
    ConversationService conversation,
    IConversationStore messages,
    TicketReferences references,
    IDirectoryStore directory,
    AttachmentService attachments,
    IAttachmentIndex attachmentIndex,
    IOptions<MailOptions> options,
    TimeProvider clock,
    ILogger<IngestMail> logger) : IScheduledJob
{
    public const string FunctionName = "IngestMail";

    private const int MaxBatchesPerRun = 50;

    /// <summary>Graph serves at most four concurrent requests per mailbox; more only earns 429s.</summary>
    private const int GraphConcurrencyPerMailbox = 4;
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(5);

    public async Task<IReadOnlyList<string>> RunAsync(TimerInfo timer, CancellationToken cancellationToken)
    {
        int done = 0, failed = 0;
        for (var batch = 0; batch < MaxBatchesPerRun; batch++)
        {
            var now = clock.GetUtcNow();
            var claimed = await store.ClaimAsync(now, now + Lease, options.Value.IngestBatchSize, cancellationToken);
            if (claimed.Count == 0)
            {
                break;
            }

            await Parallel.ForEachAsync(
                claimed,
                new ParallelOptions { MaxDegreeOfParallelism = GraphConcurrencyPerMailbox, CancellationToken = cancellationToken },
                async (mail, ct) =>
                {
                    try
                    {
                        await IngestAsync(mail, ct);
                        Interlocked.Increment(ref done);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        Interlocked.Increment(ref failed);
                        await FailAsync(mail, e);
                    }
                });
        }

        return [string.Create(CultureInfo.InvariantCulture, $"ingested {done} mail(s), {failed} failed")];
    }

    private async Task IngestAsync(InboundMail mail, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var mailbox = settings.Find(mail.Mailbox) ?? throw new InvalidOperationException($"Mailbox {mail.Mailbox} is no longer configured.");
        var message = await graph.GetMessageAsync(mailbox, mail.GraphId, cancellationToken);
        if (message is null)
        {
            await store.SettleAsync(mail.Seq, new InboundOutcome(InboundStates.Gone, "The message no longer exists in the mailbox."), clock.GetUtcNow(), cancellationToken);
            return;
        }

        var from = message.From?.EmailAddress?.Address ?? message.Sender?.EmailAddress?.Address ?? string.Empty;
        var internetMessageId = message.InternetMessageId ?? $"<{mail.GraphId}@graph.invalid>";
        var outcome = new InboundOutcome(InboundStates.Done, From: EmailAddresses.Normalize(from), Subject: message.Subject, InternetMessageId: internetMessageId);

        if (MailFirewall.Classify(message, settings) is { } noise)
        {
            LogFiltered(logger, mail.Seq, noise);
            await store.SettleAsync(mail.Seq, outcome with { State = InboundStates.Filtered, Reason = noise }, clock.GetUtcNow(), cancellationToken);
            return;
        }

        if (await store.SeenAsync(mailbox.Id, internetMessageId, mail.Seq, cancellationToken))
        {
            await store.SettleAsync(mail.Seq, outcome with { State = InboundStates.Duplicate, Reason = "Already taken in under this Message-ID." }, clock.GetUtcNow(), cancellationToken);
            return;
        }

        var messageId = MessageIdFor(mailbox.Id, internetMessageId);
        var record = new MessageIdRecord(internetMessageId, mailbox.Id, string.Empty, "in", mail.GraphId, message.ConversationId);
        if (await store.TicketOfStoredMessageAsync(messageId, cancellationToken) is { } storedOn)
        {
            // A previous attempt stored the message and stopped before settling: finish its files and settle it now.
            var author = (await messages.FindAsync(storedOn, messageId, cancellationToken))?.Author ?? Actor.System("mail");
            var files = await ImportAttachmentsAsync(mailbox, mail.GraphId, message, storedOn, messageId, author, cancellationToken);
            await store.CompleteAsync(mail.Seq, outcome with { TicketId = storedOn, Reason = string.Join(' ', ["Recovered after an interrupted attempt.", .. files]) }, record with { TicketId = storedOn }, clock.GetUtcNow(), cancellationToken);
            return;
        }

        if (!mail.Released && await IsBurstAsync(mail.Seq, outcome.From!, cancellationToken) is { } burst)
        {
            LogQuarantined(logger, mail.Seq, outcome.From!);
            await store.SettleAsync(mail.Seq, outcome with { State = InboundStates.Quarantined, Reason = burst }, clock.GetUtcNow(), cancellationToken);
            return;
        }

        var threaded = await threading.ResolveAsync(message, from, cancellationToken);
        var contact = await references.FindOrCreateContactAsync(from, message.From?.EmailAddress?.Name, clock.GetUtcNow(), cancellationToken);
        var cc = Recipients(message, from, settings);
        var body = Body(message);
        var original = OriginalHtml(message);

        string ticketId;
        Actor writer;
        if (threaded is { } found)
        {
            var draft = await DraftAsync(from, contact, body, cc, messageId, original, cancellationToken);
            var posted = await conversation.AddAsync(found.Ticket.Id, draft, cancellationToken)
                ?? throw new InvalidOperationException($"Ticket {found.Ticket.Id} vanished while a mail was added to it.");
            ticketId = posted.Ticket.Id;
            writer = draft.Author;
        }
        else
        {
            ticketId = await OpenTicketAsync(message, mailbox, contact, body, cc, messageId, original, cancellationToken);
            writer = Actor.Customer(contact.Id);
        }

        var notes = await ImportAttachmentsAsync(mailbox, mail.GraphId, message, ticketId, messageId, writer, cancellationToken);
        var signal = threaded?.Signal ?? ThreadSignals.NewTicket;
        await store.CompleteAsync(mail.Seq, outcome with { TicketId = ticketId, ThreadedBy = signal, Reason = notes.Count == 0 ? null : string.Join(' ', notes) }, record with { TicketId = ticketId }, clock.GetUtcNow(), cancellationToken);
        LogIngested(logger, mail.Seq, ticketId, signal);
        await TidyAsync(mailbox, mail, cancellationToken);
    }

    /// <summary>
    /// Imports the mail's files onto its conversation message through the attachment service (its
    /// size limits apply: a file over them is left out and named in the outcome). A winmail.dat
    /// (Outlook's TNEF wrapping) is kept as it is and flagged, since its contents are not unpacked.
    /// A file already on the message (an earlier, interrupted attempt) is not imported twice.
    /// </summary>
    private async Task<List<string>> ImportAttachmentsAsync(SupportMailbox mailbox, string graphId, Message message, string ticketId, string messageId, Actor author, CancellationToken cancellationToken)
    {
        var notes = new List<string>();
        if (message.HasAttachments != true && message.Body?.Content?.Contains("cid:", StringComparison.OrdinalIgnoreCase) != true)
        {
            return notes;
        }

        var present = (await attachmentIndex.ListAsync(ticketId, cancellationToken)).Where(a => a.MessageId == messageId).Select(a => a.FileName).ToHashSet(StringComparer.Ordinal);
        foreach (var file in await graph.GetAttachmentsAsync(mailbox, graphId, cancellationToken))
        {
            var name = string.IsNullOrWhiteSpace(file.Name) ? "attachment" : file.Name;
            if (present.Contains(FileNames.Sanitize(name)))
            {
                continue;
            }

            var bytes = file.ContentBytes ?? [];
            var contentId = file.IsInline == true ? MailOriginals.NormalizeContentId(file.ContentId) : null;
            var added = await attachments.AddAsync(ticketId, messageId, name, () => new MemoryStream(bytes, writable: false), author, cancellationToken, contentId, MessageAttachments.MessageIsOn(messages, messageId));
            if (!added.Succeeded)
            {
                notes.Add($"Attachment \"{name}\" ({bytes.Length} bytes) not imported: over the attachment size limits.");
            }
            else if (string.Equals(name, "winmail.dat", StringComparison.OrdinalIgnoreCase))
            {
                notes.Add("winmail.dat (Outlook TNEF) kept as an attachment; its contents are not unpacked.");
            }
        }

        return notes;
    }

    private async Task<string?> IsBurstAsync(long seq, string from, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var now = clock.GetUtcNow();
        var recent = await store.TakeInFromSenderAsync(seq, from, now.AddMinutes(-settings.SenderWindowMinutes), now, cancellationToken);
        return recent >= settings.MaxMailsPerSender
            ? string.Create(CultureInfo.InvariantCulture, $"Burst: {recent} mails from this sender within {settings.SenderWindowMinutes} minutes.")
            : null;
    }

    /// <summary>An agent writing to the mailbox replies as the agent; anyone else writes as a customer.</summary>
    private async Task<MessageDraft> DraftAsync(string from, Contact contact, SanitizedBody body, IReadOnlyList<string> cc, string messageId, string? original, CancellationToken cancellationToken)
    {
        var agent = await directory.FindByKeyAsync(DirectoryKinds.Agent, EmailAddresses.Normalize(from), cancellationToken);
        return agent is { Active: true }
            ? new MessageDraft(Actor.Agent(agent.Id), agent.Name, MessageVisibility.Public, body, cc, MessageSources.Email, messageId, original)
            : new MessageDraft(Actor.Customer(contact.Id), contact.Name ?? contact.Email, MessageVisibility.Public, body, cc, MessageSources.Email, messageId, original);
    }

    /// <summary>A new ticket for the mail, with the mail as the first message of its conversation.</summary>
    private async Task<string> OpenTicketAsync(Message message, SupportMailbox mailbox, Contact contact, SanitizedBody body, IReadOnlyList<string> cc, string messageId, string? original, CancellationToken cancellationToken)
    {
        var opened = await conversation.OpenAsync(
            new TicketDraft(
                Subject: Ticket.FitSubject(message.Subject),
                Description: Ticket.FitDescription(body.Text),
                Requester: new Requester(contact.Id, contact.Email, contact.Name),
                AccountId: contact.AccountId,
                Type: mailbox.DefaultType,
                TeamId: mailbox.DefaultTeamId),
            new MessageDraft(Actor.Customer(contact.Id), contact.Name ?? contact.Email, MessageVisibility.Public, body, cc, MessageSources.Email, messageId, original),
            cancellationToken);
        return opened.Ticket.Id;
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

    private async Task FailAsync(InboundMail mail, Exception error)
    {
        var now = clock.GetUtcNow();
        var reason = $"{error.GetType().Name}: {error.Message}";
        DateTimeOffset? retryAt = mail.Attempts >= options.Value.MaxAttempts
            ? null
            : now + TimeSpan.FromSeconds(Math.Min(30 * Math.Pow(2, mail.Attempts - 1), 1800));
        if (retryAt is null)
        {
            LogDeadLettered(logger, error, mail.Seq, mail.Attempts);
        }
        else
        {
            LogRetrying(logger, error, mail.Seq, mail.Attempts, retryAt.Value);
        }

        await store.FailAsync(mail.Seq, reason, retryAt, now, CancellationToken.None);
    }

    /// <summary>The text of the mail itself: Graph's uniqueBody (without the quoted history), else the body.</summary>
    private static SanitizedBody Body(Message message)
    {
        var part = message.UniqueBody is { Content.Length: > 0 } unique ? unique : message.Body;
        var content = part?.Content ?? string.Empty;
        var body = part?.ContentType == BodyType.Text ? ConversationService.FromText(content) : HtmlSanitizer.Sanitize(content);
        return body.IsEmpty ? ConversationService.FromText(string.IsNullOrWhiteSpace(message.Subject) ? "(empty mail)" : message.Subject) : body;
    }

    /// <summary>
    /// The mail's full HTML as it arrived (quoted history and <c>cid:</c> images included), kept
    /// unsanitised beside the message and sanitised whenever it is served; a plain-text mail has none.
    /// </summary>
    private static string? OriginalHtml(Message message) =>
        message.Body is { ContentType: BodyType.Html, Content: { Length: > 0 } html }
            ? html.Length > MailOriginals.MaxLength ? html[..MailOriginals.MaxLength] : html
            : null;

    /// <summary>To and Cc addresses other than the sender and the support mailboxes: they stay in copy.</summary>
    private static List<string> Recipients(Message message, string from, MailOptions settings) =>
        [.. (message.ToRecipients ?? []).Concat(message.CcRecipients ?? [])
            .Select(r => r.EmailAddress?.Address)
            .OfType<string>()
            .Where(a => a.Contains('@', StringComparison.Ordinal) && !settings.IsSupportAddress(a) && !string.Equals(a, from, StringComparison.OrdinalIgnoreCase))
            .Select(EmailAddresses.Normalize)
            .Distinct(StringComparer.Ordinal)];

    /// <summary>The conversation message id of an inbound mail: the same mail always gets the same id.</summary>
    public static string MessageIdFor(string mailbox, string internetMessageId)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(EmailAddresses.Normalize(mailbox) + "\n" + internetMessageId));
        return "msg_" + Convert.ToHexStringLower(hash.AsSpan(0, 16));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Inbound mail {Seq} went to ticket {TicketId} (threaded by {Signal})")]
    private static partial void LogIngested(ILogger logger, long seq, string ticketId, string signal);

    [LoggerMessage(Level = LogLevel.Information, Message = "Inbound mail {Seq} filtered: {Reason}")]
    private static partial void LogFiltered(ILogger logger, long seq, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Inbound mail {Seq} quarantined: burst from {Sender}")]
    private static partial void LogQuarantined(ILogger logger, long seq, string sender);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Inbound mail {Seq} failed on attempt {Attempts}; retried at {RetryAt}")]
    private static partial void LogRetrying(ILogger logger, Exception exception, long seq, int attempts, DateTimeOffset retryAt);

    [LoggerMessage(Level = LogLevel.Error, Message = "Inbound mail {Seq} dead-lettered after {Attempts} attempts")]
    private static partial void LogDeadLettered(ILogger logger, Exception exception, long seq, int attempts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Marking read / moving inbound mail {Seq} failed")]
    private static partial void LogTidyFailed(ILogger logger, Exception exception, long seq);
}
