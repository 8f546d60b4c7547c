namespace Helpdesk.Api.Attachments;

/// <summary>The bytes of a stored file, named by their SHA-256 (lower-case hex).</summary>
public sealed record StoredContent(string Hash, long Size);

/// <summary>
/// Where attachment bytes live, content-addressed: the same bytes are stored once, whatever
/// their names and however many tickets carry them. Which tickets refer to a content is the
/// attachment index's business, not the store's.
/// </summary>
public interface IAttachmentStore
{
    /// <summary>
    /// Stores the stream's bytes, or refuses with <see cref="AttachmentTooLargeException"/> as
    /// soon as more than <paramref name="maxBytes"/> were read (nothing is kept then).
    /// </summary>
    Task<StoredContent> PutAsync(Stream content, long maxBytes, CancellationToken cancellationToken);

    /// <summary>A readable stream of the content, or null when it is not stored.</summary>
    Task<Stream?> OpenAsync(string hash, CancellationToken cancellationToken);

    Task DeleteAsync(string hash, CancellationToken cancellationToken);
}

public sealed class AttachmentTooLargeException(string message) : Exception(message);
