using FluentValidation;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Common;
using Microsoft.AspNetCore.Http.HttpResults;
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
            .AddScoped<TicketReferences>()
            .AddSingleton<TicketLists>()
            .AddSqliteMigration(SqliteTicketStore.MergesMigration.Name, SqliteTicketStore.MergesMigration.Sql)
            .AddSqliteMigration(SqliteTicketStore.HistoryNotesMigration.Name, SqliteTicketStore.HistoryNotesMigration.Sql)
            .AddSqliteMigration(SqliteTicketStore.PortalMigration.Name, SqliteTicketStore.PortalMigration.Sql)
            .AddSqliteMigration(SqliteTicketStore.ReceiptsMigration.Name, SqliteTicketStore.ReceiptsMigration.Sql)
            .AddSqliteMigration(SqliteTicketStore.LinksMigration.Name, SqliteTicketStore.LinksMigration.Sql)
            .AddSqliteMigration(SqliteTicketStore.SortsMigration.Name, SqliteTicketStore.SortsMigration.Sql)
            .AddSqliteMigration(SqliteTicketStore.SearchMigration.Name, SqliteTicketStore.SearchMigration.Sql)
            .AddSingleton<SqliteTicketStore>()
            .AddCosmosSingleton<CosmosTicketItems>()
            .AddCosmosSingleton<CosmosTicketStore>()
            .AddSingleton(StoreSelection.Registered<ITicketStore, SqliteTicketStore, CosmosTicketStore>())
            .AddCosmosSingleton<CosmosTicketNumbers>()
            .AddSingleton(StoreSelection.Registered<ITicketNumberSequence, SqliteTicketStore, CosmosTicketNumbers>())
            .AddSingleton<TicketRunner>()
            .AddSingleton<TicketOpening>()
            .AddSingleton<TicketPresenter>()
            .AddSingleton<TicketSearch>();
    }

    public static RouteGroupBuilder MapTicketEndpoints(this RouteGroupBuilder api)
    {
        var tickets = api.MapGroup("/tickets").WithTags("tickets").RequireAuthorization(Policies.Staff);

        tickets.MapPost("/", CreateTicket.HandleAsync).Validate<CreateTicketRequest>().WithName("CreateTicket")
            .ProducesProblems(StatusCodes.Status400BadRequest);
        tickets.MapPost("/next", NextTicket.HandleAsync).WithName("TakeNextTicket").ProducesProblems(StatusCodes.Status409Conflict);
        tickets.MapGet("/", ListAsync).WithName("ListTickets").ProducesProblems(StatusCodes.Status400BadRequest);
        tickets.MapGet("/{id}", GetAsync).WithName("GetTicket").ProducesProblems(StatusCodes.Status404NotFound);
        tickets.MapPatch("/{id}", PatchTicket.HandleAsync).Accepts<TicketPatchDocument>("application/merge-patch+json", "application/json").WithName("UpdateTicket")
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status412PreconditionFailed, StatusCodes.Status428PreconditionRequired);
        tickets.MapGet("/{id}/history", HistoryAsync).WithName("GetTicketHistory").ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound);

        tickets.MapPost("/{id}/read", TicketCommands.ReadAsync).WithName("MarkTicketRead").ProducesCommandProblems();
        tickets.MapPost("/{id}/start", TicketCommands.StartAsync).WithName("StartTicket").ProducesCommandProblems();
        tickets.MapPost("/{id}/take", TicketCommands.TakeAsync).WithName("TakeTicket").ProducesCommandProblems();
        tickets.MapPost("/{id}/wait", TicketCommands.WaitAsync).WithName("WaitOnCustomer").ProducesCommandProblems();
        tickets.MapPost("/{id}/reopen", TicketCommands.ReopenAsync).WithName("ReopenTicket").ProducesCommandProblems();
        tickets.MapPost("/{id}/assign", TicketCommands.AssignAsync).Validate<AssignRequest>().WithName("AssignTicket").ProducesCommandProblems(StatusCodes.Status400BadRequest);
        tickets.MapPost("/{id}/resolve", TicketCommands.ResolveAsync).Validate<ResolveRequest>().WithName("ResolveTicket").ProducesCommandProblems(StatusCodes.Status400BadRequest);
        tickets.MapPost("/{id}/close", TicketCommands.CloseAsync).OptionalBody<CloseRequest>().WithName("CloseTicket").ProducesCommandProblems();
        tickets.MapPost("/{id}/portal-visibility", TicketCommands.PortalVisibilityAsync).Validate<PortalVisibilityRequest>().WithName("SetTicketPortalVisibility")
            .ProducesCommandProblems(StatusCodes.Status400BadRequest);
        return api;
    }

    /// <summary>What a command on a ticket can be refused with: no such ticket, a broken rule of its lifecycle, a stale If-Match.</summary>
    public static RouteHandlerBuilder ProducesCommandProblems(this RouteHandlerBuilder route, params int[] more) =>
        route.ProducesProblems([.. more, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status412PreconditionFailed]);

    private static async Task<Results<Ok<TicketResponse>, StatusCodeHttpResult, ApiProblem>> GetAsync(string id, ITicketStore store, TicketPresenter presenter, HttpContext http, CancellationToken cancellationToken)
    {
        var ticket = await store.FindAsync(id, cancellationToken);
        if (ticket is null)
        {
            return new ApiProblem(Problems.Missing("ticket"));
        }

        ETags.Set(http.Response, ticket.Version);
        return http.Request.Headers.IfNoneMatch.ToString() == ETags.For(ticket.Version)
            ? TypedResults.StatusCode(StatusCodes.Status304NotModified)
            : TypedResults.Ok(await presenter.PresentAsync(ticket, cancellationToken));
    }

    private static async Task<Results<Ok<Page<TicketResponse>>, ApiProblem>> ListAsync(
        ITicketStore store,
        TicketPresenter presenter,
        TicketSearch search,
        Caller caller,
        TimeProvider clock,
        string? view,
        string? status,
        string? priority,
        string? assigneeId,
        string? teamId,
        string? accountId,
        string? projectId,
        string? contractId,
        string? q,
        string? sort,
        int? limit,
        string? cursor,
        CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (!TicketSort.TryParse(sort, out var parsedSort))
        {
            errors[TicketSort.Parameter] = [TicketSort.Refusal];
        }

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

        if (TicketSearch.Refusal(q) is { } refusal)
        {
            errors["q"] = [refusal];
        }

        if (errors.Count > 0)
        {
            return new ApiProblem(Problems.Validation(errors));
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
                ProjectId: projectId,
                ContractId: contractId,
                Text: q,
                Sort: parsedSort,
                TextScope: TicketTextScope.Conversation),
            cancellationToken);
        var matches = await search.MatchAsync(page.Items, q, TicketTextScope.Conversation, cancellationToken);
        return TypedResults.Ok(await presenter.PresentAsync(page, matches, cancellationToken));
    }

    private static async Task<Results<Ok<Page<HistoryEntry>>, ApiProblem>> HistoryAsync(string id, ITicketStore store, int? limit, string? cursor, CancellationToken cancellationToken)
    {
        if (Paging.LimitProblem(limit) is { } refused)
        {
            return new ApiProblem(refused);
        }

        return await store.FindAsync(id, cancellationToken) is null
            ? new ApiProblem(Problems.Missing("ticket"))
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
    DateTimeOffset? StartAt,
    DateTimeOffset? DueAt,
    int? Progress,
    IReadOnlyList<string>? Tags,
    string? AccountId,
    string? ContactId,
    bool? NotifyCustomer,
    TicketLink? Project,
    TicketLink? Contract);
