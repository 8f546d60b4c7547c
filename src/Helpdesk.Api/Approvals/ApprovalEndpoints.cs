using FluentValidation;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Common;
using Helpdesk.Api.Directory;
using Helpdesk.Api.Storage;
using Helpdesk.Api.Storage.Sqlite;
using Helpdesk.Api.Tickets;
using Helpdesk.Api.Triggers;
using Helpdesk.Domain.Approvals;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Directory;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Approvals;

/// <summary>One step of a chain: its approvers (agent ids, or <c>supervisors</c>) and whether all of them or any one decides.</summary>
public sealed record ApprovalStepBody(ApprovalMode? Mode, IReadOnlyList<string>? ApproverIds);

/// <summary>API.md: <c>{ approverId*, reason* }</c>; a chain names <c>steps</c> instead of <c>approverId</c>.</summary>
public sealed record RequestApprovalRequest(string? ApproverId, string? Reason, IReadOnlyList<ApprovalStepBody>? Steps);

public sealed record ApprovalDecisionRequest(string? Comment);

internal sealed class RequestApprovalValidator : AbstractValidator<RequestApprovalRequest>
{
    public RequestApprovalValidator()
    {
        RuleFor(r => r.Reason).NotEmpty().MaximumLength(Approval.MaxReasonLength);
        RuleFor(r => r.ApproverId).NotEmpty().When(r => r.Steps is null).WithMessage("Name the approver (an agent id or 'supervisors'), or the steps of a chain.");
        RuleFor(r => r.ApproverId).Empty().When(r => r.Steps is not null).WithMessage("Name either approverId or steps, not both.");
        RuleFor(r => r.Steps!.Count).InclusiveBetween(1, Approval.MaxSteps).When(r => r.Steps is not null).OverridePropertyName("steps");
        RuleForEach(r => r.Steps).ChildRules(step =>
        {
            step.RuleFor(s => s.ApproverIds).NotEmpty();
            step.RuleFor(s => s.ApproverIds!.Count).LessThanOrEqualTo(Approval.MaxApproversPerStep).When(s => s.ApproverIds is not null).OverridePropertyName("approverIds");
            step.RuleForEach(s => s.ApproverIds).NotEmpty().MaximumLength(100);
        });
    }
}

internal sealed class ApprovalDecisionValidator : AbstractValidator<ApprovalDecisionRequest>
{
    public ApprovalDecisionValidator() => RuleFor(r => r.Comment).MaximumLength(Approval.MaxCommentLength);
}

/// <summary>
/// Approvals (FEATURES.md §8, API.md): an agent asks, approvers answer (here as the logged-in
/// approver, or through the signed links of their email, <see cref="ApprovalLinkEndpoints"/>),
/// the requester cancels. Every change is one write of the approval and its ticket.
/// </summary>
public static class ApprovalEndpoints
{
    /// <summary>The approver id that stands for every active supervisor (any one of them decides).</summary>
    public const string Supervisors = "supervisors";

    public static IServiceCollection AddApprovals(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ApprovalOptions>().Bind(configuration.GetSection(ApprovalOptions.Section))
            .Validate(o => ApprovalLinks.IsValidKeySetting(o.SigningKey), "Approvals:SigningKey is base64 of at least 32 bytes, or 'auto'.")
            .Validate(o => o.ReminderAfterHours is >= 1 and <= 720, "Approvals:ReminderAfterHours is from 1 to 720.")
            .Validate(o => o.ExpiresAfterHours is >= 1 and <= 8760, "Approvals:ExpiresAfterHours is from 1 to 8760.")
            .Validate(o => o.LinkBaseUrl.Length == 0 || Uri.TryCreate(o.LinkBaseUrl, UriKind.Absolute, out _), "Approvals:LinkBaseUrl is an absolute URL or empty.")
            .ValidateOnStart();
        return services
            .AddSqliteMigration(SqliteApprovalStore.Schema.Name, SqliteApprovalStore.Schema.Sql)
            .AddTicketItemKind(
                sp => SqliteApprovalStore.Table(sp.GetRequiredService<IOptions<ApprovalOptions>>().Value),
                sp => CosmosApprovalStore.ItemKind(sp.GetRequiredService<IOptions<ApprovalOptions>>().Value))
            .AddSingleton(StoreSelection.Of<IApprovalStore, SqliteApprovalStore, CosmosApprovalStore>())
            .AddSingleton<ApprovalLinks>()
            .AddScoped<ApprovalWork>()
            .AddScheduledJob<ProcessApprovalDeadlines>(ProcessApprovalDeadlines.FunctionName, TimeSpan.FromMinutes(5));
    }

    public static RouteGroupBuilder MapApprovalEndpoints(this RouteGroupBuilder api)
    {
        var onTicket = api.MapGroup("/tickets/{id}/approvals").WithTags("approvals").RequireAuthorization(Policies.Staff);
        onTicket.MapPost("/", RequestAsync).Validate<RequestApprovalRequest>().WithName("RequestApproval")
            .Produces<Approval>(StatusCodes.Status201Created).ProducesCommandProblems();
        onTicket.MapGet("/", ListAsync).WithName("ListTicketApprovals")
            .Produces<Page<Approval>>().ProducesProblems(StatusCodes.Status404NotFound);

        var approvals = api.MapGroup("/approvals/{approvalId}").WithTags("approvals").RequireAuthorization(Policies.Staff);
        approvals.MapGet("/", GetAsync).WithName("GetApproval")
            .Produces<Approval>().ProducesProblems(StatusCodes.Status404NotFound);
        approvals.MapPost("/approve", (string approvalId, ApprovalDecisionRequest? request, ApprovalWork work, Caller caller, HttpContext http, CancellationToken ct) =>
            DecideAsync(approvalId, ApprovalVerdict.Approve, request, work, caller, http, ct)).Validate<ApprovalDecisionRequest>().WithName("ApproveApproval").ProducesDecision();
        approvals.MapPost("/reject", (string approvalId, ApprovalDecisionRequest? request, ApprovalWork work, Caller caller, HttpContext http, CancellationToken ct) =>
            DecideAsync(approvalId, ApprovalVerdict.Reject, request, work, caller, http, ct)).Validate<ApprovalDecisionRequest>().WithName("RejectApproval").ProducesDecision();
        approvals.MapPost("/cancel", CancelAsync).WithName("CancelApproval").ProducesDecision();

        ApprovalLinkEndpoints.Map(api);
        return api;
    }

    private static async Task<IResult> RequestAsync(
        string id,
        RequestApprovalRequest request,
        TicketRunner runner,
        IDirectoryStore directory,
        Caller caller,
        IOptions<ApprovalOptions> options,
        HttpResponse response,
        CancellationToken ct)
    {
        var actor = await caller.ActorAsync(ct);
        var bodies = request.Steps ?? [new ApprovalStepBody(ApprovalMode.AnyOf, [request.ApproverId!])];
        var steps = new List<ApprovalStepRequest>();
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        for (var i = 0; i < bodies.Count; i++)
        {
            var field = request.Steps is null ? "approverId" : $"steps[{i}].approverIds";
            var approvers = new List<string>();
            foreach (var approverId in bodies[i].ApproverIds!)
            {
                if (approverId == actor.Id)
                {
                    errors[field] = ["Nobody approves their own request."];
                }
                else if (approverId == Supervisors)
                {
                    approvers.AddRange((await SupervisorsAsync(directory, ct)).Where(s => s != actor.Id));
                }
                else if (await directory.FindAsync(DirectoryKinds.Agent, approverId, ct) is { Value.Active: true })
                {
                    approvers.Add(approverId);
                }
                else
                {
                    errors[field] = [$"No active agent has the id '{approverId}'."];
                }
            }

            if (approvers.Count == 0 && !errors.ContainsKey(field))
            {
                errors[field] = ["No active supervisor other than you can approve."];
            }

            steps.Add(new ApprovalStepRequest(bodies[i].Mode ?? ApprovalMode.AnyOf, approvers));
        }

        if (errors.Count > 0)
        {
            return Problems.Result(Problems.Validation(errors));
        }

        return (await runner.RunAsync<Approval>(
            id,
            actor,
            TicketPrecondition.None,
            c =>
            {
                var approval = Approval.Request(Ids.New("apv", c.Now), c.Ticket.Id, actor.Id, request.Reason!, steps, c.Now, c.Now + options.Value.ExpiresAfter);
                c.Ticket.RequestApproval(approval, actor, c.Now);
                c.Write(TicketItemWrite.Add(TicketItemKinds.Approval, approval.Id, approval));
                return approval;
            },
            ct)).ToResult(approval =>
            {
                ETags.Set(response, 1);
                return TypedResults.Created($"/api/approvals/{approval.Id}", approval);
            });
    }

    private static async Task<IResult> ListAsync(string id, ITicketStore tickets, IApprovalStore store, int? limit, string? cursor, CancellationToken ct)
    {
        if (Paging.RefuseLimit(limit) is { } refused)
        {
            return refused;
        }

        if (await tickets.FindAsync(id, ct) is null)
        {
            return Problems.NotFound("ticket");
        }

        var page = await store.ListAsync(id, limit ?? Paging.DefaultLimit, cursor, ct);
        return TypedResults.Ok(page.Map(a => a.Value));
    }

    private static async Task<IResult> GetAsync(string approvalId, IApprovalStore store, HttpResponse response, CancellationToken ct)
    {
        var approval = await store.FindAsync(approvalId, ct);
        if (approval is null)
        {
            return Problems.NotFound("approval");
        }

        ETags.Set(response, approval.Version);
        return TypedResults.Ok(approval.Value);
    }

    private static async Task<IResult> DecideAsync(string approvalId, ApprovalVerdict verdict, ApprovalDecisionRequest? request, ApprovalWork work, Caller caller, HttpContext http, CancellationToken ct)
    {
        var agent = await caller.AgentAsync(ct);
        return Answer(
            await work.RunAsync(
                approvalId,
                await caller.ActorAsync(ct),
                ETags.IfMatchOf(http.Request),
                (approval, now) => agent is null || (approval.IsOpenAt(now) && !approval.IsApproverOfCurrentStep(agent.Id)) ? ApprovalWork.NotAnApprover() : null,
                (approval, ticket, now) =>
                {
                    var decided = approval.Decide(agent!.Id, verdict, request?.Comment, step: null, DecisionChannel.Api, now);
                    ticket.RecordApprovalDecision(approval, decided, Actor.Agent(agent.Id), now);
                    return decided;
                },
                ct),
            http.Response);
    }

    /// <summary>The requester withdraws the request; a supervisor may too.</summary>
    private static async Task<IResult> CancelAsync(string approvalId, ApprovalWork work, Caller caller, HttpContext http, CancellationToken ct)
    {
        var actor = await caller.ActorAsync(ct);
        return Answer(
            await work.RunAsync(
                approvalId,
                actor,
                ETags.IfMatchOf(http.Request),
                (approval, _) => approval.RequestedBy == actor.Id || caller.User.IsSupervisor
                    ? null
                    : Problems.Create(StatusCodes.Status403Forbidden, ProblemTypes.Rule("not-the-requester"), "Only the agent who asked for the approval, or a supervisor, may cancel it.", null),
                (approval, ticket, now) =>
                {
                    var cancelled = approval.Cancel(now);
                    ticket.RecordApprovalCancelled(cancelled, actor, now);
                    return cancelled;
                },
                ct),
            http.Response);
    }

    /// <summary>What a decision on an approval answers: the approval as changed, or why not (not an approver, over, stale If-Match).</summary>
    internal static RouteHandlerBuilder ProducesDecision(this RouteHandlerBuilder route) =>
        route.Produces<Approval>().ProducesProblems(StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status412PreconditionFailed);

    /// <summary>The approval as changed, with its new ETag.</summary>
    internal static IResult Answer(Outcome<Versioned<Approval>> outcome, HttpResponse response) =>
        outcome.ToResult(approval =>
        {
            ETags.Set(response, approval.Version);
            return TypedResults.Ok(approval.Value);
        });

    private static async Task<IReadOnlyList<string>> SupervisorsAsync(IDirectoryStore directory, CancellationToken ct)
    {
        var supervisors = new List<string>();
        string? cursor = null;
        do
        {
            var page = await directory.ListAsync(DirectoryKinds.Agent, null, Paging.MaxLimit, cursor, ct);
            supervisors.AddRange(page.Items.Select(v => v.Value).Where(IsSupervisor).Select(a => a.Id));
            cursor = page.NextCursor;
        }
        while (cursor is not null);
        return supervisors;
    }

    private static bool IsSupervisor(Agent agent) => agent.Active && agent.Roles.Contains(Roles.Supervisor, StringComparer.Ordinal);
}
