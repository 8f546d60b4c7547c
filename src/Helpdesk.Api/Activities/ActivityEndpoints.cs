using FluentValidation;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Common;
using Helpdesk.Api.Directory;
using Helpdesk.Api.Idempotency;
using Helpdesk.Api.Storage;
using Helpdesk.Api.Storage.Sqlite;
using Helpdesk.Api.Tickets;
using Helpdesk.Api.Time;
using Helpdesk.Api.Triggers;
using Helpdesk.Domain.Work;

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
    public ActivityValidator()
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
            .AddSingleton(StoreSelection.Of<IActivityStore, SqliteActivityStore, CosmosActivityStore>())
            .AddSingleton<IValidator<ActivityRequest>, ActivityValidator>()
            .AddScheduledJob<FireActivityReminders>(FireActivityReminders.FunctionName, TimeSpan.FromMinutes(1));

    public static RouteGroupBuilder MapActivityEndpoints(this RouteGroupBuilder api)
    {
        var activities = api.MapGroup("/tickets/{id}/activities").WithTags("activities").RequireAuthorization(Policies.Staff);
        activities.MapGet("/", ListAsync).WithName("ListActivities");
        activities.MapPost("/", CreateAsync).Validate<ActivityRequest>().Idempotent().WithName("CreateActivity");
        activities.MapGet("/{activityId}", GetAsync).WithName("GetActivity");
        activities.MapPut("/{activityId}", UpdateAsync).Validate<ActivityRequest>().WithName("UpdateActivity");
        activities.MapPost("/{activityId}/done", DoneAsync).WithName("CompleteActivity");
        activities.MapDelete("/{activityId}", DeleteAsync).WithName("DeleteActivity");
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

    private static Task<IResult> CreateAsync(string id, ActivityRequest request, TimeWork work, IActivityStore store, IDirectoryStore directory, TimeProvider clock, HttpResponse response, CancellationToken ct) =>
        work.RunAsync(id, async c =>
        {
            if (await CheckOwnerAsync(request.OwnerId, directory, ct) is { } missing)
            {
                return missing;
            }

            var activity = Activity.Plan(Ids.New("act", clock), id, c.Actor.Id, Details(request, request.OwnerId ?? c.Actor.Id), c.Now);
            c.Ticket.PlanActivity(activity, c.Actor, c.Now);
            await store.SaveAsync(c.Ticket, new Versioned<Activity>(activity, 0), remove: false, ct);
            ETags.Set(response, 1);
            return TypedResults.Created($"/api/tickets/{id}/activities/{activity.Id}", activity);
        }, ct);

    private static Task<IResult> UpdateAsync(string id, string activityId, ActivityRequest request, TimeWork work, IActivityStore store, IDirectoryStore directory, HttpContext http, CancellationToken ct) =>
        work.RunAsync(id, async c =>
        {
            var found = await store.FindAsync(id, activityId, ct);
            if (found is null)
            {
                return Problems.NotFound("activity");
            }

            if (ETags.RequireMatch(http.Request, found.Version) is { } refused)
            {
                return refused;
            }

            if (!MayChange(c, found.Value))
            {
                return NotYours();
            }

            if (await CheckOwnerAsync(request.OwnerId, directory, ct) is { } missing)
            {
                return missing;
            }

            var changed = found.Value.Change(Details(request, request.OwnerId ?? found.Value.Details.OwnerId), c.Now);
            c.Ticket.ChangeActivity(found.Value, changed, c.Actor, c.Now);
            await store.SaveAsync(c.Ticket, found with { Value = changed }, remove: false, ct);
            ETags.Set(http.Response, found.Version + 1);
            return TypedResults.Ok(changed);
        }, ct);

    private static Task<IResult> DoneAsync(string id, string activityId, TimeWork work, IActivityStore store, HttpContext http, CancellationToken ct) =>
        work.RunAsync(id, async c =>
        {
            var found = await store.FindAsync(id, activityId, ct);
            if (found is null)
            {
                return Problems.NotFound("activity");
            }

            if (ETags.CheckIfSent(http.Request, found.Version) is { } refused)
            {
                return refused;
            }

            if (!MayChange(c, found.Value))
            {
                return NotYours();
            }

            var done = found.Value.MarkDone(c.Now);
            c.Ticket.CompleteActivity(found.Value, done, c.Actor, c.Now);
            await store.SaveAsync(c.Ticket, found with { Value = done }, remove: false, ct);
            ETags.Set(http.Response, found.Version + 1);
            return TypedResults.Ok(done);
        }, ct);

    private static Task<IResult> DeleteAsync(string id, string activityId, TimeWork work, IActivityStore store, HttpRequest http, CancellationToken ct) =>
        work.RunAsync(id, async c =>
        {
            var found = await store.FindAsync(id, activityId, ct);
            if (found is null)
            {
                return Problems.NotFound("activity");
            }

            if (ETags.RequireMatch(http, found.Version) is { } refused)
            {
                return refused;
            }

            if (!MayChange(c, found.Value))
            {
                return NotYours();
            }

            c.Ticket.RemoveActivity(found.Value, c.Actor, c.Now);
            await store.SaveAsync(c.Ticket, found, remove: true, ct);
            return TypedResults.NoContent();
        }, ct);

    private static bool MayChange(WorkContext c, Activity activity) =>
        c.IsSupervisor || c.Actor.Id == activity.CreatedBy || c.Actor.Id == activity.Details.OwnerId;

    private static IResult NotYours() =>
        Problems.Result(Problems.Create(StatusCodes.Status403Forbidden, ProblemTypes.Rule("not-activity-owner"), "Only the creator, the owner or a supervisor may change an activity.", null));

    private static async Task<IResult?> CheckOwnerAsync(string? ownerId, IDirectoryStore directory, CancellationToken ct) =>
        ownerId is not null && await directory.FindAsync(DirectoryKinds.Agent, ownerId, ct) is not { Value.Active: true }
            ? Problems.Result(Problems.Validation("ownerId", "No active agent has this id."))
            : null;

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
