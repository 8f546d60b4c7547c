using Helpdesk.Api.Common;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Attachments;

/// <summary>
/// Adds and removes a ticket's files. The bytes are stored first (content-addressed, so a retry
/// stores nothing new); the attachment is then written with the ticket's history entry through
/// <see cref="TicketRunner"/>, guarded by the ticket's version, which also makes the per-ticket
/// total safe against concurrent uploads: the loser of a race re-reads the ticket and counts again.
/// </summary>
public sealed class AttachmentService(
    TicketRunner runner,
    IAttachmentIndex index,
    IAttachmentStore store,
    AttachmentContents contents,
    IOptions<AttachmentOptions> options)
{
    /// <summary>
    /// Adds a file as <paramref name="by"/> (the caller, or a mail's sender for its attachments),
    /// to the ticket or to one of its messages, which <paramref name="check"/> (the conversation's)
    /// confirms on the ticket the file lands on. <paramref name="contentId"/> marks an inline image
    /// of a mail. A file sent to a ticket merged into another goes where its messages went.
    /// </summary>
    public async Task<Outcome<Attachment>> AddAsync(
        string ticketId,
        string? messageId,
        string? fileName,
        Func<Stream> open,
        Actor by,
        CancellationToken cancellationToken,
        string? contentId = null,
        Func<Ticket, CancellationToken, Task<ProblemDetails?>>? check = null)
    {
        ArgumentNullException.ThrowIfNull(open);
        var limits = options.Value;
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
            return TooLarge(e.Message);
        }

        Outcome<Attachment> outcome;
        try
        {
            outcome = await contents.AttachAsync(
                content,
                open,
                limits.MaxFileBytes,
                () => runner.RunAsync<Attachment>(
                    ticketId,
                    by,
                    TicketPrecondition.None,
                    async c =>
                    {
                        if (check is not null && await check(c.Ticket, cancellationToken) is { } refused)
                        {
                            return refused;
                        }

                        var total = (await index.ListAsync(c.Ticket.Id, cancellationToken)).Sum(a => a.Size);
                        if (total + content.Size > limits.MaxTicketBytes)
                        {
                            return TooLarge($"A ticket carries at most {limits.MaxTicketBytes} bytes of files; it has {total}.");
                        }

                        var attachment = new Attachment(Ids.New("att", c.Now), c.Ticket.Id, messageId, name, contentType, content.Size, content.Hash, c.Now, c.Actor, contentId);
                        c.Ticket.AddAttachment(attachment.Id, attachment.FileName, attachment.Size, messageId, c.Actor, c.Now);
                        c.Write(TicketItemWrite.Add(TicketItemKinds.Attachment, attachment.Id, attachment));
                        return attachment;
                    },
                    cancellationToken,
                    TicketLookup.FollowMerge),
                cancellationToken);
        }
        catch (DomainRuleException)
        {
            await contents.ForgetUnlessReferencedAsync(content.Hash, cancellationToken);
            throw;
        }

        if (!outcome.Succeeded)
        {
            await contents.ForgetUnlessReferencedAsync(content.Hash, cancellationToken);
        }

        return outcome;
    }

    /// <summary>Removes the file; its bytes go unless another attachment shares them.</summary>
    public async Task<Outcome<Attachment>> RemoveAsync(string ticketId, string attachmentId, Actor by, CancellationToken cancellationToken)
    {
        var outcome = await runner.RunAsync<Attachment>(
            ticketId,
            by,
            TicketPrecondition.None,
            async c =>
            {
                if (await index.FindAsync(c.Ticket.Id, attachmentId, cancellationToken) is not { } attachment)
                {
                    return Problems.Missing("attachment");
                }

                c.Ticket.RemoveAttachment(attachment.Id, attachment.FileName, c.Actor, c.Now);
                c.Write(TicketItemWrite.Remove(TicketItemKinds.Attachment, attachment.Id, expected: null));
                return attachment;
            },
            cancellationToken);
        if (outcome.Succeeded)
        {
            await contents.ForgetUnlessReferencedAsync(outcome.Value.Hash, cancellationToken);
        }

        return outcome.Problem is { Status: StatusCodes.Status404NotFound } ? Problems.Missing("attachment") : outcome;
    }

    private static ProblemDetails TooLarge(string detail) =>
        Problems.Create(StatusCodes.Status413PayloadTooLarge, ProblemTypes.TooLarge, "The file is too large.", detail);
}
