using FluentValidation;
using Helpdesk.Api.Common;
using Helpdesk.Api.Conversation;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Tickets;

public sealed record AssignRequest(string? AssigneeId, string? TeamId);

public sealed record EscalateRequest(string? ToAgentId, string? ToTeamId, string? Note);

public sealed record ResolveRequest(string? Summary, bool? NotifyCustomer);

public sealed record CloseRequest(bool? NotifyCustomer);

internal sealed class AssignValidator : AbstractValidator<AssignRequest>
{
    public AssignValidator() =>
        RuleFor(r => r.AssigneeId).NotEmpty().When(r => r.TeamId is null).WithMessage("Name an agent, a team, or both.");
}

internal sealed class EscalateValidator : AbstractValidator<EscalateRequest>
{
    public EscalateValidator()
    {
        RuleFor(r => r.ToAgentId).NotEmpty().When(r => r.ToTeamId is null).WithMessage("Name the agent or the team to escalate to.");
        RuleFor(r => r.Note).NotEmpty().MaximumLength(10_000);
    }
}

internal sealed class ResolveValidator : AbstractValidator<ResolveRequest>
{
    public ResolveValidator() => RuleFor(r => r.Summary).MaximumLength(100_000);
}

/// <summary>The lifecycle commands of API.md: each loads the ticket, calls one aggregate method, saves.</summary>
internal static class TicketCommands
{
    public static Task<IResult> ReadAsync(string id, HttpContext http, TicketChangeRunner runner, CancellationToken ct) =>
        runner.RunAsync(id, http, (t, by, now) => t.MarkRead(by, now), ct);

    public static Task<IResult> StartAsync(string id, HttpContext http, TicketChangeRunner runner, CancellationToken ct) =>
        runner.RunAsync(id, http, (t, by, now) => t.Start(by, now), ct);

    public static Task<IResult> WaitAsync(string id, HttpContext http, TicketChangeRunner runner, CancellationToken ct) =>
        runner.RunAsync(id, http, (t, by, now) => t.WaitOnCustomer(by, now), ct);

    public static Task<IResult> ReopenAsync(string id, HttpContext http, TicketChangeRunner runner, CancellationToken ct) =>
        runner.RunAsync(id, http, (t, by, now) => t.Reopen(by, now), ct);

    public static async Task<IResult> TakeAsync(string id, HttpContext http, TicketChangeRunner runner, Caller caller, CancellationToken ct)
    {
        var agent = await caller.AgentAsync(ct);
        return agent is null
            ? Problems.Result(Problems.Create(StatusCodes.Status409Conflict, ProblemTypes.Rule("not-an-agent"), "Only an active agent of the directory can take a ticket.", $"No active agent has the email {caller.User.Email}."))
            : await runner.RunAsync(id, http, (t, by, now) => t.TakeOwnership(agent.Id, by, now), ct);
    }

    public static async Task<IResult> AssignAsync(string id, AssignRequest request, HttpContext http, TicketChangeRunner runner, TicketReferences references, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        await references.CheckAssignmentAsync(request.AssigneeId, request.TeamId, errors, "assigneeId", "teamId", ct);
        return errors.Count > 0
            ? Problems.Result(Problems.Validation(errors))
            : await runner.RunAsync(id, http, (t, by, now) => t.Assign(request.AssigneeId, request.TeamId, by, now), ct);
    }

    /// <summary>The escalation note is also an internal message of the thread, stored with the escalation.</summary>
    public static async Task<IResult> EscalateAsync(
        string id,
        EscalateRequest request,
        HttpContext http,
        TicketChangeRunner runner,
        TicketReferences references,
        Caller caller,
        ConversationService conversation,
        IConversationStore messages,
        CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        await references.CheckAssignmentAsync(request.ToAgentId, request.ToTeamId, errors, "toAgentId", "toTeamId", ct);
        if (errors.Count > 0)
        {
            return Problems.Result(Problems.Validation(errors));
        }

        var authorName = (await caller.AgentAsync(ct))?.Name ?? caller.User.Email;
        TicketMessage? note = null;
        return await runner.RunAsync(
            id,
            http,
            requireIfMatch: false,
            (t, by, now) =>
            {
                t.Escalate(request.ToAgentId, request.ToTeamId, request.Note!, by, now);
                note = conversation.EscalationNote(t, request.Note!.Trim(), by, authorName, now);
                t.AddInternalNote(note.Id, [], by, now);
                return Task.CompletedTask;
            },
            ct,
            (t, token) => messages.SaveAsync(t, note!, token));
    }

    public static Task<IResult> ResolveAsync(string id, ResolveRequest? request, HttpContext http, TicketChangeRunner runner, CancellationToken ct) =>
        runner.RunAsync(id, http, (t, by, now) => t.Resolve(request?.Summary, request?.NotifyCustomer, by, now), ct);

    public static Task<IResult> CloseAsync(string id, CloseRequest? request, HttpContext http, TicketChangeRunner runner, CancellationToken ct) =>
        runner.RunAsync(id, http, (t, by, now) => t.Close(request?.NotifyCustomer, by, now), ct);

}
