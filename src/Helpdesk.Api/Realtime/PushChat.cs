using Helpdesk.Api.Chat;
using Helpdesk.Api.Conversation;
using Helpdesk.Api.Events;
using Helpdesk.Api.Triggers;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Realtime;

/// <summary>A message of a chat (the customer's, or a public reply delivered in it).</summary>
public sealed record ChatMessagePush(string ChatId, MessageResponse Message);

/// <summary>A customer opened a chat on a ticket (to the staff watching it).</summary>
public sealed record ChatStartedPush(string ChatId, string TicketId, string? ContactId);

/// <summary>A chat session ended: the customer closed it or it went idle.</summary>
public sealed record ChatClosedPush(string ChatId, string TicketId, string? Reason);

/// <summary>One message of the Azure Functions <c>signalR</c> output binding: to a user or to a group.</summary>
public sealed record SignalRBindingMessage(string Target, IReadOnlyList<object> Arguments, string? UserId = null, string? GroupName = null);

/// <summary>The hub's client methods (what a client listens to) and the events they come from.</summary>
public static class ChatPushes
{
    public const string Message = "chatMessage";
    public const string Started = "chatStarted";
    public const string Closed = "chatClosed";
    public const string AgentJoined = "agentJoined";
    public const string Typing = "typing";

    /// <summary>The stored events the chat queue takes.</summary>
    public static bool Accepts(string eventType) =>
        eventType is TicketEventTypes.MessageAdded or ChatEventTypes.Started or ChatEventTypes.Ended;
}

/// <summary>
/// The <c>PushChat</c> consumer of the <c>chat</c> queue: turns the stored chat events into pushes,
/// so nothing is pushed for a write that did not commit. A public message of an open chat goes to
/// the chat's customer and to the staff watching its ticket (an internal note never carries a chat
/// id, and the message is read again and pushed only when public); a chat opening goes to the
/// staff, its end to both. Standalone the hub sends them to its groups; on Azure
/// (<see cref="RealtimeService.AzureSignalR"/>) they are the answer's <c>signalR</c> output
/// binding (<see cref="OutputBinding"/>): to the customer as the user <c>contact:{id}</c>, to the
/// staff as the group <c>staff</c>. A repeated event pushes again; clients de-duplicate on ids.
/// </summary>
public sealed class PushChat(IChatStore chats, IConversationStore messages, IHubContext<ChatHub> hub, InvocationOutputs outputs, IOptions<RealtimeOptions> options) : IEventConsumer
{
    public const string FunctionName = "PushChat";
    public const string Queue = "chat";

    /// <summary>The <c>signalR</c> output binding of PushChat's function.json.</summary>
    public const string OutputBinding = "signalRMessages";

    public async Task HandleAsync(EventMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.Value("chatId") is not { Length: > 0 } chatId || message.TicketId is not { } ticketId)
        {
            return;
        }

        (string Target, object? Payload, bool ToCustomer) push = message.Type switch
        {
            TicketEventTypes.MessageAdded => (ChatPushes.Message, await MessageAsync(chatId, ticketId, message, cancellationToken), true),
            ChatEventTypes.Started => (ChatPushes.Started, new ChatStartedPush(chatId, ticketId, message.Value("contactId")), false),
            ChatEventTypes.Ended => (ChatPushes.Closed, new ChatClosedPush(chatId, ticketId, message.Value("reason")), true),
            _ => (string.Empty, null, false),
        };
        if (push is not (var target, { } payload, var toCustomer))
        {
            return;
        }

        if (options.Value.Service == RealtimeService.AzureSignalR)
        {
            List<SignalRBindingMessage> sends = [new(target, [payload], GroupName: RealtimeUsers.StaffGroup)];
            var session = (await chats.FindAsync(chatId, cancellationToken))?.Value;
            if (toCustomer && (message.Value("contactId") ?? session?.ContactId) is { } contactId)
            {
                var customer = RealtimeUsers.Contact(contactId);
                if (payload is ChatMessagePush { Message: var answer } && session is { Open: true } && await FirstAgentAnswerAsync(session, answer.Id, cancellationToken) is { } joined)
                {
                    sends.Add(new SignalRBindingMessage(ChatPushes.AgentJoined, [joined], UserId: customer));
                }

                sends.Add(new SignalRBindingMessage(target, [payload], UserId: customer));
            }

            outputs.Set(OutputBinding, sends);
            return;
        }

        await hub.Clients.Group(ChatHub.TicketGroup(ticketId)).SendAsync(target, payload, cancellationToken);
        if (toCustomer)
        {
            await hub.Clients.Group(ChatHub.ChatGroup(chatId)).SendAsync(target, payload, cancellationToken);
        }
    }

    /// <summary>
    /// On Azure no hub hears an agent open the ticket, so the customer hears that an agent joined
    /// with the agent's first public answer in the open chat (no public agent message since the
    /// chat opened before this one); null for any later answer or a customer's message.
    /// </summary>
    private async Task<AgentJoinedPush?> FirstAgentAnswerAsync(ChatSession session, string messageId, CancellationToken cancellationToken)
    {
        string? cursor = null;
        do
        {
            var page = await messages.ListAsync(session.TicketId, includeInternal: false, 200, cursor, cancellationToken);
            if (page.Items.FirstOrDefault(m => m.Author.Type == ActorType.Agent && m.At >= session.OpenedAt) is { } first)
            {
                return first.Id == messageId ? new AgentJoinedPush(session.Id, session.TicketId, first.AuthorName ?? "An agent") : null;
            }

            cursor = page.NextCursor;
        }
        while (cursor is not null);

        return null;
    }

    private async Task<object?> MessageAsync(string chatId, string ticketId, EventMessage message, CancellationToken cancellationToken)
    {
        if (message.Value("visibility") != "public" || message.Value("messageId") is not { } messageId)
        {
            return null;
        }

        var stored = await messages.FindAsync(ticketId, messageId, cancellationToken);
        return stored is { Visibility: MessageVisibility.Public } ? new ChatMessagePush(chatId, MessageResponse.From(stored, [])) : null;
    }
}
