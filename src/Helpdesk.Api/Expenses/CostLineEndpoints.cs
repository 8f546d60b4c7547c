using FluentValidation;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Common;
using Helpdesk.Api.Storage;
using Helpdesk.Api.Storage.Sqlite;
using Helpdesk.Api.Tickets;
using Helpdesk.Api.Time;
using Helpdesk.Domain.Work;

namespace Helpdesk.Api.Expenses;

public sealed record CostLineRequest(CostLineKind? Kind, string? Description, decimal? Quantity, decimal? UnitPrice, string? Currency, bool? Billable, DateOnly? Date);

public sealed record CostLineList(IReadOnlyList<CostLine> Items, string? NextCursor, IReadOnlyList<MoneyTotal> Totals);

internal sealed class CostLineValidator : AbstractValidator<CostLineRequest>
{
    public CostLineValidator()
    {
        RuleFor(r => r.Kind).NotNull();
        RuleFor(r => r.Description).NotEmpty().MaximumLength(CostLine.MaxDescriptionLength);
        RuleFor(r => r.Quantity).NotNull().GreaterThan(0).LessThanOrEqualTo(CostLine.MaxQuantity).PrecisionScale(18, CostLine.MaxDecimals, ignoreTrailingZeros: true);
        RuleFor(r => r.UnitPrice).NotNull().InclusiveBetween(0, CostLine.MaxUnitPrice).PrecisionScale(18, CostLine.MaxDecimals, ignoreTrailingZeros: true);
        RuleFor(r => r.Currency).NotEmpty().Must(Currencies.IsKnown).WithMessage("The currency is an ISO 4217 code in upper case, e.g. EUR.");
        RuleFor(r => r.Billable).NotNull();
    }
}

/// <summary>Products and expenses on a ticket (FEATURES.md §6): staff add them; the author or a supervisor changes them.</summary>
public static class CostLineEndpoints
{
    public static IServiceCollection AddExpenses(this IServiceCollection services) =>
        services
            .AddSqliteMigration(SqliteCostLineStore.Schema.Name, SqliteCostLineStore.Schema.Sql)
            .AddTicketItemKind(SqliteCostLineStore.Table, CosmosCostLineStore.ItemKind)
            .AddSingleton(StoreSelection.Of<ICostLineStore, SqliteCostLineStore, CosmosCostLineStore>());

    public static RouteGroupBuilder MapExpenseEndpoints(this RouteGroupBuilder api)
    {
        var lines = api.MapGroup("/tickets/{id}/cost-lines").WithTags("expenses").RequireAuthorization(Policies.Staff);
        lines.MapGet("/", ListAsync).WithName("ListCostLines")
            .Produces<CostLineList>().ProducesProblems(StatusCodes.Status404NotFound);
        lines.MapPost("/", CreateAsync).Validate<CostLineRequest>().WithName("CreateCostLine")
            .Produces<CostLine>(StatusCodes.Status201Created).ProducesCommandProblems();
        lines.MapGet("/{lineId}", GetAsync).WithName("GetCostLine")
            .Produces<CostLine>().ProducesProblems(StatusCodes.Status404NotFound);
        lines.MapPut("/{lineId}", UpdateAsync).Validate<CostLineRequest>().WithName("UpdateCostLine")
            .Produces<CostLine>().ProducesCommandProblems(StatusCodes.Status403Forbidden, StatusCodes.Status428PreconditionRequired);
        lines.MapDelete("/{lineId}", DeleteAsync).WithName("DeleteCostLine")
            .Produces(StatusCodes.Status204NoContent).ProducesCommandProblems(StatusCodes.Status403Forbidden, StatusCodes.Status428PreconditionRequired);
        return api;
    }

    private static async Task<IResult> ListAsync(string id, ITicketStore tickets, ICostLineStore store, int? limit, string? cursor, CancellationToken ct)
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
        return TypedResults.Ok(new CostLineList([.. page.Items.Select(l => l.Value)], page.NextCursor, CostLine.Totals(await store.AllAsync(id, ct))));
    }

    private static async Task<IResult> GetAsync(string id, string lineId, ICostLineStore store, HttpResponse response, CancellationToken ct)
    {
        var line = await store.FindAsync(id, lineId, ct);
        if (line is null)
        {
            return Problems.NotFound("cost line");
        }

        ETags.Set(response, line.Version);
        return TypedResults.Ok(line.Value);
    }

    private static async Task<IResult> CreateAsync(string id, CostLineRequest request, TicketRunner runner, Caller caller, WorkPolicy work, WorkDates dates, HttpResponse response, CancellationToken ct) =>
        (await runner.RunAsync<CostLine>(
            id,
            await caller.ActorAsync(ct),
            TicketPrecondition.None,
            async c =>
            {
                var date = request.Date ?? await dates.DateOfAsync(c.Ticket, c.Now, ct);
                var line = CostLine.Add(
                    Ids.New("col", c.Now), id, c.Actor.Id, request.Kind!.Value, request.Description!, request.Quantity!.Value, request.UnitPrice!.Value, request.Currency!, request.Billable!.Value, date, c.Now);
                c.Ticket.AddLine(line, work.Options.AllowOnClosedTickets, c.Actor, c.Now);
                c.Write(TicketItemWrite.Add(TicketItemKinds.CostLine, line.Id, line));
                return line;
            },
            ct)).ToResult(line =>
            {
                ETags.Set(response, 1);
                return TypedResults.Created($"/api/tickets/{id}/cost-lines/{line.Id}", line);
            });

    private static async Task<IResult> UpdateAsync(string id, string lineId, CostLineRequest request, TicketRunner runner, Caller caller, WorkPolicy work, ICostLineStore store, HttpContext http, CancellationToken ct) =>
        (await runner.RunOnItemAsync<CostLine, Versioned<CostLine>>(
            id,
            await caller.ActorAsync(ct),
            Address(store, id, lineId, TicketPrecondition.Require(http.Request)),
            (by, line) => work.Refuse(by, line.AgentId),
            (c, found) =>
            {
                var changed = found.Value.Change(
                    request.Kind!.Value, request.Description!, request.Quantity!.Value, request.UnitPrice!.Value, request.Currency!, request.Billable!.Value, request.Date ?? found.Value.Date, c.Now);
                c.Ticket.ChangeLine(found.Value, changed, work.Options.AllowOnClosedTickets, c.Actor, c.Now);
                if (!c.Ticket.HasChanges)
                {
                    return Task.FromResult<Outcome<Versioned<CostLine>>>(found);
                }

                c.Write(TicketItemWrite.Put(TicketItemKinds.CostLine, lineId, found with { Value = changed }));
                return Task.FromResult<Outcome<Versioned<CostLine>>>(new Versioned<CostLine>(changed, found.Version + 1));
            },
            ct)).ToResult(line =>
            {
                ETags.Set(http.Response, line.Version);
                return TypedResults.Ok(line.Value);
            });

    private static async Task<IResult> DeleteAsync(string id, string lineId, TicketRunner runner, Caller caller, WorkPolicy work, ICostLineStore store, HttpRequest http, CancellationToken ct) =>
        (await runner.RunOnItemAsync<CostLine, CostLine>(
            id,
            await caller.ActorAsync(ct),
            Address(store, id, lineId, TicketPrecondition.Require(http)),
            (by, line) => work.Refuse(by, line.AgentId),
            (c, found) =>
            {
                c.Ticket.RemoveLine(found.Value, work.Options.AllowOnClosedTickets, c.Actor, c.Now);
                c.Write(TicketItemWrite.Remove(TicketItemKinds.CostLine, lineId, found.Version));
                return Task.FromResult<Outcome<CostLine>>(found.Value);
            },
            ct)).ToResult(_ => TypedResults.NoContent());

    private static ItemAddress<CostLine> Address(ICostLineStore store, string ticketId, string lineId, TicketPrecondition precondition) =>
        new("cost line", ct => store.FindAsync(ticketId, lineId, ct), precondition);
}
