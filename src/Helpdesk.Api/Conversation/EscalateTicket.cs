using FluentValidation;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Common;
using Helpdesk.Api.Tickets;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Helpdesk.Api.Conversation;

public sealed record EscalateRequest(string? ToAgentId, string? ToTeamId, string? Note);

internal sealed class EscalateValidator : AbstractValidator<EscalateRequest>
{
    public EscalateValidator()
    {
        RuleFor(r => r.ToAgentId).NotEmpty().When(r => r.ToTeamId is null).WithMessage("Name the agent or the team to escalate to.");
        RuleFor(r => r.Note).NotEmpty().MaximumLength(10_000);
    }
}

/// <summary>
/// <c>POST /api/tickets/{id}/escalate</c>: a ticket command whose note is also an internal message
/// of the thread, written with the escalation. It lives with the conversation because the note is
/// a message.
/// </summary>
internal static class EscalateTicket
{
    public static async Task<Results<Ok<TicketResponse>, ApiProblem>> HandleAsync(
        string id,
        EscalateRequest request,
        HttpContext http,
        TicketRunner runner,
        TicketPresenter presenter,
        TicketReferences references,
        Caller caller,
        ConversationService conversation,
        CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        await references.CheckAssignmentAsync(request.ToAgentId, request.ToTeamId, errors, "toAgentId", "toTeamId", ct);
        if (errors.Count > 0)
        {
            return new ApiProblem(Problems.Validation(errors));
        }

        var authorName = (await caller.AgentAsync(ct))?.Name ?? caller.User.Email;
        var outcome = await runner.RunAsync(
            id,
            await caller.ActorAsync(ct),
            TicketPrecondition.IfSent(http.Request),
            c =>
            {
                c.Ticket.Escalate(request.ToAgentId, request.ToTeamId, request.Note!, c.Actor, c.Now);
                var note = conversation.EscalationNote(c.Ticket, request.Note!.Trim(), c.Actor, authorName, c.Now);
                c.Ticket.AddInternalNote(note.Id, [], c.Actor, c.Now);
                c.Write(TicketItemWrite.Add(TicketItemKinds.Message, note.Id, note));
            },
            ct);
        return await presenter.AnswerAsync(outcome, http.Response, ct);
    }
}
