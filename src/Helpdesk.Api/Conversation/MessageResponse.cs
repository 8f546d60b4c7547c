using System.Text.Json.Serialization;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Conversation;

public sealed record MessageAuthor(ActorType Type, string Id, string? Name);

/// <summary>
/// A file attached to a message, as listed with it. An inline image of a mail carries the
/// Content-ID its HTML refers to (<c>&lt;img src="cid:…"&gt;</c>): the mapping a client uses to show it.
/// </summary>
public sealed record MessageAttachment(
    string Id,
    string FileName,
    string ContentType,
    long Size,
    bool Inline = false,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ContentId = null);

/// <summary>
/// A message of API.md's conversation: <c>body</c> is the sanitised HTML, <c>text</c> its
/// plain-text rendering. <c>unknownMentions</c> only appears in the answer to a POST; <c>to</c>
/// only on a private message an agent wrote (its recipients).
/// </summary>
public sealed record MessageResponse(
    string Id,
    string TicketId,
    DateTimeOffset At,
    MessageAuthor Author,
    MessageVisibility Visibility,
    string Body,
    string Text,
    IReadOnlyList<string> Cc,
    IReadOnlyList<MessageAttachment> Attachments,
    string Source,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? UnknownMentions = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? To = null)
{
    public static MessageResponse From(TicketMessage m, IReadOnlyList<MessageAttachment> attachments, IReadOnlyList<string>? unknownMentions = null) =>
        new(m.Id, m.TicketId, m.At, new MessageAuthor(m.Author.Type, m.Author.Id, m.AuthorName), m.Visibility, m.Html, m.Text, m.Cc, attachments, m.Source, unknownMentions, m.To);
}
