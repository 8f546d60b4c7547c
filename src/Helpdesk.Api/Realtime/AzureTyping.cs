using System.Collections.Concurrent;
using System.Text.Json;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Chat;
using Helpdesk.Api.Portal;
using Helpdesk.Api.Triggers;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Realtime;

/// <summary>
/// At most one typing relay per connection every <see cref="RealtimeOptions.TypingIntervalSeconds"/>
/// on Azure, where no hub keeps a connection's state (one instance's memory: a scaled-out app may
/// relay one more, which is harmless for an indicator). Entries older than the interval are dropped.
/// </summary>
public sealed class TypingThrottle(TimeProvider clock, IOptions<RealtimeOptions> options)
{
    private const int PruneAbove = 1024;
    private readonly ConcurrentDictionary<string, DateTimeOffset> _last = new(StringComparer.Ordinal);

    /// <summary>Whether the connection may relay now (and, if so, records that it did).</summary>
    public bool TryRelay(string connectionId)
    {
        var now = clock.GetUtcNow();
        var interval = TimeSpan.FromSeconds(options.Value.TypingIntervalSeconds);
        if (_last.Count > PruneAbove)
        {
            foreach (var stale in _last.Where(e => now - e.Value >= interval).Select(e => e.Key).ToList())
            {
                _last.TryRemove(stale, out _);
            }
        }

        var relayed = false;
        _last.AddOrUpdate(
            connectionId,
            _ =>
            {
                relayed = true;
                return now;
            },
            (_, at) =>
            {
                relayed = now - at >= interval;
                return relayed ? now : at;
            });
        return relayed;
    }
}

/// <summary>
/// <c>Typing(chatId)</c> on Azure (docs/adr/0011-chat-push.md): the client invokes the hub method
/// on Azure SignalR Service, whose upstream calls the <c>RealtimeTyping</c> function
/// (<c>signalRTrigger</c>, category <c>messages</c>, event <c>typing</c>) and the host POSTs its
/// invocation here. The sender is the invocation's user id, which the service took from the
/// connection's token (made by RealtimeConnect for a validated caller only): a customer
/// (<c>contact:{id}</c>, active) may type in their own open chat on a ticket they can see, staff
/// (<c>staff:{sub}</c>) in any open chat. The push goes to the other side through the
/// <c>signalR</c> output binding: the customer's typing to the <c>staff</c> group, an agent's to
/// the chat's customer. Anything else is refused (no outputs, <c>ReturnValue</c> false), as is a
/// second one within the interval from the same connection.
/// </summary>
public static class AzureTyping
{
    public const string FunctionName = "RealtimeTyping";
    public const string InvocationBinding = "invocation";

    public static IEndpointRouteBuilder MapAzureTyping(this IEndpointRouteBuilder app)
    {
        app.MapPost($"/{FunctionName}", TypingAsync)
            .AddEndpointFilter<TriggerEndpoints.LocalCallersOnly>()
            .AllowAnonymous()
            .ExcludeFromDescription();
        return app;
    }

    private static async Task<IResult> TypingAsync(InvocationRequest envelope, IServiceProvider services, IChatStore chats, TypingThrottle throttle, CancellationToken cancellationToken)
    {
        var invocation = envelope.Binding(InvocationBinding);
        var userId = Text(invocation, "UserId");
        var connectionId = Text(invocation, "ConnectionId");
        var chatId = Argument(invocation);
        if (userId is null || connectionId is null || chatId is null)
        {
            return Refused("Typing refused: the invocation names no user, connection or chat.");
        }

        var session = (await chats.FindAsync(chatId, cancellationToken))?.Value;
        TypingPush? push = null;
        string? toUser = null;
        if (session is { Open: true } && RealtimeUsers.IsStaff(userId))
        {
            push = new TypingPush(session.Id, session.TicketId, "agent", null);
            toUser = RealtimeUsers.Contact(session.ContactId);
        }
        else if (session is { Open: true } && userId == RealtimeUsers.Contact(session.ContactId)
            && await CustomerSeesAsync(services, session, cancellationToken))
        {
            push = new TypingPush(session.Id, session.TicketId, "customer", null);
        }

        if (push is null)
        {
            return Refused($"Typing refused: {userId} may not type in chat {chatId}.");
        }

        if (!throttle.TryRelay(connectionId))
        {
            return Results.Json(new InvocationResult([], ["Typing not relayed: within the interval."], false));
        }

        var send = toUser is null
            ? new SignalRBindingMessage(ChatPushes.Typing, [push], GroupName: RealtimeUsers.StaffGroup)
            : new SignalRBindingMessage(ChatPushes.Typing, [push], UserId: toUser);
        var outputs = new Dictionary<string, object?>(StringComparer.Ordinal) { [PushChat.OutputBinding] = new[] { send } };
        return Results.Json(new InvocationResult(outputs, [$"Typing in chat {chatId} relayed."], true));
    }

    /// <summary>The customer's contact is active and the chat's ticket is one they may see (the portal routes' rule).</summary>
    private static async Task<bool> CustomerSeesAsync(IServiceProvider services, ChatSession session, CancellationToken cancellationToken)
    {
        var customer = new CurrentUser(RealtimeUsers.Contact(session.ContactId), null, new HashSet<string>(StringComparer.OrdinalIgnoreCase) { Roles.Customer }, session.ContactId);
        var access = ActivatorUtilities.CreateInstance<PortalAccess>(services, customer);
        return await access.FindVisibleAsync(session.TicketId, cancellationToken) is not null;
    }

    private static IResult Refused(string log) => Results.Json(new InvocationResult([], [log], false));

    /// <summary>The hub method's one argument, the chat id.</summary>
    private static string? Argument(JsonElement? invocation) =>
        Property(invocation, "Arguments") is { ValueKind: JsonValueKind.Array } arguments && arguments.GetArrayLength() == 1 && arguments[0].ValueKind == JsonValueKind.String
            && arguments[0].GetString() is { Length: > 0 } chatId
            ? chatId
            : null;

    private static string? Text(JsonElement? invocation, string name) =>
        Property(invocation, name) is { ValueKind: JsonValueKind.String } value && value.GetString() is { Length: > 0 } text ? text : null;

    /// <summary>A property of the invocation context, whatever the casing the host serialized it with.</summary>
    private static JsonElement? Property(JsonElement? invocation, string name)
    {
        if (invocation is not { ValueKind: JsonValueKind.Object } context)
        {
            return null;
        }

        foreach (var property in context.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return property.Value;
            }
        }

        return null;
    }
}
