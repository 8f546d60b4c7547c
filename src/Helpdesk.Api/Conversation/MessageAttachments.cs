using Helpdesk.Api.Attachments;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Common;
using Microsoft.AspNetCore.Mvc;

namespace Helpdesk.Api.Conversation;

/// <summary>
/// The files of a ticket's messages: grouped by message for the thread's responses, and uploaded
/// to a message (<c>POST /api/tickets/{id}/messages/{messageId}/attachments</c>), which must be on
/// the ticket the file lands on.
/// </summary>
public static class MessageAttachments
{
    public static void Map(RouteGroupBuilder staffMessages)
    {
        ArgumentNullException.ThrowIfNull(staffMessages);
        staffMessages.MapPost("/{messageId}/attachments", UploadAsync).AcceptsOneFile().WithTags("attachments").WithName("UploadMessageAttachment")
            .Produces<AttachmentResponse>(StatusCodes.Status201Created).ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
    }

    public static async Task<ILookup<string, MessageAttachment>> ByMessageAsync(IAttachmentIndex index, string ticketId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(index);
        return (await index.ListAsync(ticketId, cancellationToken))
            .Where(a => a.MessageId is not null)
            .ToLookup(a => a.MessageId!, a => new MessageAttachment(a.Id, a.FileName, a.ContentType, a.Size, a.Inline, a.ContentId), StringComparer.Ordinal);
    }

    /// <summary>The check that the message is on the ticket a file for it lands on.</summary>
    public static Func<Domain.Tickets.Ticket, CancellationToken, Task<ProblemDetails?>> MessageIsOn(IConversationStore messages, string messageId) =>
        async (ticket, ct) => await messages.FindAsync(ticket.Id, messageId, ct) is null ? Problems.Missing("message") : null;

    private static async Task<IResult> UploadAsync(string id, string messageId, HttpContext http, AttachmentService service, IConversationStore messages, Caller caller, CancellationToken cancellationToken)
    {
        var (file, refused) = await AttachmentEndpoints.ReadSingleFileAsync(http, cancellationToken);
        if (file is null)
        {
            return refused!;
        }

        var result = await service.AddAsync(id, messageId, file.FileName, file.OpenReadStream, await caller.ActorAsync(cancellationToken), cancellationToken, check: MessageIsOn(messages, messageId));
        return result.ToResult(a => TypedResults.Created($"{http.Request.PathBase}/api/tickets/{a.TicketId}/attachments/{a.Id}", AttachmentResponse.From(a)));
    }
}
