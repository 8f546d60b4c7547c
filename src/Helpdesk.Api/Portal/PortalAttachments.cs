using Helpdesk.Api.Attachments;
using Helpdesk.Api.Common;
using Helpdesk.Api.Conversation;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Portal;

/// <summary>
/// The files of the portal: a customer uploads to the tickets they can see and to their own
/// messages on them, and lists and downloads only their own uploads and the files of public
/// messages (with the staff's limits, sniffing and names). Anything else is 404.
/// </summary>
internal static class PortalAttachments
{
    public static void Map(RouteGroupBuilder portalTicket)
    {
        portalTicket.MapPost("/attachments", (string id, HttpContext http, PortalAccess access, AttachmentService service, IConversationStore messages, CancellationToken ct) => UploadAsync(id, null, http, access, service, messages, ct))
            .AcceptsOneFile().WithName("UploadPortalTicketAttachment")
            .Produces<AttachmentResponse>(StatusCodes.Status201Created).ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
        portalTicket.MapPost("/messages/{messageId}/attachments", (string id, string messageId, HttpContext http, PortalAccess access, AttachmentService service, IConversationStore messages, CancellationToken ct) => UploadAsync(id, messageId, http, access, service, messages, ct))
            .AcceptsOneFile().WithName("UploadPortalMessageAttachment")
            .Produces<AttachmentResponse>(StatusCodes.Status201Created).ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
        portalTicket.MapGet("/attachments", ListAsync).WithName("ListPortalAttachments")
            .Produces<Page<AttachmentResponse>>().ProducesProblems(StatusCodes.Status404NotFound);
        portalTicket.MapGet("/attachments/{attachmentId}", DownloadAsync).WithName("DownloadPortalAttachment")
            .ProducesFile().ProducesProblems(StatusCodes.Status404NotFound);
    }

    /// <summary>
    /// A customer attaches a file to a ticket they can see, or to one of their own messages on it
    /// (same limits, sniffing and names as staff uploads). Any other ticket or message is 404.
    /// </summary>
    private static async Task<IResult> UploadAsync(string id, string? messageId, HttpContext http, PortalAccess access, AttachmentService service, IConversationStore messages, CancellationToken cancellationToken)
    {
        var ticket = await access.FindVisibleAsync(id, cancellationToken);
        var contact = await access.ContactAsync(cancellationToken);
        if (ticket is null || contact is null)
        {
            return Problems.NotFound("ticket");
        }

        if (messageId is not null && !await access.IsOwnMessageAsync(ticket.Id, messageId, cancellationToken))
        {
            return Problems.NotFound("message");
        }

        var (file, refused) = await AttachmentEndpoints.ReadSingleFileAsync(http, cancellationToken);
        if (file is null)
        {
            return refused!;
        }

        var result = await service.AddAsync(ticket.Id, messageId, file.FileName, file.OpenReadStream, Actor.Customer(contact.Id), cancellationToken, check: messageId is null ? null : MessageAttachments.MessageIsOn(messages, messageId));
        return result.ToResult(a => TypedResults.Created($"{http.Request.PathBase}/api/portal/tickets/{a.TicketId}/attachments/{a.Id}", AttachmentResponse.From(a)));
    }

    /// <summary>The files the customer may see: their own uploads and those of public messages.</summary>
    private static async Task<IResult> ListAsync(string id, PortalAccess access, IAttachmentIndex index, IConversationStore messages, CancellationToken cancellationToken)
    {
        var ticket = await access.FindVisibleAsync(id, cancellationToken);
        var contact = await access.ContactAsync(cancellationToken);
        if (ticket is null || contact is null)
        {
            return Problems.NotFound("ticket");
        }

        var visible = new List<AttachmentResponse>();
        foreach (var attachment in await index.ListAsync(ticket.Id, cancellationToken))
        {
            if (IsOwnUpload(attachment, contact.Id)
                || (attachment.MessageId is { } messageId && await messages.FindAsync(ticket.Id, messageId, cancellationToken) is { Visibility: MessageVisibility.Public }))
            {
                visible.Add(AttachmentResponse.From(attachment));
            }
        }

        return TypedResults.Ok(new Page<AttachmentResponse>(visible, null));
    }

    private static bool IsOwnUpload(Attachment attachment, string contactId) =>
        attachment.UploadedBy.Type == ActorType.Customer && attachment.UploadedBy.Id == contactId;

    /// <summary>A customer downloads only their own uploads and files of public messages of a ticket they can see; anything else is 404.</summary>
    private static async Task<IResult> DownloadAsync(
        string id,
        string attachmentId,
        PortalAccess access,
        IAttachmentIndex index,
        IConversationStore messages,
        IAttachmentStore store,
        HttpResponse response,
        CancellationToken cancellationToken)
    {
        var ticket = await access.FindVisibleAsync(id, cancellationToken);
        var contact = await access.ContactAsync(cancellationToken);
        var attachment = ticket is null || contact is null ? null : await index.FindAsync(ticket.Id, attachmentId, cancellationToken);
        if (attachment is null)
        {
            return Problems.NotFound("attachment");
        }

        var message = attachment.MessageId is { } messageId ? await messages.FindAsync(attachment.TicketId, messageId, cancellationToken) : null;
        return IsOwnUpload(attachment, contact!.Id) || message is { Visibility: MessageVisibility.Public }
            ? await AttachmentEndpoints.FileAsync(attachment, store, response, cancellationToken)
            : Problems.NotFound("attachment");
    }
}
