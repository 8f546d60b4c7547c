using System.Globalization;
using FluentValidation;
using Helpdesk.Api.Activities;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Common;
using Helpdesk.Api.Directory;
using Helpdesk.Api.Portal;
using Helpdesk.Api.Storage;
using Helpdesk.Api.Storage.Sqlite;
using Helpdesk.Api.Tickets;
using Helpdesk.Api.Time;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Work;
using Microsoft.AspNetCore.Mvc;

namespace Helpdesk.Api.Interventions;

public sealed record InterventionRequest(string? TechnicianId, DateTimeOffset? StartAt, int? PlannedMinutes, string? Address, string? Description);

/// <summary>A change of a planned intervention: the fields sent replace the plan's (an empty address or description clears it).</summary>
public sealed record InterventionChangeRequest(string? TechnicianId, DateTimeOffset? StartAt, int? PlannedMinutes, string? Address, string? Description);

public sealed record InterventionCompletionRequest(string? Report, int? ActualMinutes, string? SignedBy, bool? Billable);

/// <summary>What a customer sees of a completed intervention on their ticket: what the report they were emailed says.</summary>
public sealed record PortalInterventionResponse(string Id, DateTimeOffset StartAt, string? Address, string Report, int ActualMinutes, string SignedBy, DateTimeOffset CompletedAt);

internal sealed class InterventionValidator : AbstractValidator<InterventionRequest>
{
    public InterventionValidator()
    {
        RuleFor(r => r.TechnicianId).NotEmpty().MaximumLength(100);
        RuleFor(r => r.StartAt).NotNull();
        RuleFor(r => r.PlannedMinutes).NotNull().InclusiveBetween(1, Intervention.MaxMinutes).WithMessage($"From 1 to {Intervention.MaxMinutes} minutes (24 hours).");
        RuleFor(r => r.Address).MaximumLength(Intervention.MaxAddressLength);
        RuleFor(r => r.Description).MaximumLength(Intervention.MaxDescriptionLength);
    }
}

internal sealed class InterventionChangeValidator : AbstractValidator<InterventionChangeRequest>
{
    public InterventionChangeValidator()
    {
        RuleFor(r => r.TechnicianId).NotEmpty().MaximumLength(100).When(r => r.TechnicianId is not null);
        RuleFor(r => r.PlannedMinutes).InclusiveBetween(1, Intervention.MaxMinutes).WithMessage($"From 1 to {Intervention.MaxMinutes} minutes (24 hours).");
        RuleFor(r => r.Address).MaximumLength(Intervention.MaxAddressLength);
        RuleFor(r => r.Description).MaximumLength(Intervention.MaxDescriptionLength);
    }
}

internal sealed class InterventionCompletionValidator : AbstractValidator<InterventionCompletionRequest>
{
    public InterventionCompletionValidator()
    {
        RuleFor(r => r.Report).NotEmpty().MaximumLength(Intervention.MaxReportLength);
        RuleFor(r => r.ActualMinutes).NotNull().InclusiveBetween(1, Intervention.MaxMinutes).WithMessage($"From 1 to {Intervention.MaxMinutes} minutes (24 hours).");
        RuleFor(r => r.SignedBy).NotEmpty().MaximumLength(Intervention.MaxSignedByLength);
    }
}

/// <summary>
/// On-site interventions created from a ticket (issue 23 item 3). Staff plan one with a
/// technician; its visit is an on-site activity of the technician, so it reaches their calendar
/// as every visit does. Completing it records the report and the customer's signature name,
/// counts its time as a time entry of the ticket and emails the report to the requester. Its
/// creator, its technician or a supervisor changes it; a customer reads the completed reports of
/// the tickets they see in the portal.
/// </summary>
public static class InterventionEndpoints
{
    private const string VisitTitle = "On-site intervention";
    private static readonly TimeSpan DefaultRange = TimeSpan.FromDays(7);
    private static readonly TimeSpan MaxRange = TimeSpan.FromDays(366);

    public static IServiceCollection AddInterventions(this IServiceCollection services) =>
        services
            .AddSqliteMigration(SqliteInterventionStore.Schema.Name, SqliteInterventionStore.Schema.Sql)
            .AddTicketItemKind(SqliteInterventionStore.Table, CosmosInterventionStore.ItemKind)
            .AddSingleton(StoreSelection.Of<IInterventionStore, SqliteInterventionStore, CosmosInterventionStore>());

    public static RouteGroupBuilder MapInterventionEndpoints(this RouteGroupBuilder api)
    {
        var ticket = api.MapGroup("/tickets/{id}/interventions").WithTags("interventions").RequireAuthorization(Policies.Staff);
        ticket.MapGet("/", ListAsync).WithName("ListInterventions")
            .Produces<Page<Intervention>>().ProducesProblems(StatusCodes.Status404NotFound);
        ticket.MapPost("/", CreateAsync).Validate<InterventionRequest>().WithName("CreateIntervention")
            .Produces<Intervention>(StatusCodes.Status201Created).ProducesCommandProblems();
        ticket.MapGet("/{interventionId}", GetAsync).WithName("GetIntervention")
            .Produces<Intervention>().ProducesProblems(StatusCodes.Status404NotFound);
        ticket.MapPatch("/{interventionId}", RescheduleAsync).Validate<InterventionChangeRequest>().WithName("RescheduleIntervention")
            .Produces<Intervention>().ProducesCommandProblems(StatusCodes.Status403Forbidden, StatusCodes.Status428PreconditionRequired);
        ticket.MapPost("/{interventionId}/complete", CompleteAsync).Validate<InterventionCompletionRequest>().WithName("CompleteIntervention")
            .Produces<Intervention>().ProducesCommandProblems(StatusCodes.Status403Forbidden);

        api.MapGet("/interventions", ScheduleAsync).WithTags("interventions").RequireAuthorization(Policies.Staff).WithName("ListTechnicianInterventions")
            .Produces<Page<Intervention>>().ProducesProblems(StatusCodes.Status400BadRequest);

        api.MapGet("/portal/tickets/{id}/interventions", PortalListAsync).WithTags("portal").RequireAuthorization(Policies.Customer).WithName("ListPortalInterventions")
            .Produces<IReadOnlyList<PortalInterventionResponse>>().ProducesProblems(StatusCodes.Status404NotFound);
        return api;
    }

    private static async Task<IResult> ListAsync(string id, ITicketStore tickets, IInterventionStore store, int? limit, string? cursor, CancellationToken ct)
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
        return TypedResults.Ok(page.Map(i => i.Value));
    }

    private static async Task<IResult> GetAsync(string id, string interventionId, IInterventionStore store, HttpResponse response, CancellationToken ct)
    {
        var intervention = await store.FindAsync(id, interventionId, ct);
        if (intervention is null)
        {
            return Problems.NotFound("intervention");
        }

        ETags.Set(response, intervention.Version);
        return TypedResults.Ok(intervention.Value);
    }

    /// <summary>A technician's interventions over a period (the caller's own and the coming week by default), soonest first.</summary>
    private static async Task<IResult> ScheduleAsync(string? technician, string? from, string? to, int? limit, string? cursor, Caller caller, IInterventionStore store, TimeProvider clock, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (Paging.LimitProblem(limit) is not null)
        {
            errors["limit"] = [$"The limit is from 1 to {Paging.MaxLimit}."];
        }

        var start = Instant(from, "from", errors) ?? clock.GetUtcNow();
        var end = Instant(to, "to", errors) ?? start + DefaultRange;
        if (errors.Count == 0 && end <= start)
        {
            errors["to"] = ["'to' must be after 'from'."];
        }
        else if (errors.Count == 0 && end - start > MaxRange)
        {
            errors["to"] = ["The period is at most 366 days."];
        }

        var technicianId = string.IsNullOrWhiteSpace(technician) ? (await caller.AgentAsync(ct))?.Id : technician.Trim();
        if (technicianId is null)
        {
            errors["technician"] = ["Name the technician: the caller is no agent of the directory."];
        }
        else if (technicianId.Length > 100 || technicianId.Contains('|', StringComparison.Ordinal))
        {
            errors["technician"] = ["Not an agent id."];
        }

        if (errors.Count > 0)
        {
            return Problems.Result(Problems.Validation(errors));
        }

        return TypedResults.Ok(await store.ScheduleAsync(technicianId!, start, end, limit ?? Paging.DefaultLimit, cursor, ct));
    }

    private static async Task<IResult> CreateAsync(string id, InterventionRequest request, TicketRunner runner, Caller caller, IDirectoryStore directory, HttpResponse response, CancellationToken ct) =>
        (await runner.RunAsync<Intervention>(
            id,
            await caller.ActorAsync(ct),
            TicketPrecondition.None,
            async c =>
            {
                if (await CheckTechnicianAsync(request.TechnicianId!, directory, ct) is { } missing)
                {
                    return missing;
                }

                var address = string.IsNullOrWhiteSpace(request.Address) ? await AccountAddressAsync(c.Ticket.AccountId, directory, ct) : request.Address;
                var plan = new InterventionPlan(request.TechnicianId!.Trim(), request.StartAt!.Value, request.PlannedMinutes!.Value, address, request.Description);
                var visitId = Ids.New("act", c.Now);
                var intervention = Intervention.Schedule(Ids.New("itv", c.Now), id, visitId, plan, c.Actor.Id, c.Now);
                var visit = Activity.Plan(visitId, id, c.Actor.Id, Visit(intervention.Plan), c.Now);
                c.Ticket.ScheduleIntervention(intervention, visit, c.Actor, c.Now);
                c.Write(TicketItemWrite.Add(TicketItemKinds.Intervention, intervention.Id, intervention));
                c.Write(TicketItemWrite.Add(TicketItemKinds.Activity, visit.Id, visit));
                return intervention;
            },
            ct)).ToResult(intervention =>
            {
                ETags.Set(response, 1);
                return TypedResults.Created($"/api/tickets/{id}/interventions/{intervention.Id}", intervention);
            });

    private static async Task<IResult> RescheduleAsync(
        string id,
        string interventionId,
        InterventionChangeRequest request,
        TicketRunner runner,
        Caller caller,
        IInterventionStore store,
        IActivityStore activities,
        IDirectoryStore directory,
        HttpContext http,
        CancellationToken ct) =>
        Answer(
            await runner.RunOnItemAsync<Intervention, Versioned<Intervention>>(
                id,
                await caller.ActorAsync(ct),
                Address(store, id, interventionId, TicketPrecondition.Require(http.Request)),
                (by, intervention) => MayChange(by, caller, intervention),
                async (c, found) =>
                {
                    if (request.TechnicianId is { } technicianId && await CheckTechnicianAsync(technicianId, directory, ct) is { } missing)
                    {
                        return missing;
                    }

                    var plan = found.Value.Plan;
                    var changed = found with
                    {
                        Value = found.Value.Reschedule(
                            new InterventionPlan(
                                request.TechnicianId?.Trim() ?? plan.TechnicianId,
                                request.StartAt ?? plan.StartAt,
                                request.PlannedMinutes ?? plan.PlannedMinutes,
                                request.Address ?? plan.Address,
                                request.Description ?? plan.Description),
                            c.Now),
                    };
                    var visit = await activities.FindAsync(id, found.Value.VisitId, ct);
                    var moved = visit is null ? null : visit with { Value = visit.Value.Change(Visit(changed.Value.Plan, visit.Value.Details), c.Now) };
                    c.Ticket.RescheduleIntervention(found.Value, changed.Value, visit?.Value, moved?.Value, c.Actor, c.Now);
                    c.Write(TicketItemWrite.Put(TicketItemKinds.Intervention, interventionId, changed));
                    if (moved is not null)
                    {
                        c.Write(TicketItemWrite.Put(TicketItemKinds.Activity, moved.Value.Id, moved));
                    }

                    return changed with { Version = changed.Version + 1 };
                },
                ct),
            http.Response);

    private static async Task<IResult> CompleteAsync(
        string id,
        string interventionId,
        InterventionCompletionRequest request,
        TicketRunner runner,
        Caller caller,
        IInterventionStore store,
        IActivityStore activities,
        WorkDates dates,
        HttpContext http,
        CancellationToken ct) =>
        Answer(
            await runner.RunOnItemAsync<Intervention, Versioned<Intervention>>(
                id,
                await caller.ActorAsync(ct),
                Address(store, id, interventionId, TicketPrecondition.IfSent(http.Request)),
                (by, intervention) => MayChange(by, caller, intervention),
                async (c, found) =>
                {
                    var done = found with
                    {
                        Value = found.Value.Complete(request.Report!, request.ActualMinutes!.Value, request.SignedBy!, request.Billable ?? true, c.Actor.Id, Ids.New("tim", c.Now), c.Now),
                    };
                    var entry = TimeEntry.FromIntervention(done.Value.Report!.TimeEntryId, done.Value, await dates.DateOfAsync(c.Ticket, done.Value.Plan.StartAt, ct), c.Now);
                    var visit = await activities.FindAsync(id, found.Value.VisitId, ct);
                    var visitDone = visit is { Value.Done: false } ? visit with { Value = visit.Value.MarkDone(c.Now) } : null;
                    c.Ticket.CompleteIntervention(found.Value, done.Value, entry, visitDone is null ? null : visit!.Value, visitDone?.Value, c.Actor, c.Now);
                    c.Write(TicketItemWrite.Put(TicketItemKinds.Intervention, interventionId, done));
                    c.Write(TicketItemWrite.Add(TicketItemKinds.TimeEntry, entry.Id, entry));
                    if (visitDone is not null)
                    {
                        c.Write(TicketItemWrite.Put(TicketItemKinds.Activity, visitDone.Value.Id, visitDone));
                    }

                    return done with { Version = done.Version + 1 };
                },
                ct),
            http.Response);

    /// <summary>The completed interventions of a ticket the customer sees; planned ones stay with the staff until their report exists.</summary>
    private static async Task<IResult> PortalListAsync(string id, PortalAccess access, IInterventionStore store, CancellationToken ct)
    {
        var ticket = await access.FindVisibleAsync(id, ct);
        if (ticket is null)
        {
            return Problems.NotFound("ticket");
        }

        var reports = new List<PortalInterventionResponse>();
        string? cursor = null;
        do
        {
            var page = await store.ListAsync(ticket.Id, Paging.MaxLimit, cursor, ct);
            reports.AddRange(page.Items
                .Select(i => i.Value)
                .Where(i => i.Report is not null)
                .Select(i => new PortalInterventionResponse(i.Id, i.Plan.StartAt, i.Plan.Address, i.Report!.Text, i.Report.ActualMinutes, i.Report.SignedBy, i.Report.CompletedAt)));
            cursor = page.NextCursor;
        }
        while (cursor is not null);
        return TypedResults.Ok<IReadOnlyList<PortalInterventionResponse>>(reports);
    }

    private static ItemAddress<Intervention> Address(IInterventionStore store, string ticketId, string interventionId, TicketPrecondition precondition) =>
        new("intervention", ct => store.FindAsync(ticketId, interventionId, ct), precondition);

    private static IResult Answer(Outcome<Versioned<Intervention>> outcome, HttpResponse response) =>
        outcome.ToResult(intervention =>
        {
            ETags.Set(response, intervention.Version);
            return TypedResults.Ok(intervention.Value);
        });

    /// <summary>An intervention is changed by its creator, its technician or a supervisor.</summary>
    private static ProblemDetails? MayChange(Actor by, Caller caller, Intervention intervention) =>
        caller.User.IsSupervisor || by.Id == intervention.CreatedBy || by.Id == intervention.Plan.TechnicianId
            ? null
            : Problems.Create(StatusCodes.Status403Forbidden, ProblemTypes.Rule("not-intervention-owner"), "Only the creator, the technician or a supervisor may change an intervention.", null);

    private static async Task<ProblemDetails?> CheckTechnicianAsync(string technicianId, IDirectoryStore directory, CancellationToken ct) =>
        await directory.FindAsync(DirectoryKinds.Agent, technicianId.Trim(), ct) is not { Value.Active: true }
            ? Problems.Validation("technicianId", "No active agent has this id.")
            : null;

    private static async Task<string?> AccountAddressAsync(string? accountId, IDirectoryStore directory, CancellationToken ct) =>
        accountId is null ? null : (await directory.FindAsync(DirectoryKinds.Account, accountId, ct))?.Value.Address;

    /// <summary>The technician's visit as an on-site event of their calendar, keeping what else the visit says (a reminder set on it).</summary>
    private static ActivityDetails Visit(InterventionPlan plan, ActivityDetails? current = null) =>
        new(
            ActivityKind.Event,
            current?.Title ?? VisitTitle,
            plan.Description,
            plan.TechnicianId,
            DueAt: null,
            plan.StartAt,
            plan.EndAt,
            current?.Reminder,
            OnSite: true,
            plan.Address);

    private static DateTimeOffset? Instant(string? text, string field, Dictionary<string, string[]> errors)
    {
        if (text is null)
        {
            return null;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
        {
            return at;
        }

        errors[field] = ["An ISO 8601 date and time, e.g. 2026-03-01T09:00:00Z."];
        return null;
    }
}
