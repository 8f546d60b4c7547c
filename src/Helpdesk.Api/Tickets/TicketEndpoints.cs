using FluentValidation;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Common;
using Helpdesk.Api.Idempotency;
using Helpdesk.Api.Storage;
using Helpdesk.Api.Storage.Sqlite;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Tickets;

public static class TicketEndpoints
{
    public static IServiceCollection AddTickets(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<TicketOptions>().Bind(configuration.GetSection(TicketOptions.Section))
            .Validate(o => o.NumberPadding is >= 1 and <= 12, "Tickets:NumberPadding is from 1 to 12.")
            .Validate(o => o.MergeUndoMinutes >= 0, "Tickets:MergeUndoMinutes is zero or more.")
            .ValidateOnStart();
        return services
            .AddSingleton<IValidator<CreateTicketRequest>, CreateTicketValidator>()
            .AddSingleton<IValidator<AssignRequest>, AssignValidator>()
            .AddSingleton<IValidator<ResolveRequest>, ResolveValidator>()
            .AddScoped<Caller>()
            .AddScoped<TicketReferences>()
            .AddSqliteMigration(SqliteTicketStore.MergesMigration.Name, SqliteTicketStore.MergesMigration.Sql)
            .AddSqliteMigration(SqliteTicketStore.HistoryNotesMigration.Name, SqliteTicketStore.HistoryNotesMigration.Sql)
            .AddSingleton<SqliteTicketStore>()
            .AddSingleton<CosmosTicketItems>()
            .AddSingleton<CosmosTicketStore>()
            .AddSingleton(StoreSelection.Registered<ITicketStore, SqliteTicketStore, CosmosTicketStore>())
            .AddSingleton<CosmosTicketNumbers>()
            .AddSingleton(StoreSelection.Registered<ITicketNumberSequence, SqliteTicketStore, CosmosTicketNumbers>())
            .AddSingleton<TicketRunner>()
            .AddSingleton<TicketOpening>()
            .AddSingleton<TicketPresenter>();
    }

    public static RouteGroupBuilder MapTicketEndpoints(this RouteGroupBuilder api)
    {
        var tickets = api.MapGroup("/tickets").WithTags("tickets").RequireAuthorization(Policies.Staff);

        tickets.MapPost("/", CreateTicket.HandleAsync).Validate<CreateTicketRequest>().Idempotent().WithName("CreateTicket")
            .Produces<TicketResponse>(StatusCodes.Status201Created);
        tickets.MapGet("/", ListAsync).WithName("ListTickets").Produces<Page<TicketResponse>>();
        tickets.MapGet("/{id}", GetAsync).WithName("GetTicket").Produces<TicketResponse>();
        tickets.MapPatch("/{id}", PatchTicket.HandleAsync).Accepts<TicketPatchDocument>("application/merge-patch+json", "application/json").WithName("UpdateTicket").Produces<TicketResponse>();
        tickets.MapGet("/{id}/history", HistoryAsync).WithName("GetTicketHistory").Produces<Page<HistoryEntry>>();

        tickets.MapPost("/{id}/read", TicketCommands.ReadAsync).WithName("MarkTicketRead").Produces<TicketResponse>();
        tickets.MapPost("/{id}/start", TicketCommands.StartAsync).WithName("StartTicket").Produces<TicketResponse>();
        tickets.MapPost("/{id}/take", TicketCommands.TakeAsync).WithName("TakeTicket").Produces<TicketResponse>();
        tickets.MapPost("/{id}/wait", TicketCommands.WaitAsync).WithName("WaitOnCustomer").Produces<TicketResponse>();
        tickets.MapPost("/{id}/reopen", TicketCommands.ReopenAsync).WithName("ReopenTicket").Produces<TicketResponse>();
        tickets.MapPost("/{id}/assign", TicketCommands.AssignAsync).Validate<AssignRequest>().WithName("AssignTicket").Produces<TicketResponse>();
        tickets.MapPost("/{id}/resolve", TicketCommands.ResolveAsync).Validate<ResolveRequest>().WithName("ResolveTicket").Produces<TicketResponse>();
        tickets.MapPost("/{id}/close", TicketCommands.CloseAsync).WithName("CloseTicket").Produces<TicketResponse>();
        return api;
    }

    private static async Task<IResult> GetAsync(string id, ITicketStore store, TicketPresenter presenter, HttpContext http, CancellationToken cancellationToken)
    {
        var ticket = await store.FindAsync(id, cancellationToken);
        if (ticket is null)
        {
            return Problems.NotFound("ticket");
        }

        ETags.Set(http.Response, ticket.Version);
        return http.Request.Headers.IfNoneMatch.ToString() == ETags.For(ticket.Version)
            ? TypedResults.StatusCode(StatusCodes.Status304NotModified)
            : TypedResults.Ok(await presenter.PresentAsync(ticket, cancellationToken));
    }

    private static async Task<IResult> ListAsync(
        ITicketStore store,
        TicketPresenter presenter,
        Caller caller,
        TimeProvider clock,
        string? view,
        string? status,
        string? priority,
        string? assigneeId,
        string? teamId,
        string? accountId,
        string? q,
        int? limit,
        string? cursor,
        CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var parsedView = TicketView.Open;
        if (view is not null && !Names.TryParse(view, out parsedView))
        {
            errors["view"] = ["The view is open, mine, team, unassigned, late or all."];
        }

        TicketStatus? parsedStatus = null;
        if (status is not null)
        {
            parsedStatus = Names.TryParse<TicketStatus>(status, out var s) ? s : null;
            if (parsedStatus is null)
            {
                errors["status"] = ["The status is new, open, assigned, inProgress, waitingOnCustomer, resolved or closed."];
            }
        }

        Priority? parsedPriority = null;
        if (priority is not null)
        {
            parsedPriority = Names.TryParse<Priority>(priority, out var p) ? p : null;
            if (parsedPriority is null)
            {
                errors["priority"] = ["The priority is urgent, high, normal or low."];
            }
        }

        if (limit is < 1 or > Paging.MaxLimit)
        {
            errors["limit"] = [$"The limit is from 1 to {Paging.MaxLimit}."];
        }

        if (errors.Count > 0)
        {
            return Problems.Result(Problems.Validation(errors));
        }

        var agent = await caller.AgentAsync(cancellationToken);
        var page = await store.QueryAsync(
            new TicketQuery(
                parsedView,
                clock.GetUtcNow(),
                limit ?? Paging.DefaultLimit,
                cursor,
                CallerAgentId: agent?.Id,
                CallerTeamIds: agent?.TeamIds ?? [],
                Status: parsedStatus,
                Priority: parsedPriority,
                AssigneeId: assigneeId,
                TeamId: teamId,
                AccountId: accountId,
                Text: q),
            cancellationToken);
        return TypedResults.Ok(await presenter.PresentAsync(page, cancellationToken));
    }

    private static async Task<IResult> HistoryAsync(string id, ITicketStore store, int? limit, string? cursor, CancellationToken cancellationToken)
    {
        if (Paging.RefuseLimit(limit) is { } refused)
        {
            return refused;
        }

        return await store.FindAsync(id, cancellationToken) is null
            ? Problems.NotFound("ticket")
            : TypedResults.Ok(await store.HistoryAsync(id, limit ?? Paging.DefaultLimit, cursor, cancellationToken));
    }
}

/// <summary>The merge-patch document, for the API description only: the handler reads the raw JSON.</summary>
public sealed record TicketPatchDocument(
    string? Subject,
    string? Description,
    Priority? Priority,
    string? Type,
    string? Group,
    string? Severity,
    string? Impact,
    DateTimeOffset? DueAt,
    int? Progress,
    IReadOnlyList<string>? Tags,
    string? AccountId,
    string? ContactId,
    bool? NotifyCustomer);
