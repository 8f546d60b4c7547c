using FluentValidation;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Common;
using Helpdesk.Api.Directory;
using Helpdesk.Api.Notifications;
using Helpdesk.Api.Storage;
using Helpdesk.Api.Storage.Sqlite;
using Helpdesk.Api.Tickets;
using Helpdesk.Api.Triggers;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Work;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Activities;

public sealed record ReminderRequest(DateTimeOffset? At, IReadOnlyList<ReminderChannel>? Channels);

public sealed record ActivityRequest(
    ActivityKind? Kind,
    string? Title,
    string? Notes,
    string? OwnerId,
    DateTimeOffset? DueAt,
    DateTimeOffset? StartAt,
    DateTimeOffset? EndAt,
    ReminderRequest? Reminder,
    bool? OnSite,
    string? Location);

internal sealed class ActivityValidator : AbstractValidator<ActivityRequest>
{
    public ActivityValidator(IOptions<SmsOptions> sms)
    {
        RuleFor(r => r.Kind).NotNull();
        RuleFor(r => r.Title).NotEmpty().MaximumLength(Activity.MaxTitleLength);
        RuleFor(r => r.Notes).MaximumLength(Activity.MaxNotesLength);
        RuleFor(r => r.OwnerId).MaximumLength(100);
        RuleFor(r => r.Location).MaximumLength(500);
        RuleFor(r => r.StartAt).NotNull().When(r => r.Kind == ActivityKind.Event).WithMessage("An event has a start and an end.");
        RuleFor(r => r.EndAt).NotNull().When(r => r.Kind == ActivityKind.Event).WithMessage("An event has a start and an end.");
        RuleFor(r => r.EndAt).GreaterThan(r => r.StartAt).When(r => r.StartAt is not null && r.EndAt is not null).WithMessage("The end comes after the start.");
        RuleFor(r => r.Reminder!.At).NotNull().When(r => r.Reminder is not null).OverridePropertyName("reminder.at");
        RuleFor(r => r.Reminder!.Channels).NotEmpty().When(r => r.Reminder is not null).OverridePropertyName("reminder.channels")
            .WithMessage("Name at least one channel: email, sms or popup.");

        // Without an SMS provider an sms reminder is refused rather than accepted and never sent.
        RuleFor(r => r.Reminder!.Channels).Must(c => c is null || !c.Contains(ReminderChannel.Sms)).When(r => r.Reminder is not null && !sms.Value.Configured).OverridePropertyName("reminder.channels")
            .WithMessage("No SMS provider is configured (Notifications:Sms), so an sms reminder could never be sent: use email or popup.");
    }
}

/// <summary>
/// Tasks, calls and events linked to a ticket (FEATURES.md §9). The creator owns an activity
/// unless another agent is named; its creator, its owner or a supervisor changes it.
/// </summary>
public static class ActivityEndpoints
{
    public static IServiceCollection AddActivities(this IServiceCollection services) =>
        services
            .AddSqliteMigration(SqliteActivityStore.Schema.Name, SqliteActivityStore.Schema.Sql)
            .AddTicketItemKind(SqliteActivityStore.Table, CosmosActivityStore.ItemKind)
            .AddSingleton(StoreSelection.Of<IActivityStore, SqliteActivityStore, CosmosActivityStore>())
            .AddScheduledJob<FireActivityReminders>(FireActivityReminders.FunctionName, TimeSpan.FromMinutes(1));

    public static RouteGroupBuilder MapActivityEndpoints(this RouteGroupBuilder api)
    {
        var activities = api.MapGroup("/tickets/{id}/activities").WithTags("activities").RequireAuthorization(Policies.Staff);
        activities.MapGet("/", ListAsync).WithName("ListActivities")
            .Produces<Page<Activity>>().ProducesProblems(StatusCodes.Status404NotFound);
        activities.MapPost("/", CreateAsync).Validate<ActivityRequest>().WithName("CreateActivity")
            .Produces<Activity>(StatusCodes.Status201Created).ProducesCommandProblems();
        activities.MapGet("/{activityId}", GetAsync).WithName("GetActivity")
            .Produces<Activity>().ProducesProblems(StatusCodes.Status404NotFound);
        activities.MapPut("/{activityId}", UpdateAsync).Validate<ActivityRequest>().WithName("UpdateActivity")
            .Produces<Activity>().ProducesCommandProblems(StatusCodes.Status403Forbidden, StatusCodes.Status428PreconditionRequired);
        activities.MapPost("/{activityId}/done", DoneAsync).WithName("CompleteActivity")
            .Produces<Activity>().ProducesCommandProblems(StatusCodes.Status403Forbidden);
        activities.MapDelete("/{activityId}", DeleteAsync).WithName("DeleteActivity")
            .Produces(StatusCodes.Status204NoContent).ProducesCommandProblems(StatusCodes.Status403Forbidden, StatusCodes.Status428PreconditionRequired);
        return api;
    }

    private static async Task<IResult> ListAsync(string id, ITicketStore tickets, IActivityStore store, int? limit, string? cursor, CancellationToken ct)
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

    private static async Task<IResult> GetAsync(string id, string activityId, IActivityStore store, HttpResponse response, CancellationToken ct)
    {
        var activity = await store.FindAsync(id, activityId, ct);
        if (activity is null)
        {
            return Problems.NotFound("activity");
        }

        ETags.Set(response, activity.Version);
        return TypedResults.Ok(activity.Value);
    }

    private static async Task<IResult> CreateAsync(string id, ActivityRequest request, TicketRunner runner, Caller caller, IDirectoryStore directory, HttpResponse response, CancellationToken ct) =>
        (await runner.RunAsync<Activity>(
            id,
            await caller.ActorAsync(ct),
            TicketPrecondition.None,
            async c =>
            {
                if (await CheckOwnerAsync(request, request.OwnerId ?? c.Actor.Id, directory, ct) is { } missing)
                {
                    return missing;
                }

                var activity = Activity.Plan(Ids.New("act", c.Now), id, c.Actor.Id, Details(request, request.OwnerId ?? c.Actor.Id), c.Now);
                c.Ticket.PlanActivity(activity, c.Actor, c.Now);
                c.Write(TicketItemWrite.Add(TicketItemKinds.Activity, activity.Id, activity));
                return activity;
            },
            ct)).ToResult(activity =>
            {
                ETags.Set(response, 1);
                return TypedResults.Created($"/api/tickets/{id}/activities/{activity.Id}", activity);
            });

    private static async Task<IResult> UpdateAsync(string id, string activityId, ActivityRequest request, TicketRunner runner, Caller caller, IActivityStore store, IDirectoryStore directory, HttpContext http, CancellationToken ct) =>
        Answer(
            await runner.RunOnItemAsync<Activity, Versioned<Activity>>(
                id,
                await caller.ActorAsync(ct),
                Address(store, id, activityId, TicketPrecondition.Require(http.Request)),
                (by, activity) => MayChange(by, caller, activity),
                async (c, found) =>
                {
                    if (await CheckOwnerAsync(request, request.OwnerId ?? found.Value.Details.OwnerId, directory, ct) is { } missing)
                    {
                        return missing;
                    }

                    var changed = found with { Value = found.Value.Change(Details(request, request.OwnerId ?? found.Value.Details.OwnerId), c.Now) };
                    c.Ticket.ChangeActivity(found.Value, changed.Value, c.Actor, c.Now);
                    c.Write(TicketItemWrite.Put(TicketItemKinds.Activity, activityId, changed));
                    return changed with { Version = changed.Version + 1 };
                },
                ct),
            http.Response);

    private static async Task<IResult> DoneAsync(string id, string activityId, TicketRunner runner, Caller caller, IActivityStore store, HttpContext http, CancellationToken ct) =>
        Answer(
            await runner.RunOnItemAsync<Activity, Versioned<Activity>>(
                id,
                await caller.ActorAsync(ct),
                Address(store, id, activityId, TicketPrecondition.IfSent(http.Request)),
                (by, activity) => MayChange(by, caller, activity),
                (c, found) =>
                {
                    var done = found with { Value = found.Value.MarkDone(c.Now) };
                    c.Ticket.CompleteActivity(found.Value, done.Value, c.Actor, c.Now);
                    c.Write(TicketItemWrite.Put(TicketItemKinds.Activity, activityId, done));
                    return Task.FromResult<Outcome<Versioned<Activity>>>(done with { Version = done.Version + 1 });
                },
                ct),
            http.Response);

    private static async Task<IResult> DeleteAsync(string id, string activityId, TicketRunner runner, Caller caller, IActivityStore store, HttpRequest http, CancellationToken ct) =>
        (await runner.RunOnItemAsync<Activity, Activity>(
            id,
            await caller.ActorAsync(ct),
            Address(store, id, activityId, TicketPrecondition.Require(http)),
            (by, activity) => MayChange(by, caller, activity),
            (c, found) =>
            {
                c.Ticket.RemoveActivity(found.Value, c.Actor, c.Now);
                c.Write(TicketItemWrite.Remove(TicketItemKinds.Activity, activityId, found.Version));
                return Task.FromResult<Outcome<Activity>>(found.Value);
            },
            ct)).ToResult(_ => TypedResults.NoContent());

    private static ItemAddress<Activity> Address(IActivityStore store, string ticketId, string activityId, TicketPrecondition precondition) =>
        new("activity", ct => store.FindAsync(ticketId, activityId, ct), precondition);

    /// <summary>The activity as written, with its new ETag.</summary>
    private static IResult Answer(Outcome<Versioned<Activity>> outcome, HttpResponse response) =>
        outcome.ToResult(activity =>
        {
            ETags.Set(response, activity.Version);
            return TypedResults.Ok(activity.Value);
        });

    /// <summary>An activity is changed by its creator, its owner or a supervisor.</summary>
    private static ProblemDetails? MayChange(Actor by, Caller caller, Activity activity) =>
        caller.User.IsSupervisor || by.Id == activity.CreatedBy || by.Id == activity.Details.OwnerId
            ? null
            : Problems.Create(StatusCodes.Status403Forbidden, ProblemTypes.Rule("not-activity-owner"), "Only the creator, the owner or a supervisor may change an activity.", null);

    /// <summary>The owner is an active agent; an sms reminder needs the owner's SMS number (their notification preferences).</summary>
    private static async Task<ProblemDetails?> CheckOwnerAsync(ActivityRequest request, string ownerId, IDirectoryStore directory, CancellationToken ct)
    {
        if (request.OwnerId is not null && await directory.FindAsync(DirectoryKinds.Agent, ownerId, ct) is not { Value.Active: true })
        {
            return Problems.Validation("ownerId", "No active agent has this id.");
        }

        return request.Reminder?.Channels is { } channels && channels.Contains(ReminderChannel.Sms)
            && (await directory.FindAsync(NotificationKinds.Preferences, ownerId, ct))?.Value.SmsNumber is null
            ? Problems.Validation("reminder.channels", "The owner has no SMS number in their notification preferences (PUT /api/notifications/preferences, smsNumber), so an sms reminder could never reach them.")
            : null;
    }

    private static ActivityDetails Details(ActivityRequest r, string ownerId) =>
        new(
            r.Kind!.Value,
            r.Title!,
            r.Notes,
            ownerId,
            r.DueAt,
            r.StartAt,
            r.EndAt,
            r.Reminder is null ? null : new ActivityReminder(r.Reminder.At!.Value, r.Reminder.Channels!),
            r.OnSite ?? false,
            r.Location);
}
