using FluentValidation;
using Helpdesk.Api.Attachments;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Common;
using Helpdesk.Api.Conversation;
using Helpdesk.Api.Directory;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Portal;

public sealed record PortalTicketRequest(string? Subject, string? Description, string? Priority, IReadOnlyList<string>? Cc);

public sealed record PortalMessageRequest(string? Body, IReadOnlyList<string>? Cc);

/// <summary>
/// A ticket as its customer sees it: no assignment, tags or internal fields, public messages only;
/// in a searched list (<c>q</c>), where the text was found among those (match).
/// </summary>
public sealed record PortalTicketResponse(
    string Id,
    string Number,
    string Subject,
    string? Description,
    TicketStatus Status,
    Priority Priority,
    RequesterResponse? Requester,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? EndAt,
    string? FollowUpOfId,
    IReadOnlyList<MessageResponse>? Messages = null,
    TicketMatch? Match = null)
{
    public static PortalTicketResponse From(Ticket t, IReadOnlyList<MessageResponse>? messages = null) => new(
        t.Id,
        t.Number,
        t.Subject,
        t.Description,
        t.Status,
        t.Priority,
        RequesterResponse.Of(t.Requester),
        t.CreatedAt,
        t.UpdatedAt,
        t.EndAt,
        t.FollowUpOfId,
        messages);
}

internal sealed class PortalTicketValidator : AbstractValidator<PortalTicketRequest>
{
    public PortalTicketValidator()
    {
        RuleFor(r => r.Subject).NotEmpty().MaximumLength(Ticket.MaxSubjectLength);
        RuleFor(r => r.Description).NotEmpty().MaximumLength(PostMessageValidator.MaxBodyLength);
        RuleFor(r => r.Priority).Must(p => p is null || Names.TryParse<Priority>(p, out _)).WithMessage("The priority is urgent, high, normal or low.");
        RuleFor(r => r.Cc).Must(c => c is null || c.Count <= PostMessageValidator.MaxCc).WithMessage($"At most {PostMessageValidator.MaxCc} addresses in cc.");
        RuleForEach(r => r.Cc).ValidEmail();
    }
}

internal sealed class PortalMessageValidator : AbstractValidator<PortalMessageRequest>
{
    public PortalMessageValidator()
    {
        RuleFor(r => r.Body).NotEmpty().MaximumLength(PostMessageValidator.MaxBodyLength);
        RuleFor(r => r.Cc).Must(c => c is null || c.Count <= PostMessageValidator.MaxCc).WithMessage($"At most {PostMessageValidator.MaxCc} addresses in cc.");
        RuleForEach(r => r.Cc).ValidEmail();
    }
}

/// <summary>The customer portal of API.md: a customer's own tickets, public messages only; any other id is 404.</summary>
public static class PortalEndpoints
{
    public static IServiceCollection AddPortal(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<PortalOptions>(configuration.GetSection(PortalOptions.Section));
        return services
            .AddScoped<PortalAccess>();
    }

    public static RouteGroupBuilder MapPortalEndpoints(this RouteGroupBuilder api)
    {
        var portal = api.MapGroup("/portal/tickets").WithTags("portal").RequireAuthorization(Policies.Customer);
        portal.MapGet("/", ListAsync).WithName("ListPortalTickets")
            .Produces<Page<PortalTicketResponse>>().ProducesProblems(StatusCodes.Status400BadRequest);
        portal.MapGet("/{id}", GetAsync).WithName("GetPortalTicket")
            .Produces<PortalTicketResponse>().ProducesProblems(StatusCodes.Status404NotFound);
        portal.MapGet("/{id}/messages", ListMessagesAsync).WithName("ListPortalMessages")
            .Produces<Page<MessageResponse>>().ProducesProblems(StatusCodes.Status404NotFound);
        portal.MapPost("/", OpenAsync).Validate<PortalTicketRequest>().WithName("OpenPortalTicket")
            .Produces<PortalTicketResponse>(StatusCodes.Status201Created).ProducesProblems(StatusCodes.Status403Forbidden);
        portal.MapPost("/{id}/messages", ReplyAsync).Validate<PortalMessageRequest>().WithName("PostPortalMessage")
            .Produces<MessageResponse>(StatusCodes.Status201Created).ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
        portal.MapGet("/{id}/messages/{messageId}/original", OriginalAsync).WithName("GetPortalMessageOriginal")
            .Produces<OriginalMailResponse>().ProducesProblems(StatusCodes.Status404NotFound);
        PortalAttachments.Map(portal.MapGroup("/{id}"));
        return api;
    }

    /// <summary>The original mail of a public message of a ticket the customer can see, its images pointing at the portal's downloads.</summary>
    private static async Task<IResult> OriginalAsync(string id, string messageId, PortalAccess access, IConversationStore messages, IAttachmentIndex attachments, HttpRequest http, CancellationToken cancellationToken)
    {
        var ticket = await access.FindVisibleAsync(id, cancellationToken);
        if (ticket is null)
        {
            return Problems.NotFound("ticket");
        }

        if (await messages.FindAsync(ticket.Id, messageId, cancellationToken) is not { Visibility: MessageVisibility.Public } message)
        {
            return Problems.NotFound("message");
        }

        var files = await attachments.ListAsync(ticket.Id, cancellationToken);
        return MailOriginals.Render(message, files, f => $"{http.PathBase}/api/portal/tickets/{f.TicketId}/attachments/{f.Id}") is { } original
            ? TypedResults.Ok(original)
            : MailOriginals.NoOriginal();
    }

    private static IResult NotAContact() =>
        Problems.Result(Problems.Create(StatusCodes.Status403Forbidden, ProblemTypes.Rule("not-a-contact"), "The token names no active contact.", "Portal routes need a customer token whose contact_id is an active contact."));

    /// <summary>The customer's tickets; <c>q</c> searches what they see of each (its fields and public messages, never an internal note).</summary>
    private static async Task<IResult> ListAsync(
        PortalAccess access, ITicketStore tickets, TicketSearch search, TimeProvider clock, string? q, string? sort, int? limit, string? cursor, CancellationToken cancellationToken)
    {
        if (Paging.RefuseLimit(limit) is { } refused)
        {
            return refused;
        }

        if (TicketSearch.Refusal(q) is { } refusal)
        {
            return Problems.Result(Problems.Validation("q", refusal));
        }

        if (!TicketSort.TryParse(sort, out var order))
        {
            return Problems.Result(Problems.Validation(TicketSort.Parameter, TicketSort.Refusal));
        }

        var contact = await access.ContactAsync(cancellationToken);
        if (contact is null)
        {
            return NotAContact();
        }

        var page = await tickets.QueryAsync(
            new TicketQuery(
                TicketView.All, clock.GetUtcNow(), limit ?? Paging.DefaultLimit, cursor, Text: q, Portal: access.Viewer(contact), Sort: order, TextScope: TicketTextScope.PublicConversation),
            cancellationToken);
        var matches = await search.MatchAsync(page.Items, q, TicketTextScope.PublicConversation, cancellationToken);
        return TypedResults.Ok(new Page<PortalTicketResponse>([.. page.Items.Select((t, i) => PortalTicketResponse.From(t) with { Match = matches[i] })], page.NextCursor));
    }

    private static async Task<IResult> GetAsync(string id, PortalAccess access, IConversationStore messages, IAttachmentIndex attachments, CancellationToken cancellationToken)
    {
        var ticket = await access.FindVisibleAsync(id, cancellationToken);
        if (ticket is null)
        {
            return Problems.NotFound("ticket");
        }

        var thread = await messages.ListAsync(ticket.Id, includeInternal: false, Paging.MaxLimit, null, cancellationToken);
        var files = await MessageAttachments.ByMessageAsync(attachments, ticket.Id, cancellationToken);
        return TypedResults.Ok(PortalTicketResponse.From(ticket, thread.Items.Select(m => MessageResponse.From(m, files[m.Id].ToArray())).ToArray()));
    }

    private static async Task<IResult> ListMessagesAsync(string id, PortalAccess access, IConversationStore messages, IAttachmentIndex attachments, int? limit, string? cursor, CancellationToken cancellationToken)
    {
        if (Paging.RefuseLimit(limit) is { } refused)
        {
            return refused;
        }

        var ticket = await access.FindVisibleAsync(id, cancellationToken);
        if (ticket is null)
        {
            return Problems.NotFound("ticket");
        }

        var page = await messages.ListAsync(ticket.Id, includeInternal: false, limit ?? Paging.DefaultLimit, cursor, cancellationToken);
        var files = await MessageAttachments.ByMessageAsync(attachments, ticket.Id, cancellationToken);
        return TypedResults.Ok(page.Map(m => MessageResponse.From(m, files[m.Id].ToArray())));
    }

    private static async Task<IResult> OpenAsync(PortalTicketRequest request, PortalAccess access, ConversationService conversation, HttpRequest http, CancellationToken cancellationToken)
    {
        var contact = await access.ContactAsync(cancellationToken);
        if (contact is null)
        {
            return NotAContact();
        }

        var priority = request.Priority is null ? Priority.Normal : Enum.Parse<Priority>(request.Priority, ignoreCase: true);
        var opened = await conversation.OpenCustomerTicketAsync(contact, request.Subject!.Trim(), request.Description!, request.Cc ?? [], priority, MessageSources.Portal, cancellationToken);
        return TypedResults.Created($"{http.PathBase}/api/portal/tickets/{opened.Ticket.Id}", PortalTicketResponse.From(opened.Ticket, [MessageResponse.From(opened.Message, [])]));
    }

    private static async Task<IResult> ReplyAsync(string id, PortalMessageRequest request, PortalAccess access, ConversationService conversation, HttpRequest http, CancellationToken cancellationToken)
    {
        var ticket = await access.FindVisibleAsync(id, cancellationToken);
        var contact = await access.ContactAsync(cancellationToken);
        if (ticket is null || contact is null)
        {
            return Problems.NotFound("ticket");
        }

        var posted = await conversation.AddCustomerMessageAsync(ticket.Id, contact, request.Body!, request.Cc ?? [], MessageSources.Portal, cancellationToken);
        return posted.Succeeded
            ? TypedResults.Created($"{http.PathBase}/api/portal/tickets/{posted.Value.Ticket.Id}/messages", MessageResponse.From(posted.Value.Message, []))
            : Problems.Result(posted.Problem);
    }
}
