using FluentValidation;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Common;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Helpdesk.Api.Tickets;

public sealed record AssignRequest(string? AssigneeId, string? TeamId);

public sealed record ResolveRequest(string? Summary, bool? NotifyCustomer);

public sealed record CloseRequest(bool? NotifyCustomer);

/// <summary>Who sees the ticket in the customer portal: default, requester, account or hidden.</summary>
public sealed record PortalVisibilityRequest(string? Visibility);

internal sealed class PortalVisibilityValidator : AbstractValidator<PortalVisibilityRequest>
{
    public PortalVisibilityValidator() =>
        RuleFor(r => r.Visibility).NotEmpty().Must(v => v is null || Names.TryParse<PortalVisibility>(v, out _))
            .WithMessage("The visibility is default (as the portal settings say), requester, account (shared with the account's contacts) or hidden.");
}

internal sealed class AssignValidator : AbstractValidator<AssignRequest>
{
    public AssignValidator() =>
        RuleFor(r => r.AssigneeId).NotEmpty().When(r => r.TeamId is null).WithMessage("Name an agent, a team, or both.");
}

internal sealed class ResolveValidator : AbstractValidator<ResolveRequest>
{
    public ResolveValidator() => RuleFor(r => r.Summary).MaximumLength(100_000);
}

/// <summary>The lifecycle commands of API.md: each loads the ticket, calls one aggregate method, saves (<see cref="TicketRunner"/>).</summary>
internal static class TicketCommands
{
    public static Task<Results<Ok<TicketResponse>, ApiProblem>> ReadAsync(string id, HttpContext http, TicketRunner runner, Caller caller, TicketPresenter presenter, CancellationToken ct) =>
        RunAsync(id, http, runner, caller, presenter, c => c.Ticket.MarkRead(c.Actor, c.Now), ct);

    public static Task<Results<Ok<TicketResponse>, ApiProblem>> StartAsync(string id, HttpContext http, TicketRunner runner, Caller caller, TicketPresenter presenter, CancellationToken ct) =>
        RunAsync(id, http, runner, caller, presenter, c => c.Ticket.Start(c.Actor, c.Now), ct);

    public static Task<Results<Ok<TicketResponse>, ApiProblem>> WaitAsync(string id, HttpContext http, TicketRunner runner, Caller caller, TicketPresenter presenter, CancellationToken ct) =>
        RunAsync(id, http, runner, caller, presenter, c => c.Ticket.WaitOnCustomer(c.Actor, c.Now), ct);

    public static Task<Results<Ok<TicketResponse>, ApiProblem>> ReopenAsync(string id, HttpContext http, TicketRunner runner, Caller caller, TicketPresenter presenter, CancellationToken ct) =>
        RunAsync(id, http, runner, caller, presenter, c => c.Ticket.Reopen(c.Actor, c.Now), ct);

    public static async Task<Results<Ok<TicketResponse>, ApiProblem>> TakeAsync(string id, HttpContext http, TicketRunner runner, Caller caller, TicketPresenter presenter, CancellationToken ct)
    {
        var agent = await caller.AgentAsync(ct);
        return agent is null
            ? new ApiProblem(Problems.Create(StatusCodes.Status409Conflict, ProblemTypes.Rule("not-an-agent"), "Only an active agent of the directory can take a ticket.", $"No active agent has the email {caller.User.Email}."))
            : await RunAsync(id, http, runner, caller, presenter, c => c.Ticket.TakeOwnership(agent.Id, c.Actor, c.Now), ct);
    }

    public static async Task<Results<Ok<TicketResponse>, ApiProblem>> AssignAsync(string id, AssignRequest request, HttpContext http, TicketRunner runner, Caller caller, TicketPresenter presenter, TicketReferences references, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        await references.CheckAssignmentAsync(request.AssigneeId, request.TeamId, errors, "assigneeId", "teamId", ct);
        return errors.Count > 0
            ? new ApiProblem(Problems.Validation(errors))
            : await RunAsync(id, http, runner, caller, presenter, c => c.Ticket.Assign(request.AssigneeId, request.TeamId, c.Actor, c.Now), ct);
    }

    public static Task<Results<Ok<TicketResponse>, ApiProblem>> ResolveAsync(string id, ResolveRequest? request, HttpContext http, TicketRunner runner, Caller caller, TicketPresenter presenter, CancellationToken ct) =>
        RunAsync(id, http, runner, caller, presenter, c => c.Ticket.Resolve(request?.Summary, request?.NotifyCustomer, c.Actor, c.Now), ct);

    public static Task<Results<Ok<TicketResponse>, ApiProblem>> CloseAsync(string id, CloseRequest? request, HttpContext http, TicketRunner runner, Caller caller, TicketPresenter presenter, CancellationToken ct) =>
        RunAsync(id, http, runner, caller, presenter, c => c.Ticket.Close(request?.NotifyCustomer, c.Actor, c.Now), ct);

    public static Task<Results<Ok<TicketResponse>, ApiProblem>> PortalVisibilityAsync(string id, PortalVisibilityRequest request, HttpContext http, TicketRunner runner, Caller caller, TicketPresenter presenter, CancellationToken ct) =>
        RunAsync(id, http, runner, caller, presenter, c => c.Ticket.ChangePortalVisibility(Names.Parse<PortalVisibility>(request.Visibility!), c.Actor, c.Now), ct);

    /// <summary>A command stating an intent: only a sent, stale If-Match refuses it.</summary>
    private static async Task<Results<Ok<TicketResponse>, ApiProblem>> RunAsync(string id, HttpContext http, TicketRunner runner, Caller caller, TicketPresenter presenter, Action<TicketCommand> change, CancellationToken ct) =>
        await presenter.AnswerAsync(await runner.RunAsync(id, await caller.ActorAsync(ct), TicketPrecondition.IfSent(http.Request), change, ct), http.Response, ct);
}
