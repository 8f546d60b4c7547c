using FluentValidation;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Common;
using Helpdesk.Api.Directory;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Helpdesk.Api.Conversation;

public sealed record MoveMessageRequest(string? TicketId);

public sealed record SplitMessageRequest(string? Subject);

internal sealed class MoveMessageValidator : AbstractValidator<MoveMessageRequest>
{
    public MoveMessageValidator() => RuleFor(r => r.TicketId).NotEmpty();
}

internal sealed class SplitMessageValidator : AbstractValidator<SplitMessageRequest>
{
    public SplitMessageValidator() => RuleFor(r => r.Subject).MaximumLength(Ticket.MaxSubjectLength).Must(s => s is null || s.Trim().Length > 0).WithMessage("The subject is not blank.");
}

/// <summary>
/// Re-threading for staff: <c>POST /api/tickets/{id}/messages/{messageId}/move</c> <c>{ ticketId }</c>
/// moves a message to another ticket (200, the target ticket); <c>.../split</c> <c>{ subject? }</c>
/// opens a new ticket for a customer's message, its writer the requester and the subject the
/// mail's (201, the new ticket). The message keeps its author, time, visibility, files and
/// original mail; a later reply to that mail threads to where the message is now. If-Match names
/// the source ticket's version. Moving between accounts is for supervisors (a public message
/// would show to another customer).
/// </summary>
public static class Rethreading
{
    public static void Map(RouteGroupBuilder staffMessages)
    {
        ArgumentNullException.ThrowIfNull(staffMessages);
        staffMessages.MapPost("/{messageId}/move", MoveAsync).Validate<MoveMessageRequest>().WithName("MoveMessage")
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status412PreconditionFailed);
        staffMessages.MapPost("/{messageId}/split", SplitAsync).Validate<SplitMessageRequest>().WithName("SplitMessage")
            .Produces<TicketResponse>(StatusCodes.Status201Created)
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status412PreconditionFailed);
    }

    private static async Task<Results<Ok<TicketResponse>, ApiProblem>> MoveAsync(
        string id,
        string messageId,
        MoveMessageRequest request,
        TicketRunner runner,
        IConversationStore messages,
        Caller caller,
        TicketPresenter presenter,
        HttpContext http,
        CancellationToken cancellationToken)
    {
        Ticket? target = null;
        var outcome = await runner.RunAsync<Ticket>(
            id,
            await caller.ActorAsync(cancellationToken),
            TicketPrecondition.IfSent(http.Request),
            async c =>
            {
                if (await MessageOfAsync(c.Ticket, messageId, messages, cancellationToken) is not { } message)
                {
                    return Problems.Missing("message");
                }

                target = await c.FindAsync(request.TicketId!, cancellationToken);
                if (target is null)
                {
                    return Problems.Validation("ticketId", "No ticket has this id.");
                }

                if (c.Ticket.AccountId != target.AccountId && !caller.User.IsSupervisor)
                {
                    return Problems.Create(
                        StatusCodes.Status403Forbidden,
                        ProblemTypes.Rule("move-across-accounts"),
                        "Only a supervisor moves a message to a ticket of another account.",
                        $"Ticket {c.Ticket.Number} and ticket {target.Number} belong to different accounts.");
                }

                c.Ticket.MoveMessageTo(target, message, c.Actor, c.Now);
                c.MoveMessage(target, message.Id);
                return target;
            },
            cancellationToken);
        return await presenter.AnswerAsync(outcome, http.Response, cancellationToken);
    }

    private static async Task<IResult> SplitAsync(
        string id,
        string messageId,
        SplitMessageRequest request,
        TicketRunner runner,
        TicketOpening opening,
        IConversationStore messages,
        IMessageSubjects subjects,
        IDirectoryStore directory,
        Caller caller,
        TicketPresenter presenter,
        HttpContext http,
        CancellationToken cancellationToken)
    {
        var outcome = await runner.RunAsync<Ticket>(
            id,
            await caller.ActorAsync(cancellationToken),
            TicketPrecondition.IfSent(http.Request),
            async c =>
            {
                if (await MessageOfAsync(c.Ticket, messageId, messages, cancellationToken) is not { } message)
                {
                    return Problems.Missing("message");
                }

                Ticket.EnsureSplittable(message);
                var contact = (await directory.FindAsync(DirectoryKinds.Contact, message.Author.Id, cancellationToken))?.Value
                    ?? throw new DomainRuleException("split-unknown-writer", $"The writer of message {message.Id} is no longer a contact.");
                var subject = request.Subject?.Trim() ?? await subjects.SubjectOfAsync(c.Ticket.Id, message.Id, cancellationToken) ?? c.Ticket.Subject;
                var target = await opening.NewAsync(
                    new TicketDraft(
                        Subject: Ticket.FitSubject(subject),
                        Description: Ticket.FitDescription(message.Text),
                        Requester: new Requester(contact.Id, contact.Email, contact.Name),
                        AccountId: contact.AccountId,
                        Priority: c.Ticket.Priority,
                        Type: c.Ticket.Type,
                        Group: c.Ticket.Group,
                        TeamId: c.Ticket.TeamId,
                        NotifyCustomer: c.Ticket.NotifyCustomer),
                    c.Actor,
                    cancellationToken);
                c.Ticket.SplitMessageInto(target, message, c.Actor, c.Now);
                c.MoveMessage(target, message.Id);
                return target;
            },
            cancellationToken);
        if (!outcome.Succeeded)
        {
            return TypedResults.Problem(outcome.Problem);
        }

        ETags.Set(http.Response, outcome.Value.Version);
        return TypedResults.Created($"{http.Request.PathBase}/api/tickets/{outcome.Value.Id}", await presenter.PresentAsync(outcome.Value, cancellationToken));
    }

    /// <summary>The message to re-thread, on a source that can still give messages (a merged tombstone cannot).</summary>
    private static async Task<TicketMessage?> MessageOfAsync(Ticket source, string messageId, IConversationStore messages, CancellationToken cancellationToken)
    {
        source.EnsureCanGiveMessages();
        return await messages.FindAsync(source.Id, messageId, cancellationToken);
    }
}

/// <summary>The subject of the mail a conversation message was taken from (a split takes it as the new ticket's); null when it came from no mail.</summary>
public interface IMessageSubjects
{
    Task<string?> SubjectOfAsync(string ticketId, string messageId, CancellationToken cancellationToken);
}
