using FluentValidation;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Common;
using Helpdesk.Api.Directory;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Directory;
using Helpdesk.Domain.Tickets;
using Microsoft.AspNetCore.Http.HttpResults;

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
    bool? NotifyCustomer,
    string? LeadId = null);

internal sealed class CreateTicketValidator : AbstractValidator<CreateTicketRequest>
{
    public CreateTicketValidator(TicketLists lists)
    {
        RuleFor(r => r.Subject).NotEmpty().MaximumLength(Ticket.MaxSubjectLength);
        RuleFor(r => r.Description).MaximumLength(Ticket.MaxDescriptionLength);
        RuleFor(r => r.Requester).NotNull().When(r => r.ContactId is null && r.LeadId is null && !IsInternal(r.Type))
            .WithMessage($"Give the requester's email, a contactId or a leadId (only an internal ticket, of type {Ticket.InternalType}, has none).");
        RuleFor(r => r.ContactId).Null().When(r => r.Requester is not null).WithMessage("Give either requester or contactId, not both.");
        RuleFor(r => r.LeadId).Null().When(r => r.Requester is not null || r.ContactId is not null).WithMessage("Give one of requester, contactId or leadId.");
        RuleFor(r => r.LeadId).MaximumLength(100);
        RuleFor(r => r.Requester!.Email).ValidEmail().When(r => r.Requester is not null).OverridePropertyName("requester.email");
        RuleFor(r => r.Requester!.Name).MaximumLength(200).When(r => r.Requester is not null).OverridePropertyName("requester.name");
        RuleFor(r => r.Priority).Must(p => p is null || Names.TryParse<Priority>(p, out _)).WithMessage("The priority is urgent, high, normal or low.");
        RuleFor(r => r.Type).MaximumLength(TicketList.MaxValueLength).CustomAsync((v, c, ct) => lists.ValidateAsync(TicketListField.Type, v, c, ct));
        RuleFor(r => r.Group).MaximumLength(TicketList.MaxValueLength).CustomAsync((v, c, ct) => lists.ValidateAsync(TicketListField.Group, v, c, ct));
        RuleFor(r => r.Severity).MaximumLength(TicketList.MaxValueLength).CustomAsync((v, c, ct) => lists.ValidateAsync(TicketListField.Severity, v, c, ct));
        RuleFor(r => r.Impact).MaximumLength(TicketList.MaxValueLength).CustomAsync((v, c, ct) => lists.ValidateAsync(TicketListField.Impact, v, c, ct));
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
        TicketLists lists,
        TicketOpening opening,
        TicketReferences references,
        TicketPresenter presenter,
        TimeProvider clock,
        HttpResponse response,
        CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();

        // The validator refused values no list offers; this spells the accepted ones as listed
        // (and refuses one retired since, in the rare race with an admin's save).
        var listed = await lists.CheckAsync(
            new Dictionary<TicketListField, string?>
            {
                [TicketListField.Type] = request.Type,
                [TicketListField.Group] = request.Group,
                [TicketListField.Severity] = request.Severity,
                [TicketListField.Impact] = request.Impact,
            },
            errors,
            cancellationToken);

        Requester? lead = null;
        Contact? contact = null;
        if (request.LeadId is not null)
        {
            lead = await LeadRequesterAsync(request.LeadId, directory, errors, cancellationToken);
        }
        else if (request.ContactId is not null)
        {
            contact = (await directory.FindAsync(DirectoryKinds.Contact, request.ContactId, cancellationToken))?.Value;
            if (contact is null)
            {
                errors["contactId"] = ["No such contact."];
            }
        }
        else if (request.Requester is not null && errors.Count == 0)
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

        var draft = Draft(request, lead ?? Of(contact), accountId ?? contact?.AccountId) with
        {
            Type = listed[TicketListField.Type],
            Group = listed[TicketListField.Group],
            Severity = listed[TicketListField.Severity],
            Impact = listed[TicketListField.Impact],
        };
        var ticket = await opening.OpenAsync(draft, await caller.ActorAsync(cancellationToken), cancellationToken);
        ETags.Set(response, ticket.Version);
        return TypedResults.Created($"/api/tickets/{ticket.Id}", await presenter.PresentAsync(ticket, cancellationToken));
    }

    /// <summary>A lead still to convert, as a requester; a converted or deactivated one is refused, naming the contact it became.</summary>
    private static async Task<Requester?> LeadRequesterAsync(string leadId, IDirectoryStore directory, Dictionary<string, string[]> errors, CancellationToken cancellationToken)
    {
        var lead = (await directory.FindAsync(DirectoryKinds.Lead, leadId, cancellationToken))?.Value;
        if (lead is { ConvertedToContactId: { } contactId })
        {
            errors["leadId"] = [$"The lead became contact {contactId}: open the ticket for the contact."];
            return null;
        }

        if (lead is not { Active: true })
        {
            errors["leadId"] = ["No active lead with this id."];
            return null;
        }

        return new Requester(lead.Id, lead.Email, lead.Name, Lead: true);
    }

    private static Requester? Of(Contact? contact) => contact is null ? null : new Requester(contact.Id, contact.Email, contact.Name);

    /// <summary>An internal ticket may come without a requester (the validator let it through).</summary>
    private static TicketDraft Draft(CreateTicketRequest request, Requester? requester, string? accountId) =>
        new(
            Subject: request.Subject!,
            Description: request.Description,
            Requester: requester,
            AccountId: accountId,
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
