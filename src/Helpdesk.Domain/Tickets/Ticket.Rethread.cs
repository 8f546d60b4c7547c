using Helpdesk.Domain.Common;

namespace Helpdesk.Domain.Tickets;

/// <summary>The event types of re-threading: a message leaves one ticket for another.</summary>
public static class MessageMoveEventTypes
{
    /// <summary>A message of this ticket went to <c>toId</c> (moved, or split into that new ticket).</summary>
    public const string MovedOut = "ticket.messageMovedOut";

    /// <summary>A message of <c>fromId</c> joined this ticket.</summary>
    public const string MovedIn = "ticket.messageMovedIn";
}

/// <summary>
/// Re-threading: an agent moves a message that landed on the wrong ticket to the right one, or
/// splits it off into a new ticket. Both tickets record it (history entry and event); the message
/// keeps its author, time and visibility. Neither ticket may be closed (a merged tombstone is
/// closed), and a message never moves to the ticket it is on.
/// </summary>
public sealed partial class Ticket
{
    /// <summary>Moves the message <paramref name="message"/> of this ticket to <paramref name="target"/>.</summary>
    public void MoveMessageTo(Ticket target, TicketMessage message, Actor by, DateTimeOffset now) =>
        MoveMessage(target, message, "messageMoved", by, now);

    /// <summary>
    /// Splits <paramref name="message"/> off into <paramref name="target"/>, a ticket just created
    /// for it: only a customer's public message opens a ticket for its writer.
    /// </summary>
    public void SplitMessageInto(Ticket target, TicketMessage message, Actor by, DateTimeOffset now)
    {
        EnsureSplittable(message);
        MoveMessage(target, message, "messageSplit", by, now);
    }

    /// <summary>Only a customer's public message can open a ticket, with its writer as the requester.</summary>
    public static void EnsureSplittable(TicketMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!message.Visibility.IsCustomerVisible())
        {
            throw new DomainRuleException("split-internal-note", "An internal note or a private message cannot open a ticket: move it to another ticket instead.");
        }

        if (message.Author.Type != ActorType.Customer)
        {
            throw new DomainRuleException("split-not-customer-message", "Only a customer's message opens a new ticket, with its writer as the requester.");
        }
    }

    /// <summary>A merged tombstone has no messages left to give (they are on its target), and a closed ticket is read-only.</summary>
    public void EnsureCanGiveMessages()
    {
        if (MergedIntoId is not null)
        {
            throw new DomainRuleException("ticket-merged", $"Ticket {Number} was merged into another ticket; its messages are there.");
        }

        EnsureNotClosed();
    }

    private void MoveMessage(Ticket target, TicketMessage message, string action, Actor by, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(message);
        if (message.TicketId != Id)
        {
            throw new ArgumentException($"Message {message.Id} is not on ticket {Id}.", nameof(message));
        }

        if (target.Id == Id)
        {
            throw new DomainRuleException("move-to-same-ticket", "The message is already on this ticket.");
        }

        EnsureCanGiveMessages();
        if (target.MergedIntoId is not null)
        {
            throw new DomainRuleException("move-into-tombstone", $"Ticket {target.Number} was merged into another ticket: move the message to that one instead.");
        }

        target.EnsureNotClosed();

        var visibility = Names.Of(message.Visibility);
        Record(
            action,
            MessageMoveEventTypes.MovedOut,
            by,
            now,
            [new FieldChange("messageId", message.Id, null)],
            $"Message moved to {target.Number}.",
            ("messageId", message.Id),
            ("visibility", visibility),
            ("toId", target.Id),
            ("toNumber", target.Number));
        target.RecordMessageMovedIn(action == "messageSplit" ? "messageSplitIn" : "messageMovedIn", message.Id, visibility, Names.Of(message.Author.Type), Id, Number, by, now);
    }

    /// <summary>
    /// The receiving ticket's side of a move or split (<paramref name="action"/>: <c>messageMovedIn</c>
    /// or <c>messageSplitIn</c>), once the giving ticket has recorded its side. A store without a
    /// transaction across the two tickets applies it again to the receiver as it is then.
    /// </summary>
    public void RecordMessageMovedIn(string action, string messageId, string visibility, string authorType, string fromId, string fromNumber, Actor by, DateTimeOffset now) =>
        Record(
            action,
            MessageMoveEventTypes.MovedIn,
            by,
            now,
            [new FieldChange("messageId", null, messageId)],
            $"Message moved here from {fromNumber}.",
            ("messageId", messageId),
            ("visibility", visibility),
            ("authorType", authorType),
            ("fromId", fromId),
            ("fromNumber", fromNumber));
}
