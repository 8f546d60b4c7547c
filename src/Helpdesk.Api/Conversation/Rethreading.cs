using FluentValidation;
using Helpdesk.Api.Common;
using Helpdesk.Api.Directory;
using Helpdesk.Api.Idempotency;
using Helpdesk.Api.Mail;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;
using Microsoft.Extensions.Options;

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
/// Writes a move or a split all or nothing: the source ticket and the target (inserted when new),
/// guarded by their versions, with the message, its files and its mail threading records moved
/// over (SQLite: one transaction; Cosmos DB: the source's commit decides, the target follows, ADR 0007).
/// </summary>
public interface IMessageMoves
{
    /// <summary>Throws <see cref="ConcurrencyConflictException"/> when a ticket moved on since it was read, or the message left the source.</summary>
    Task MoveAsync(Ticket source, Ticket target, string messageId, CancellationToken cancellationToken);
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
    private const int Attempts = 3;
    private const int MaxNumberAttempts = 5;

    public static void Map(RouteGroupBuilder staffMessages)
    {
        ArgumentNullException.ThrowIfNull(staffMessages);
        staffMessages.MapPost("/{messageId}/move", MoveAsync).Validate<MoveMessageRequest>().Idempotent().WithName("MoveMessage");
        staffMessages.MapPost("/{messageId}/split", SplitAsync).Validate<SplitMessageRequest>().Idempotent().WithName("SplitMessage");
    }

    private static async Task<IResult> MoveAsync(
        string id,
        string messageId,
        MoveMessageRequest request,
        ITicketStore tickets,
        IConversationStore messages,
        Caller caller,
        TicketPresenter presenter,
        TimeProvider clock,
        HttpContext http,
        CancellationToken cancellationToken)
    {
        var moves = http.RequestServices.GetRequiredService<IMessageMoves>();
        for (var attempt = 1; ; attempt++)
        {
            var (source, message, refused) = await ReadSourceAsync(id, messageId, tickets, messages, http, cancellationToken);
            if (refused is not null)
            {
                return refused;
            }

            var target = await tickets.FindAsync(request.TicketId!, cancellationToken);
            if (target is null)
            {
                return Problems.Result(Problems.Validation("ticketId", "No ticket has this id."));
            }

            if (source!.AccountId != target.AccountId && !caller.User.IsSupervisor)
            {
                return Problems.Result(Problems.Create(
                    StatusCodes.Status403Forbidden,
                    ProblemTypes.Rule("move-across-accounts"),
                    "Only a supervisor moves a message to a ticket of another account.",
                    $"Ticket {source.Number} and ticket {target.Number} belong to different accounts."));
            }

            source.MoveMessageTo(target, message!, await caller.ActorAsync(cancellationToken), clock.GetUtcNow());
            try
            {
                await moves.MoveAsync(source, target, message!.Id, cancellationToken);
            }
            catch (ConcurrencyConflictException) when (attempt < Attempts && http.Request.Headers.IfMatch.Count == 0)
            {
                continue;
            }

            ETags.Set(http.Response, target.Version);
            return TypedResults.Ok(await presenter.PresentAsync(target, cancellationToken));
        }
    }

    private static async Task<IResult> SplitAsync(
        string id,
        string messageId,
        SplitMessageRequest request,
        ITicketStore tickets,
        IConversationStore messages,
        IDirectoryStore directory,
        ITicketNumberSequence sequence,
        Caller caller,
        TicketPresenter presenter,
        IOptions<TicketOptions> ticketOptions,
        TimeProvider clock,
        HttpContext http,
        CancellationToken cancellationToken)
    {
        var moves = http.RequestServices.GetRequiredService<IMessageMoves>();
        var mail = http.RequestServices.GetRequiredService<IMailStore>();
        var settings = ticketOptions.Value;
        int conflicts = 0, numbers = 0;
        while (true)
        {
            var (source, message, refused) = await ReadSourceAsync(id, messageId, tickets, messages, http, cancellationToken);
            if (refused is not null)
            {
                return refused;
            }

            Ticket.EnsureSplittable(message!);
            var contact = (await directory.FindAsync(DirectoryKinds.Contact, message!.Author.Id, cancellationToken))?.Value
                ?? throw new DomainRuleException("split-unknown-writer", $"The writer of message {message.Id} is no longer a contact.");
            var subject = request.Subject?.Trim() ?? await mail.SubjectOfAsync(source!.Id, message.Id, cancellationToken) ?? source!.Subject;
            var by = await caller.ActorAsync(cancellationToken);
            var now = clock.GetUtcNow();
            var number = settings.NumberFormat.Format(now, await sequence.NextAsync(settings.NumberFormat.SequenceKey(now), cancellationToken));
            var target = Ticket.Create(
                new NewTicket(
                    Id: Ids.New("t", clock),
                    Number: number,
                    Subject: subject.Length > Ticket.MaxSubjectLength ? subject[..Ticket.MaxSubjectLength] : subject,
                    Description: message.Text.Length > Ticket.MaxDescriptionLength ? message.Text[..Ticket.MaxDescriptionLength] : message.Text,
                    Requester: new Requester(contact.Id, contact.Email, contact.Name),
                    AccountId: contact.AccountId,
                    Priority: source!.Priority,
                    Type: source.Type,
                    Group: source.Group,
                    Severity: null,
                    Impact: null,
                    TeamId: source.TeamId,
                    AssigneeId: null,
                    StartAt: null,
                    DueAt: null,
                    Tags: [],
                    NotifyCustomer: source.NotifyCustomer),
                by,
                settings.Settings,
                now);
            source.SplitMessageInto(target, message, by, now);
            try
            {
                await moves.MoveAsync(source, target, message.Id, cancellationToken);
            }
            catch (ConcurrencyConflictException) when (++conflicts < Attempts && http.Request.Headers.IfMatch.Count == 0)
            {
                continue;
            }
            catch (UniqueConstraintException e) when (e.Field == "number" && ++numbers < MaxNumberAttempts)
            {
                // The counter is behind the stored numbers: draw the next one (see CreateTicket).
                continue;
            }

            ETags.Set(http.Response, target.Version);
            return TypedResults.Created($"{http.Request.PathBase}/api/tickets/{target.Id}", await presenter.PresentAsync(target, cancellationToken));
        }
    }

    /// <summary>The source ticket (If-Match checked, a merged tombstone refused) and its message; else the problem to answer.</summary>
    private static async Task<(Ticket? Source, TicketMessage? Message, IResult? Refused)> ReadSourceAsync(
        string id, string messageId, ITicketStore tickets, IConversationStore messages, HttpContext http, CancellationToken cancellationToken)
    {
        var source = await tickets.FindAsync(id, cancellationToken);
        if (source is null)
        {
            return (null, null, Problems.NotFound("ticket"));
        }

        if (ETags.CheckIfSent(http.Request, source.Version) is { } stale)
        {
            return (null, null, stale);
        }

        source.EnsureCanGiveMessages();
        var message = await messages.FindAsync(source.Id, messageId, cancellationToken);
        return message is null ? (null, null, Problems.NotFound("message")) : (source, message, null);
    }
}
