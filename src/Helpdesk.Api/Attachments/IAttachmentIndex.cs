using Helpdesk.Domain.Common;

namespace Helpdesk.Api.Attachments;

/// <summary>
/// A file on a ticket, optionally on one of its messages. <see cref="Hash"/> names its bytes in the
/// <see cref="IAttachmentStore"/>. An inline image of a mail keeps the Content-ID its HTML refers
/// to as <c>cid:</c> (<see cref="ContentId"/>, without angle brackets); other files have none.
/// </summary>
public sealed record Attachment(
    string Id,
    string TicketId,
    string? MessageId,
    string FileName,
    string ContentType,
    long Size,
    string Hash,
    DateTimeOffset At,
    Actor UploadedBy,
    string? ContentId = null)
{
    [System.Text.Json.Serialization.JsonIgnore]
    public bool Inline => ContentId is not null;
}

/// <summary>
/// Which files each ticket carries. Adding or removing one is written with the ticket change that
/// records it (history entry and event), through <see cref="Tickets.ITicketStore.SaveAsync"/>
/// (kind <see cref="Tickets.TicketItemKinds.Attachment"/>); this reads them.
/// </summary>
public interface IAttachmentIndex
{
    /// <summary>Oldest first.</summary>
    Task<IReadOnlyList<Attachment>> ListAsync(string ticketId, CancellationToken cancellationToken);

    Task<Attachment?> FindAsync(string ticketId, string attachmentId, CancellationToken cancellationToken);

    /// <summary>Whether any ticket still carries these bytes (content is shared, so only the last removal deletes it).</summary>
    Task<bool> IsReferencedAsync(string hash, CancellationToken cancellationToken);
}
