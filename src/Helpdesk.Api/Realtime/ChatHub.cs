using Helpdesk.Api.Auth;
using Helpdesk.Api.Chat;
using Helpdesk.Api.Portal;
using Helpdesk.Api.Tickets;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Realtime;

/// <summary>"Someone is typing" in a chat: relayed to the other side, never stored.</summary>
public sealed record TypingPush(string ChatId, string TicketId, string From, string? Name);

/// <summary>An agent opened the ticket of the customer's open chat.</summary>
public sealed record AgentJoinedPush(string ChatId, string TicketId, string AgentName);

/// <summary>
/// The standalone push channel (<c>/api/realtime/hub</c>, docs/adr/0011-chat-push.md). A
/// connection hears nothing until it joins: a customer joins one of their own chat sessions
/// (<see cref="JoinChat"/>), an agent watches a ticket (<see cref="WatchTicket"/>); both are
/// checked here, on the server, against the same rules as the HTTP routes, and the group names
/// are made here from the checked ids, never taken from the client. What is pushed about stored
/// changes (messages, sessions opening and closing) comes from the stored events
/// (<see cref="PushChat"/>); typing and "agent joined" are the hub's own, ephemeral messages.
/// </summary>
[Authorize(AuthenticationSchemes = RealtimeTokens.Scheme)]
public sealed class ChatHub(IServiceProvider services, IChatStore chats, ITicketStore tickets, TimeProvider clock, IOptions<RealtimeOptions> options) : Hub
{
    public const string Path = "/api/realtime/hub";

    private const string JoinedKey = "chats";
    private const string WatchedKey = "tickets";
    private const string TypedKey = "typedAt";

    /// <summary>The group of a chat session's customer side.</summary>
    public static string ChatGroup(string chatId) => "chat:" + chatId;

    /// <summary>The group of the staff watching a ticket.</summary>
    public static string TicketGroup(string ticketId) => "ticket:" + ticketId;

    /// <summary>A customer joins one of their own chat sessions; any other id is refused, as the portal routes answer 404 for it.</summary>
    public async Task<ChatSessionResponse> JoinChat(string chatId)
    {
        var user = CurrentUser.From(Context.User!);
        var access = ActivatorUtilities.CreateInstance<PortalAccess>(services, user);
        var contact = user.Roles.Contains(Roles.Customer) ? await access.ContactAsync(Context.ConnectionAborted) : null;
        var session = contact is null || string.IsNullOrWhiteSpace(chatId) ? null : (await chats.FindAsync(chatId, Context.ConnectionAborted))?.Value;
        if (session is null || session.ContactId != contact!.Id || await access.FindVisibleAsync(session.TicketId, Context.ConnectionAborted) is null)
        {
            throw new HubException("No chat of yours has this id.");
        }

        await Groups.AddToGroupAsync(Context.ConnectionId, ChatGroup(session.Id), Context.ConnectionAborted);
        Joined()[session.Id] = session.TicketId;
        return ChatSessionResponse.From(session);
    }

    /// <summary>An agent (any staff) watches a ticket they may open; its open chat's customer hears that an agent joined.</summary>
    public async Task WatchTicket(string ticketId)
    {
        var user = CurrentUser.From(Context.User!);
        var ticket = user.IsStaff && !string.IsNullOrWhiteSpace(ticketId) ? await tickets.FindAsync(ticketId, Context.ConnectionAborted) : null;
        if (ticket is null)
        {
            throw new HubException("No ticket you may see has this id.");
        }

        await Groups.AddToGroupAsync(Context.ConnectionId, TicketGroup(ticket.Id), Context.ConnectionAborted);
        Watched()[ticket.Id] = true;
        if (ticket.Chat is { } open)
        {
            var name = await AgentNameAsync(user);
            await Clients.Group(ChatGroup(open.Id)).SendAsync(ChatPushes.AgentJoined, new AgentJoinedPush(open.Id, ticket.Id, name), Context.ConnectionAborted);
        }
    }

    /// <summary>
    /// The caller is typing in a chat they joined (customer) or whose ticket they watch (agent):
    /// relayed to the other side at most once per <see cref="RealtimeOptions.TypingIntervalSeconds"/>
    /// per connection; returns whether this one was relayed.
    /// </summary>
    public async Task<bool> Typing(string chatId)
    {
        var user = CurrentUser.From(Context.User!);
        if (string.IsNullOrWhiteSpace(chatId))
        {
            throw new HubException("Name the chat you type in.");
        }

        string? ticketId;
        if (user.IsStaff)
        {
            var session = (await chats.FindAsync(chatId, Context.ConnectionAborted))?.Value;
            ticketId = session is { Open: true } && Watched().ContainsKey(session.TicketId) ? session.TicketId : null;
        }
        else
        {
            ticketId = Joined().TryGetValue(chatId, out var joined) ? joined : null;
        }

        if (ticketId is null)
        {
            throw new HubException("Join the chat (or watch its ticket) before typing in it.");
        }

        var now = clock.GetUtcNow();
        if (Context.Items.TryGetValue(TypedKey, out var last) && last is DateTimeOffset at && now - at < TimeSpan.FromSeconds(options.Value.TypingIntervalSeconds))
        {
            return false;
        }

        Context.Items[TypedKey] = now;
        var push = user.IsStaff
            ? new TypingPush(chatId, ticketId, "agent", await AgentNameAsync(user))
            : new TypingPush(chatId, ticketId, "customer", null);
        await Clients.Group(user.IsStaff ? ChatGroup(chatId) : TicketGroup(ticketId)).SendAsync(ChatPushes.Typing, push, Context.ConnectionAborted);
        return true;
    }

    private async Task<string> AgentNameAsync(CurrentUser user)
    {
        var agent = await ActivatorUtilities.CreateInstance<Caller>(services, user).AgentAsync(Context.ConnectionAborted);
        return agent?.Name ?? user.Email ?? "An agent";
    }

    /// <summary>The chats this connection joined (chat id to ticket id); a connection's invocations run one at a time.</summary>
    private Dictionary<string, string> Joined() => Items<string>(JoinedKey);

    /// <summary>The tickets this connection watches.</summary>
    private Dictionary<string, bool> Watched() => Items<bool>(WatchedKey);

    private Dictionary<string, T> Items<T>(string key)
    {
        if (Context.Items.TryGetValue(key, out var value) && value is Dictionary<string, T> items)
        {
            return items;
        }

        items = new Dictionary<string, T>(StringComparer.Ordinal);
        Context.Items[key] = items;
        return items;
    }
}
