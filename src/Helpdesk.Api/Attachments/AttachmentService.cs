using Helpdesk.Api.Common;
using Helpdesk.Api.Conversation;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Common;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Attachments;

/// <summary>What an upload came to: the attachment, or the problem to answer.</summary>
public sealed record AttachmentResult(Attachment? Attachment, IResult? Problem);

/// <summary>
/// Adds and removes a ticket's files. The bytes are stored first (content-addressed, so a retry
/// stores nothing new); the attachment row is then written with the ticket's history entry,
/// guarded by the ticket's version, which also makes the per-ticket total safe against
/// concurrent uploads: the loser of a race re-reads the ticket and counts again.
/// </summary>
public sealed class AttachmentService(
    ITicketStore tickets,
    IConversationStore messages,
    IAttachmentIndex index,
    IAttachmentStore store,
    AttachmentContents contents,
    Caller caller,
    IOptions<AttachmentOptions> options,
    TimeProvider clock)
{
    private const int Attempts = 3;

    /// <summary>
    /// Adds a file as the caller, or as <paramref name="uploadedBy"/> when given (a mail's sender,
    /// for its attachments). <paramref name="contentId"/> marks an inline image of a mail.
    /// </summary>
    public async Task<AttachmentResult> AddAsync(string ticketId, string? messageId, string? fileName, Func<Stream> open, Actor? uploadedBy, CancellationToken cancellationToken, string? contentId = null)
    {
        ArgumentNullException.ThrowIfNull(open);
        var limits = options.Value;
        var addressed = await tickets.FindAsync(ticketId, cancellationToken);
        if (addressed is null)
        {
            return new(null, Problems.NotFound("ticket"));
        }

        // A file sent to a ticket merged into another goes where its messages went.
        ticketId = addressed.MergedIntoId ?? ticketId;

        if (messageId is not null && await messages.FindAsync(ticketId, messageId, cancellationToken) is null)
        {
            return new(null, Problems.NotFound("message"));
        }

        var name = FileNames.Sanitize(fileName);
        string contentType;
        StoredContent content;
        await using (var stream = open())
        {
            var head = new byte[FileTypes.SniffLength];
            var read = await stream.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, cancellationToken);
            contentType = FileTypes.Sniff(head.AsSpan(0, read), name);
        }

        try
        {
            await using var stream = open();
            content = await store.PutAsync(stream, limits.MaxFileBytes, cancellationToken);
        }
        catch (AttachmentTooLargeException e)
        {
            return new(null, TooLarge(e.Message));
        }

        var by = uploadedBy ?? await caller.ActorAsync(cancellationToken);
        for (var attempt = 1; ; attempt++)
        {
            var ticket = await tickets.FindAsync(ticketId, cancellationToken);
            if (ticket is null)
            {
                return new(null, Problems.NotFound("ticket"));
            }

            var total = (await index.ListAsync(ticketId, cancellationToken)).Sum(a => a.Size);
            if (total + content.Size > limits.MaxTicketBytes)
            {
                await contents.ForgetUnlessReferencedAsync(content.Hash, cancellationToken);
                return new(null, TooLarge($"A ticket carries at most {limits.MaxTicketBytes} bytes of files; it has {total}."));
            }

            var now = clock.GetUtcNow();
            var attachment = new Attachment(Ids.New("att", clock), ticketId, messageId, name, contentType, content.Size, content.Hash, now, by, contentId);
            try
            {
                ticket.AddAttachment(attachment.Id, attachment.FileName, attachment.Size, messageId, by, now);
            }
            catch (DomainRuleException)
            {
                await contents.ForgetUnlessReferencedAsync(content.Hash, cancellationToken);
                throw;
            }

            try
            {
                await contents.AttachAsync(content, open, limits.MaxFileBytes, () => index.AddAsync(ticket, attachment, cancellationToken), cancellationToken);
                return new(attachment, null);
            }
            catch (ConcurrencyConflictException) when (attempt < Attempts)
            {
            }
        }
    }

    /// <summary>Null when removed; else the problem to answer.</summary>
    public async Task<IResult?> RemoveAsync(string ticketId, string attachmentId, CancellationToken cancellationToken)
    {
        var by = await caller.ActorAsync(cancellationToken);
        for (var attempt = 1; ; attempt++)
        {
            var ticket = await tickets.FindAsync(ticketId, cancellationToken);
            var attachment = ticket is null ? null : await index.FindAsync(ticketId, attachmentId, cancellationToken);
            if (ticket is null || attachment is null)
            {
                return Problems.NotFound("attachment");
            }

            ticket.RemoveAttachment(attachment.Id, attachment.FileName, by, clock.GetUtcNow());
            try
            {
                await index.RemoveAsync(ticket, attachment, cancellationToken);
                await contents.ForgetUnlessReferencedAsync(attachment.Hash, cancellationToken);
                return null;
            }
            catch (ConcurrencyConflictException) when (attempt < Attempts)
            {
            }
        }
    }

    private static IResult TooLarge(string detail) =>
        Problems.Result(Problems.Create(StatusCodes.Status413PayloadTooLarge, ProblemTypes.TooLarge, "The file is too large.", detail));
}

/// <summary>A ticket's files grouped by the message they belong to, for listing messages.</summary>
public static class MessageAttachments
{
    public static async Task<ILookup<string, MessageAttachment>> ByMessageAsync(IAttachmentIndex index, string ticketId, CancellationToken cancellationToken) =>
        (await index.ListAsync(ticketId, cancellationToken))
            .Where(a => a.MessageId is not null)
            .ToLookup(a => a.MessageId!, a => new MessageAttachment(a.Id, a.FileName, a.ContentType, a.Size, a.Inline, a.ContentId), StringComparer.Ordinal);
}
