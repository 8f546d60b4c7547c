using FluentValidation;
using Helpdesk.Api.Attachments;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Common;
using Helpdesk.Api.Conversation;
using Helpdesk.Api.Portal;
using Helpdesk.Api.Storage;
using Helpdesk.Api.Storage.Sqlite;
using Helpdesk.Api.Tickets;
using Helpdesk.Api.Triggers;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Directory;
using Helpdesk.Domain.Tickets;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Helpdesk.Api.Chat;

/// <summary>Opens a chat: <c>message</c> is its first message; with <c>ticketId</c> it continues one of the customer's tickets, otherwise it opens a new one (<c>subject</c>, by default the message's first line).</summary>
public sealed record OpenChatRequest(string? Subject, string? Message, string? TicketId);

/// <summary>A customer's message in their open chat.</summary>
public sealed record ChatMessageRequest(string? Body);

public enum ChatState
{
    Open,
    Closed,
}

/// <summary>A chat session as its customer sees it.</summary>
public sealed record ChatSessionResponse(
    string Id,
    string TicketId,
    ChatState State,
    DateTimeOffset OpenedAt,
    DateTimeOffset LastCustomerAt,
    DateTimeOffset? ClosedAt,
    string? EndReason)
{
    public static ChatSessionResponse From(ChatSession s) =>
        new(s.Id, s.TicketId, s.Open ? ChatState.Open : ChatState.Closed, s.OpenedAt, s.LastCustomerAt, s.ClosedAt, s.EndReason);
}

/// <summary>The chat's messages (the customer's and the replies delivered in it), after <c>after</c> when given, oldest first, and the session's state.</summary>
public sealed record ChatTranscriptResponse(ChatSessionResponse Chat, IReadOnlyList<MessageResponse> Items);

internal sealed class OpenChatValidator : AbstractValidator<OpenChatRequest>
{
    public OpenChatValidator()
    {
        RuleFor(r => r.Message).NotEmpty().MaximumLength(PostMessageValidator.MaxBodyLength);
        RuleFor(r => r.Subject).MaximumLength(Ticket.MaxSubjectLength);
        RuleFor(r => r.TicketId).MaximumLength(100);
    }
}

internal sealed class ChatMessageValidator : AbstractValidator<ChatMessageRequest>
{
    public ChatMessageValidator() => RuleFor(r => r.Body).NotEmpty().MaximumLength(PostMessageValidator.MaxBodyLength);
}

/// <summary>
/// The customer's side of live chat (portal API, customer token): open, write, read (the fallback
/// when no push channel is open) and close. A customer reaches only their own sessions; any other
/// id is 404. Agents answer through the ticket's reply route.
/// </summary>
public static class ChatEndpoints
{
    public static IServiceCollection AddChat(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<ChatOptions>(configuration.GetSection(ChatOptions.Section));
        return services
            .AddSqliteMigration(ChatStores.Schema.Name, ChatStores.Schema.Sql)
            .AddTicketItemKind(ChatStores.SqliteTable, ChatStores.CosmosKind)
            .AddSingleton(StoreSelection.Of<IChatStore, SqliteChatStore, CosmosChatStore>())
            .AddScoped<ChatService>()
            .AddScheduledJob<CloseIdleChats>(CloseIdleChats.FunctionName, TimeSpan.FromMinutes(1));
    }

    public static RouteGroupBuilder MapChatEndpoints(this RouteGroupBuilder api)
    {
        var chats = api.MapGroup("/portal/chats").WithTags("chat").RequireAuthorization(Policies.Customer);
        chats.MapPost("/", OpenAsync).Validate<OpenChatRequest>().WithName("OpenChat")
            .WithSummary("Opens a chat session on a new ticket or one of the caller's tickets")
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
        chats.MapGet("/{id}", GetAsync).WithName("GetChat")
            .WithSummary("A chat session of the caller")
            .ProducesProblems(StatusCodes.Status404NotFound);
        chats.MapGet("/{id}/messages", MessagesAsync).WithName("ListChatMessages")
            .WithSummary("The chat's messages, after a message id when given")
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound);
        chats.MapPost("/{id}/messages", SendAsync).Validate<ChatMessageRequest>().WithName("PostChatMessage")
            .WithSummary("Writes in the caller's open chat")
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
        chats.MapPost("/{id}/close", CloseAsync).WithName("CloseChat")
            .WithSummary("Ends the caller's chat; unanswered replies then go by email")
            .ProducesProblems(StatusCodes.Status404NotFound);
        return api;
    }

    private static async Task<Results<Created<ChatSessionResponse>, ApiProblem>> OpenAsync(OpenChatRequest request, PortalAccess access, ChatService chats, HttpRequest http, CancellationToken cancellationToken)
    {
        var contact = await access.ContactAsync(cancellationToken);
        if (contact is null)
        {
            return new ApiProblem(NotAContact());
        }

        Ticket? ticket = null;
        if (request.TicketId is not null && (ticket = await access.FindVisibleAsync(request.TicketId, cancellationToken)) is null)
        {
            return new ApiProblem(Problems.Missing("ticket"));
        }

        var opened = await chats.OpenAsync(contact, request.Subject, request.Message!, ticket, cancellationToken);
        return opened.Succeeded
            ? TypedResults.Created($"{http.PathBase}/api/portal/chats/{opened.Value.Id}", ChatSessionResponse.From(opened.Value))
            : new ApiProblem(opened.Problem);
    }

    private static async Task<Results<Ok<ChatSessionResponse>, ApiProblem>> GetAsync(string id, PortalAccess access, IChatStore store, CancellationToken cancellationToken) =>
        await OwnAsync(id, access, store, cancellationToken) is (_, { } session)
            ? TypedResults.Ok(ChatSessionResponse.From(session))
            : new ApiProblem(Problems.Missing("chat"));

    private static async Task<Results<Ok<ChatTranscriptResponse>, ApiProblem>> MessagesAsync(string id, string? after, PortalAccess access, IChatStore store, IConversationStore messages, IAttachmentIndex attachments, CancellationToken cancellationToken)
    {
        if (await OwnAsync(id, access, store, cancellationToken) is not (_, { } session))
        {
            return new ApiProblem(Problems.Missing("chat"));
        }

        var thread = await ChatThreadAsync(session, messages, cancellationToken);
        var start = 0;
        if (after is not null)
        {
            start = thread.FindIndex(m => m.Id == after) + 1;
            if (start == 0)
            {
                return new ApiProblem(Problems.Validation("after", "No message of this chat has this id."));
            }
        }

        var files = await MessageAttachments.ByMessageAsync(attachments, session.TicketId, cancellationToken);
        return TypedResults.Ok(new ChatTranscriptResponse(ChatSessionResponse.From(session), [.. thread.Skip(start).Select(m => MessageResponse.From(m, files[m.Id].ToArray()))]));
    }

    private static async Task<Results<Created<MessageResponse>, ApiProblem>> SendAsync(string id, ChatMessageRequest request, PortalAccess access, IChatStore store, ChatService chats, HttpRequest http, CancellationToken cancellationToken)
    {
        if (await OwnAsync(id, access, store, cancellationToken) is not ({ } contact, { } session))
        {
            return new ApiProblem(Problems.Missing("chat"));
        }

        var sent = await chats.SendAsync(session, contact, request.Body!, cancellationToken);
        return sent.Succeeded
            ? TypedResults.Created($"{http.PathBase}/api/portal/chats/{session.Id}/messages", MessageResponse.From(sent.Value, []))
            : new ApiProblem(sent.Problem);
    }

    private static async Task<Results<Ok<ChatSessionResponse>, ApiProblem>> CloseAsync(string id, PortalAccess access, IChatStore store, ChatService chats, CancellationToken cancellationToken)
    {
        if (await OwnAsync(id, access, store, cancellationToken) is not ({ } contact, { } session))
        {
            return new ApiProblem(Problems.Missing("chat"));
        }

        var closed = await chats.CloseAsync(session, ChatEndReasons.Customer, Actor.Customer(contact.Id), cancellationToken);
        return closed.Succeeded ? TypedResults.Ok(ChatSessionResponse.From(closed.Value)) : new ApiProblem(closed.Problem);
    }

    /// <summary>The session when it is the caller's own, on a ticket they can still see.</summary>
    private static async Task<(Contact? Contact, ChatSession? Session)> OwnAsync(string id, PortalAccess access, IChatStore store, CancellationToken cancellationToken)
    {
        var contact = await access.ContactAsync(cancellationToken);
        var session = contact is null ? null : (await store.FindAsync(id, cancellationToken))?.Value;
        return session is not null && session.ContactId == contact!.Id && await access.FindVisibleAsync(session.TicketId, cancellationToken) is not null
            ? (contact, session)
            : (null, null);
    }

    /// <summary>The chat messages of the session's ticket (the customer's, and the replies delivered in it) since it opened, oldest first; internal notes are never read.</summary>
    private static async Task<List<TicketMessage>> ChatThreadAsync(ChatSession session, IConversationStore messages, CancellationToken cancellationToken)
    {
        var thread = new List<TicketMessage>();
        string? cursor = null;
        do
        {
            var page = await messages.ListAsync(session.TicketId, includeInternal: false, Paging.MaxLimit, cursor, cancellationToken);
            thread.AddRange(page.Items.Where(m => m.Source == MessageSources.Chat && m.At >= session.OpenedAt && (session.ClosedAt is null || m.At <= session.ClosedAt)));
            cursor = page.NextCursor;
        }
        while (cursor is not null);
        return thread;
    }

    private static Microsoft.AspNetCore.Mvc.ProblemDetails NotAContact() =>
        Problems.Create(StatusCodes.Status403Forbidden, ProblemTypes.Rule("not-a-contact"), "The token names no active contact.", "Portal routes need a customer token whose contact_id is an active contact.");
}
