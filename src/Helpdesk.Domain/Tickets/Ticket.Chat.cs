using Helpdesk.Domain.Common;

namespace Helpdesk.Domain.Tickets;

/// <summary>
/// The customer's chat session open on a ticket: who chats, since when, when they last wrote, and
/// the agents' public replies written since then (<paramref name="Unanswered"/>), which go by
/// email when the session ends before the customer wrote again.
/// </summary>
public sealed record TicketChat(string Id, string ContactId, DateTimeOffset StartedAt, DateTimeOffset LastCustomerAt, IReadOnlyList<ChatReply> Unanswered);

/// <summary>An agent's public reply delivered in the chat: the message, who wrote it, its copies.</summary>
public sealed record ChatReply(string MessageId, Actor By, IReadOnlyList<string> Cc);

/// <summary>The events of a ticket's chat sessions.</summary>
public static class ChatEventTypes
{
    /// <summary>A customer opened a chat session on the ticket; data: chatId, contactId.</summary>
    public const string Started = "chat.started";

    /// <summary>The session ended; data: chatId, reason, unanswered (the agents' replies the customer never answered, comma-separated message ids).</summary>
    public const string Ended = "chat.ended";

    /// <summary>
    /// An agent's reply the customer never answered in the chat, to be emailed now that it ended
    /// (one per reply, its actor the reply's author); data: chatId, messageId, cc, notifyCustomer.
    /// </summary>
    public const string ReplyByEmail = "chat.replyByEmail";
}

/// <summary>Why a chat session ended.</summary>
public static class ChatEndReasons
{
    /// <summary>The customer closed it.</summary>
    public const string Customer = "customer";

    /// <summary>The customer wrote nothing for the configured time.</summary>
    public const string Idle = "idle";
}

/// <summary>
/// Live chat (issue 24): a session is part of the ticket's state, so an agent's reply knows, in
/// the same write, whether it is delivered in the open chat or by email.
/// </summary>
public sealed partial class Ticket
{
    /// <summary>The history action of a chat started.</summary>
    public const string ChatStartedAction = "chatStarted";

    /// <summary>The history action of a chat ended.</summary>
    public const string ChatEndedAction = "chatEnded";

    /// <summary>The chat session open on the ticket, or null.</summary>
    public TicketChat? Chat => _state.Chat;

    /// <summary>
    /// The customer opened the ticket from a chat: a session started in the write that created it
    /// (a new ticket, or the follow-up of a closed one). A chat continuing an existing ticket does
    /// not make it one; the SLA's chat first-response target applies to these tickets only.
    /// </summary>
    public bool OpenedInChat => _state.OpenedInChat;

    /// <summary>The customer opens a chat session on the ticket: one at a time, on a ticket with a customer that is not closed.</summary>
    public void StartChat(string chatId, string contactId, Actor by, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(chatId);
        ArgumentException.ThrowIfNullOrWhiteSpace(contactId);
        EnsureNotClosed();
        EnsureHasCustomer("chat");
        if (_state.Chat is { } open)
        {
            throw new DomainRuleException("chat-open", $"Chat {open.Id} is already open on this ticket; continue it or close it first.");
        }

        // Version 0: the ticket is being created in this write, so the chat is what opened it.
        _state = _state with { Chat = new TicketChat(chatId, contactId, now, now, []), OpenedInChat = _state.OpenedInChat || Version == 0 };
        Record(ChatStartedAction, ChatEventTypes.Started, by, now, [], note: null, ("chatId", chatId), ("contactId", contactId));
    }

    /// <summary>
    /// The session ends (closed by the customer, or idle): the agents' replies written since the
    /// customer last wrote are named in the event, so they go by email as any reply would have.
    /// Ending a session that is not the open one changes nothing.
    /// </summary>
    public bool EndChat(string chatId, string reason, Actor by, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        if (_state.Chat is not { } open || open.Id != chatId)
        {
            return false;
        }

        _state = _state with { Chat = null };
        Record(
            ChatEndedAction,
            ChatEventTypes.Ended,
            by,
            now,
            [],
            note: null,
            ("chatId", chatId),
            ("reason", reason),
            ("unanswered", string.Join(',', open.Unanswered.Select(r => r.MessageId))));
        foreach (var reply in open.Unanswered)
        {
            Raise(ChatEventTypes.ReplyByEmail, reply.By, now, ("chatId", chatId), ("messageId", reply.MessageId), ("cc", string.Join(',', reply.Cc)), ("notifyCustomer", Format(NotifyCustomer)));
        }

        return true;
    }

    private void AnsweredInChat(string messageId, IReadOnlyList<string> cc, Actor by)
    {
        if (_state.Chat is { } open)
        {
            _state = _state with { Chat = open with { Unanswered = [.. open.Unanswered, new ChatReply(messageId, by, cc)] } };
        }
    }

    private void CustomerWroteInChat(Actor by, DateTimeOffset now)
    {
        if (_state.Chat is { } open && by.Type == ActorType.Customer && by.Id == open.ContactId)
        {
            _state = _state with { Chat = open with { LastCustomerAt = now, Unanswered = [] } };
        }
    }
}
