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

namespace Helpdesk.Api.Conversation;

public sealed record PostMessageRequest(string? Visibility, string? Body, IReadOnlyList<string>? Cc);

internal sealed class PostMessageValidator : AbstractValidator<PostMessageRequest>
{
    public const int MaxBodyLength = 100_000;
    public const int MaxCc = 50;

    public PostMessageValidator()
    {
        RuleFor(r => r.Visibility).NotEmpty().Must(v => v is null || Names.TryParse<MessageVisibility>(v, out _)).WithMessage("The visibility is public or internal.");
        RuleFor(r => r.Body).NotEmpty().MaximumLength(MaxBodyLength);
        RuleFor(r => r.Cc).Must(c => c is null || c.Count <= MaxCc).WithMessage($"At most {MaxCc} addresses in cc.");
        RuleForEach(r => r.Cc).ValidEmail();
    }
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
        HttpRequest http,
        CancellationToken cancellationToken)
    {
        var visibility = Enum.Parse<MessageVisibility>(request.Visibility!, ignoreCase: true);
        var body = HtmlSanitizer.Sanitize(request.Body!);
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

        var posted = outcome.Value;
        return TypedResults.Created(
            $"{http.PathBase}/api/tickets/{posted.Ticket.Id}/messages/{posted.Message.Id}",
            MessageResponse.From(posted.Message, [], resolved.Unknown));
    }
}
