using System.Net;
using System.Text.RegularExpressions;
using Helpdesk.Api.Attachments;
using Helpdesk.Api.Common;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Conversation;

/// <summary>An inline image of a mail: the Content-ID its HTML names as <c>cid:</c>, the attachment holding it, and that attachment's download URL.</summary>
public sealed record InlineImage(string ContentId, string AttachmentId, string Url);

/// <summary>
/// The full HTML of the mail a message was taken from, sanitised, with every <c>cid:</c> image
/// whose file was imported pointing at that file's download URL (the route of whoever asks: staff
/// or portal). <see cref="Images"/> is the same mapping for a client that fetches images itself.
/// </summary>
public sealed record OriginalMailResponse(string MessageId, string TicketId, string Html, string Text, IReadOnlyList<InlineImage> Images);

/// <summary>
/// <c>GET /api/tickets/{id}/messages/{messageId}/original</c> (staff, internal messages included;
/// the portal serves public messages of the customer's visible tickets the same way). The stored HTML keeps its <c>cid:</c> references: the download
/// URL depends on the caller and on the ticket the message is on now (a message can be moved), so
/// they are rewritten when served. A message that did not come from a mail has no original (404).
/// </summary>
public static partial class MailOriginals
{
    /// <summary>Characters of a mail's HTML kept (a ticket item must stay well under Cosmos DB's 2 MB per document).</summary>
    public const int MaxLength = 400_000;

    public static void Map(RouteGroupBuilder staffMessages)
    {
        ArgumentNullException.ThrowIfNull(staffMessages);
        staffMessages.MapGet("/{messageId}/original", StaffAsync).WithName("GetMessageOriginal")
            .Produces<OriginalMailResponse>().ProducesProblems(StatusCodes.Status404NotFound);
    }

    /// <summary>A Content-ID as HTML names it after <c>cid:</c>: without the angle brackets of the MIME header; null when empty.</summary>
    public static string? NormalizeContentId(string? contentId)
    {
        var trimmed = contentId?.Trim().TrimStart('<').TrimEnd('>').Trim();
        return string.IsNullOrEmpty(trimmed) ? null : trimmed;
    }

    /// <summary>The sanitised original with its inline images pointing at <paramref name="urlOf"/>; null when the message has no original.</summary>
    public static OriginalMailResponse? Render(TicketMessage message, IReadOnlyList<Attachment> files, Func<Attachment, string> urlOf)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(urlOf);
        if (message.OriginalHtml is not { } original)
        {
            return null;
        }

        var images = files
            .Where(f => f.MessageId == message.Id && f.ContentId is not null)
            .GroupBy(f => f.ContentId!, StringComparer.OrdinalIgnoreCase)
            .Select(g => new InlineImage(g.Key, g.First().Id, urlOf(g.First())))
            .ToList();
        var byContentId = images.ToDictionary(i => i.ContentId, StringComparer.OrdinalIgnoreCase);
        var sanitized = HtmlSanitizer.Sanitize(original);
        var html = CidSource().Replace(sanitized.Html, m =>
            NormalizeContentId(WebUtility.HtmlDecode(m.Groups["cid"].Value)) is { } cid && byContentId.TryGetValue(cid, out var image)
                ? $"src=\"{WebUtility.HtmlEncode(image.Url)}\""
                : m.Value);
        return new OriginalMailResponse(message.Id, message.TicketId, html, sanitized.Text, images);
    }

    private static async Task<IResult> StaffAsync(string id, string messageId, IConversationStore messages, IAttachmentIndex attachments, HttpRequest http, CancellationToken cancellationToken)
    {
        if (await messages.FindAsync(id, messageId, cancellationToken) is not { } message)
        {
            return Problems.NotFound("message");
        }

        var files = await attachments.ListAsync(message.TicketId, cancellationToken);
        return Render(message, files, f => $"{http.PathBase}/api/tickets/{f.TicketId}/attachments/{f.Id}") is { } original
            ? TypedResults.Ok(original)
            : NoOriginal();
    }

    /// <summary>404: a message that did not come from a mail has no original.</summary>
    public static IResult NoOriginal() =>
        Problems.Result(Problems.Create(StatusCodes.Status404NotFound, ProblemTypes.NotFound, "The message has no original mail.", "Only a message taken in from an email keeps the mail's full HTML."));

    /// <summary>An image source naming a Content-ID, as the sanitiser writes it (double-quoted, HTML-encoded).</summary>
    [GeneratedRegex("src=\"cid:(?<cid>[^\"]*)\"", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex CidSource();
}
