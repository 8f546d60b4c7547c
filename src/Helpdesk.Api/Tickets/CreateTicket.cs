using FluentValidation;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Common;
using Helpdesk.Api.Directory;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Directory;
using Helpdesk.Domain.Tickets;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Tickets;

public sealed record RequesterRequest(string? Email, string? Name);

public sealed record CreateTicketRequest(
    string? Subject,
    string? Description,
    RequesterRequest? Requester,
    string? ContactId,
    string? AccountId,
    string? Priority,
    string? Type,
    string? Group,
    string? Severity,
    string? Impact,
    string? TeamId,
    string? AssigneeId,
    DateTimeOffset? StartAt,
    DateTimeOffset? DueAt,
    IReadOnlyList<string>? Tags,
    bool? NotifyCustomer);

internal sealed class CreateTicketValidator : AbstractValidator<CreateTicketRequest>
{
    public CreateTicketValidator(IOptions<TicketOptions> options)
    {
        var lists = options.Value;
        RuleFor(r => r.Subject).NotEmpty().MaximumLength(Ticket.MaxSubjectLength);
        RuleFor(r => r.Description).MaximumLength(Ticket.MaxDescriptionLength);
        RuleFor(r => r.Requester).NotNull().When(r => r.ContactId is null && !IsInternal(r.Type))
            .WithMessage($"Give the requester's email, or a contactId (only an internal ticket, of type {Ticket.InternalType}, has none).");
        RuleFor(r => r.ContactId).Null().When(r => r.Requester is not null).WithMessage("Give either requester or contactId, not both.");
        RuleFor(r => r.Requester!.Email).ValidEmail().When(r => r.Requester is not null).OverridePropertyName("requester.email");
        RuleFor(r => r.Requester!.Name).MaximumLength(200).When(r => r.Requester is not null).OverridePropertyName("requester.name");
        RuleFor(r => r.Priority).Must(p => p is null || Names.TryParse<Priority>(p, out _)).WithMessage("The priority is urgent, high, normal or low.");
        RuleFor(r => r.Type).Must(v => TicketOptions.CheckListed(v, lists.Types) is null).WithMessage(r => TicketOptions.CheckListed(r.Type, lists.Types));
        RuleFor(r => r.Group).Must(v => TicketOptions.CheckListed(v, lists.Groups) is null).WithMessage(r => TicketOptions.CheckListed(r.Group, lists.Groups));
        RuleFor(r => r.Severity).Must(v => TicketOptions.CheckListed(v, lists.Severities) is null).WithMessage(r => TicketOptions.CheckListed(r.Severity, lists.Severities));
        RuleFor(r => r.Impact).Must(v => TicketOptions.CheckListed(v, lists.Impacts) is null).WithMessage(r => TicketOptions.CheckListed(r.Impact, lists.Impacts));
        RuleFor(r => r.Tags).Must(t => t is null || t.Count <= Ticket.MaxTags).WithMessage($"A ticket has at most {Ticket.MaxTags} tags.");
        RuleForEach(r => r.Tags).NotEmpty().MaximumLength(Ticket.MaxTagLength);
        RuleFor(r => r.DueAt).GreaterThan(r => r.StartAt).When(r => r.StartAt is not null && r.DueAt is not null).WithMessage("The due date comes after the start date.");
    }

    private static bool IsInternal(string? type) => string.Equals(type?.Trim(), Ticket.InternalType, StringComparison.OrdinalIgnoreCase);
}

/// <summary>POST /api/tickets: an agent opens a ticket for a requester.</summary>
internal static class CreateTicket
{
    public static async Task<Results<Created<TicketResponse>, ApiProblem>> HandleAsync(
        CreateTicketRequest request,
        Caller caller,
        IDirectoryStore directory,
        TicketOpening opening,
        TicketReferences references,
        TicketPresenter presenter,
        TimeProvider clock,
        HttpResponse response,
        CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();

        Contact? contact = null;
        if (request.ContactId is not null)
        {
            contact = (await directory.FindAsync(DirectoryKinds.Contact, request.ContactId, cancellationToken))?.Value;
            if (contact is null)
            {
                errors["contactId"] = ["No such contact."];
            }
        }
        else if (request.Requester is not null)
        {
            contact = await references.FindOrCreateContactAsync(request.Requester.Email!, request.Requester.Name, clock.GetUtcNow(), cancellationToken);
        }

        var accountId = request.AccountId;
        if (accountId is not null && !await DirectoryChecks.Exists(directory, DirectoryKinds.Account, accountId, cancellationToken))
        {
            errors["accountId"] = ["No such account."];
        }

        await references.CheckAssignmentAsync(request.AssigneeId, request.TeamId, errors, "assigneeId", "teamId", cancellationToken);
        if (errors.Count > 0)
        {
            return new ApiProblem(Problems.Validation(errors));
        }

        var ticket = await opening.OpenAsync(Draft(request, contact, accountId), await caller.ActorAsync(cancellationToken), cancellationToken);
        ETags.Set(response, ticket.Version);
        return TypedResults.Created($"/api/tickets/{ticket.Id}", await presenter.PresentAsync(ticket, cancellationToken));
    }

    /// <summary>An internal ticket may come without a requester (the validator let it through).</summary>
    private static TicketDraft Draft(CreateTicketRequest request, Contact? contact, string? accountId) =>
        new(
            Subject: request.Subject!,
            Description: request.Description,
            Requester: contact is null ? null : new Requester(contact.Id, contact.Email, contact.Name),
            AccountId: accountId ?? contact?.AccountId,
            Priority: request.Priority is null ? Priority.Normal : Enum.Parse<Priority>(request.Priority, ignoreCase: true),
            Type: request.Type,
            Group: request.Group,
            Severity: request.Severity,
            Impact: request.Impact,
            TeamId: request.TeamId,
            AssigneeId: request.AssigneeId,
            StartAt: request.StartAt,
            DueAt: request.DueAt,
            Tags: request.Tags ?? [],
            NotifyCustomer: request.NotifyCustomer ?? true);
}
