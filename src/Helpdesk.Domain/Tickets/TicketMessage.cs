using Helpdesk.Domain.Common;

namespace Helpdesk.Domain.Tickets;

public enum MessageVisibility
{
    /// <summary>Seen by the customer (portal) and emailed to the requester and cc.</summary>
    Public,

    /// <summary>Team only: never emailed to a customer, never returned by a customer route.</summary>
    Internal,

    /// <summary>
    /// Like internal for the customer (never shown, never emailed to them), but written to chosen
    /// recipients — agents or outside addresses such as a supplier — and emailed to them alone;
    /// their answers by mail thread back as private messages (docs/adr/0013-private-messages.md).
    /// </summary>
    Private,
}

/// <summary>Where a message came from: typed in the API or the portal, received by mail, or written by a ticket command.</summary>
public static class MessageSources
{
    public const string Api = "api";
    public const string Portal = "portal";
    public const string Email = "email";
    public const string Escalation = "escalation";

    /// <summary>Written in, or delivered to, the customer's open chat session.</summary>
    public const string Chat = "chat";
}

/// <summary>Visibility rules shared by every reader of a conversation.</summary>
public static class MessageVisibilities
{
    /// <summary>Only public messages ever reach a customer: internal notes and private messages stay with the team.</summary>
    public static bool IsCustomerVisible(this MessageVisibility visibility) => visibility == MessageVisibility.Public;
}

/// <summary>
/// One entry of a ticket's conversation. The body is kept twice: sanitised HTML and a plain-text
/// rendering (for mail clients, search and previews). Messages are stored beside the ticket, in
/// the same transaction as the history entry and the event the aggregate records for them.
/// A message taken in from a mail also keeps the mail's full HTML as it arrived
/// (<paramref name="OriginalHtml"/>, unsanitised, quoted history and <c>cid:</c> images included):
/// the body is only the new part of the mail; staff read the original on demand.
/// Such a message also keeps the mail's <paramref name="InternetMessageId"/>: written in the same
/// step as the message (and the ticket it opens), so a mail about the ticket composed before the
/// mail's ingestion settled — or after a crash in between — still answers it (In-Reply-To).
/// A private message written by an agent names its recipients (<paramref name="To"/>) and keeps the
/// Message-ID of the mail that carries it to them, so their answers thread back as private.
/// </summary>
public sealed record TicketMessage(
    string Id,
    string TicketId,
    DateTimeOffset At,
    Actor Author,
    string? AuthorName,
    MessageVisibility Visibility,
    string Html,
    string Text,
    IReadOnlyList<string> Cc,
    string Source,
    string? OriginalHtml = null,
    string? InternetMessageId = null,
    IReadOnlyList<string>? To = null);
