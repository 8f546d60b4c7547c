using FluentValidation;
using Helpdesk.Api.Attachments;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Common;
using Helpdesk.Api.Directory;
using Helpdesk.Api.Storage;
using Helpdesk.Api.Storage.Sqlite;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Directory;
using Helpdesk.Domain.Tickets;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Helpdesk.Api.Conversation;

/// <summary>
/// A message to post: <c>public</c> (to the requester and <c>cc</c>), <c>internal</c> (a note,
/// <c>cc</c> active agents only) or <c>private</c> (emailed to the recipients in <c>to</c> alone:
/// agents or outside addresses, never the customer).
/// </summary>
public sealed record PostMessageRequest(string? Visibility, string? Body, IReadOnlyList<string>? Cc, IReadOnlyList<string>? To = null);

internal sealed class PostMessageValidator : AbstractValidator<PostMessageRequest>
{
    public const int MaxBodyLength = 100_000;
    public const int MaxCc = 50;

    public PostMessageValidator()
    {
        RuleFor(r => r.Visibility).NotEmpty().Must(v => v is null || Names.TryParse<MessageVisibility>(v, out _)).WithMessage("The visibility is public, internal or private.");
        RuleFor(r => r.Body).NotEmpty().MaximumLength(MaxBodyLength);
        RuleFor(r => r.Cc).Must(c => c is null || c.Count <= MaxCc).WithMessage($"At most {MaxCc} addresses in cc.");
        RuleForEach(r => r.Cc).ValidEmail();
        When(r => IsPrivate(r.Visibility), () =>
        {
            RuleFor(r => r.To).Must(t => t is { Count: > 0 }).WithMessage("A private message needs at least one recipient.")
                .Must(t => t is null || t.Count <= MaxCc).WithMessage($"At most {MaxCc} recipients.");
            RuleFor(r => r.Cc).Must(c => c is not { Count: > 0 }).WithMessage("A private message goes to its recipients in to; it has no cc.");
            RuleForEach(r => r.To).ValidEmail();
        }).Otherwise(() =>
            RuleFor(r => r.To).Must(t => t is not { Count: > 0 }).WithMessage("Only a private message has recipients: a reply goes to the requester and cc, a note to the team."));
    }

    private static bool IsPrivate(string? visibility) =>
        visibility is not null && Names.TryParse<MessageVisibility>(visibility, out var parsed) && parsed == MessageVisibility.Private;
}

/// <summary>The conversation routes of API.md for support staff: the whole thread, internal notes included.</summary>
public static class ConversationEndpoints
{
    public static IServiceCollection AddConversation(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<ConversationOptions>(configuration.GetSection(ConversationOptions.Section));
        return services
            .AddSqliteMigration(SqliteConversationStore.Migration.Name, SqliteConversationStore.Migration.Sql)
            .AddSqliteMigration(SqliteConversationStore.Versions.Name, SqliteConversationStore.Versions.Sql)
            .AddTicketItemKind(SqliteConversationStore.Table, CosmosConversationStore.ItemKind)
            .AddSingleton(StoreSelection.Of<IConversationStore, SqliteConversationStore, CosmosConversationStore>())
            .AddSingleton(StoreSelection.Of<IConversationSearch, SqliteConversationStore, CosmosConversationStore>())
            .AddScoped<MentionResolver>()
            .AddScoped<ConversationService>();
    }

    public static RouteGroupBuilder MapConversationEndpoints(this RouteGroupBuilder api)
    {
        var messages = api.MapGroup("/tickets/{id}/messages").WithTags("conversation").RequireAuthorization(Policies.Staff);
        messages.MapGet("/", ListAsync).WithName("ListMessages")
            .Produces<Page<MessageResponse>>().ProducesProblems(StatusCodes.Status404NotFound);
        messages.MapGet("/{messageId}", GetAsync).WithName("GetMessage")
            .Produces<MessageResponse>().ProducesProblems(StatusCodes.Status404NotFound);
        messages.MapPost("/", PostAsync).Validate<PostMessageRequest>().WithName("PostMessage")
            .Produces<MessageResponse>(StatusCodes.Status201Created).ProducesCommandProblems();
        api.MapPost("/tickets/{id}/escalate", EscalateTicket.HandleAsync).WithTags("tickets").RequireAuthorization(Policies.Staff)
            .Validate<EscalateRequest>().WithName("EscalateTicket").ProducesCommandProblems(StatusCodes.Status400BadRequest);
        MailOriginals.Map(messages);
        MessageAttachments.Map(messages);
        Rethreading.Map(messages);

        new CannedResponses().Map(api, "/canned-responses");
        api.MapPost("/canned-responses/{id}/render", CannedResponses.RenderAsync)
            .WithTags("canned-responses").RequireAuthorization(Policies.Staff).Validate<RenderCannedResponseRequest>().WithName("RenderCannedResponse")
            .WithSummary("A canned response filled in for one ticket: the HTML to insert in a reply, and its text")
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound);
        return api;
    }

    private static async Task<IResult> ListAsync(string id, ITicketStore tickets, IConversationStore store, IAttachmentIndex attachments, int? limit, string? cursor, CancellationToken cancellationToken)
    {
        if (Paging.RefuseLimit(limit) is { } refused)
        {
            return refused;
        }

        if (await tickets.FindAsync(id, cancellationToken) is null)
        {
            return Problems.NotFound("ticket");
        }

        var page = await store.ListAsync(id, includeInternal: true, limit ?? Paging.DefaultLimit, cursor, cancellationToken);
        var files = await MessageAttachments.ByMessageAsync(attachments, id, cancellationToken);
        return TypedResults.Ok(page.Map(m => MessageResponse.From(m, files[m.Id].ToArray())));
    }

    private static async Task<IResult> GetAsync(string id, string messageId, IConversationStore store, IAttachmentIndex attachments, CancellationToken cancellationToken) =>
        await store.FindAsync(id, messageId, cancellationToken) is { } message
            ? TypedResults.Ok(MessageResponse.From(message, (await MessageAttachments.ByMessageAsync(attachments, id, cancellationToken))[message.Id].ToArray()))
            : Problems.NotFound("message");

    private static async Task<IResult> PostAsync(
        string id,
        PostMessageRequest request,
        Caller caller,
        IDirectoryStore directory,
        MentionResolver mentions,
        ConversationService conversation,
        TimeProvider clock,
        HttpRequest http,
        CancellationToken cancellationToken)
    {
        var visibility = Enum.Parse<MessageVisibility>(request.Visibility!, ignoreCase: true);
        var body = HtmlSanitizer.Sanitize(request.Body!);
        if (visibility == MessageVisibility.Private)
        {
            return await PostPrivateAsync(id, request, body, caller, mentions, conversation, clock, http, cancellationToken);
        }

        var isInternal = visibility == MessageVisibility.Internal;
        var cc = (request.Cc ?? []).Select(EmailAddresses.Normalize).ToList();
        if (isInternal)
        {
            var errors = new Dictionary<string, string[]>();
            for (var i = 0; i < cc.Count; i++)
            {
                if (await directory.FindByKeyAsync(DirectoryKinds.Agent, cc[i], cancellationToken) is not { Active: true })
                {
                    errors[$"cc[{i}]"] = ["An internal note is only copied to active agents."];
                }
            }

            if (errors.Count > 0)
            {
                return Problems.Result(Problems.Validation(errors));
            }
        }

        var resolved = await mentions.ResolveAsync(body.Text, agentsOnly: isInternal, cancellationToken);
        cc.AddRange(resolved.Emails.Select(EmailAddresses.Normalize));
        var agent = await caller.AgentAsync(cancellationToken);
        var draft = new MessageDraft(
            await caller.ActorAsync(cancellationToken),
            agent?.Name ?? caller.User.Email,
            visibility,
            body,
            cc.Distinct(StringComparer.Ordinal).ToArray(),
            MessageSources.Api);

        var outcome = await conversation.AddAsync(id, draft, cancellationToken);
        if (!outcome.Succeeded)
        {
            return Problems.Result(outcome.Problem);
        }

        return Created(http, outcome.Value, resolved.Unknown);
    }

    /// <summary>
    /// A private message: to its recipients (and the agents it @mentions) only. It is stored with
    /// the Message-ID of the mail that will carry it, so the recipients' answers thread back private.
    /// </summary>
    private static async Task<IResult> PostPrivateAsync(
        string id,
        PostMessageRequest request,
        SanitizedBody body,
        Caller caller,
        MentionResolver mentions,
        ConversationService conversation,
        TimeProvider clock,
        HttpRequest http,
        CancellationToken cancellationToken)
    {
        var to = request.To!.Select(EmailAddresses.Normalize).ToList();
        var resolved = await mentions.ResolveAsync(body.Text, agentsOnly: true, cancellationToken);
        to.AddRange(resolved.Emails.Select(EmailAddresses.Normalize));
        var agent = await caller.AgentAsync(cancellationToken);
        var messageId = Ids.New("msg", clock);
        var draft = new MessageDraft(
            await caller.ActorAsync(cancellationToken),
            agent?.Name ?? caller.User.Email,
            MessageVisibility.Private,
            body,
            [],
            MessageSources.Api,
            messageId,
            InternetMessageId: PrivateMessageIds.Of(messageId),
            To: to.Distinct(StringComparer.Ordinal).ToArray());

        var outcome = await conversation.AddAsync(id, draft, cancellationToken);
        return outcome.Succeeded ? Created(http, outcome.Value, resolved.Unknown) : Problems.Result(outcome.Problem);
    }

    private static Created<MessageResponse> Created(HttpRequest http, PostedMessage posted, IReadOnlyList<string> unknownMentions) =>
        TypedResults.Created(
            $"{http.PathBase}/api/tickets/{posted.Ticket.Id}/messages/{posted.Message.Id}",
            MessageResponse.From(posted.Message, [], unknownMentions));
}
