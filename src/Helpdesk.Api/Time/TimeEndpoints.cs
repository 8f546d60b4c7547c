using FluentValidation;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Common;
using Helpdesk.Api.Storage;
using Helpdesk.Api.Storage.Sqlite;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Work;

namespace Helpdesk.Api.Time;

public static class TimeEndpoints
{
    public static IServiceCollection AddTime(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<TimeOptions>().Bind(configuration.GetSection(TimeOptions.Section))
            .Validate(o => o.MaxTimerHours is > 0 and <= 24, "Time:MaxTimerHours is more than 0 and at most 24.")
            .Validate(o => o.HeartbeatGapSeconds is >= 10 and <= 3600, "Time:HeartbeatGapSeconds is from 10 to 3600.")
            .Validate(o => TimeOptions.IsTimeZone(o.DefaultTimeZone), "Time:DefaultTimeZone is an IANA time zone.")
            .ValidateOnStart();
        return services
            .AddSqliteMigration(SqliteTimeStore.Schema.Name, SqliteTimeStore.Schema.Sql)
            .AddSqliteMigration(SqliteTimeStore.TimerVersions.Name, SqliteTimeStore.TimerVersions.Sql)
            .AddTicketItemKind(SqliteTimeStore.Entries, CosmosTimeStore.Entries)
            .AddTicketItemKind(SqliteTimeStore.Presences, CosmosTimeStore.Presences)
            .AddTicketItemKind(SqliteTimeStore.Timers, CosmosTimeStore.Timers)
            .AddSingleton(StoreSelection.Of<ITimeStore, SqliteTimeStore, CosmosTimeStore>())
            .AddScoped<WorkDates>()
            .AddScoped<WorkPolicy>();
    }

    public static RouteGroupBuilder MapTimeEndpoints(this RouteGroupBuilder api)
    {
        var ticket = api.MapGroup("/tickets/{id}").WithTags("time").RequireAuthorization(Policies.Staff);
        ticket.MapGet("/time-entries", TimeEntryEndpoints.ListAsync).WithName("ListTimeEntries")
            .Produces<TimeEntryList>().ProducesProblems(StatusCodes.Status404NotFound);
        ticket.MapPost("/time-entries", TimeEntryEndpoints.CreateAsync).Validate<TimeEntryRequest>().WithName("CreateTimeEntry")
            .Produces<TimeEntry>(StatusCodes.Status201Created).ProducesCommandProblems(StatusCodes.Status403Forbidden);
        ticket.MapGet("/time-entries/{entryId}", TimeEntryEndpoints.GetAsync).WithName("GetTimeEntry")
            .Produces<TimeEntry>().ProducesProblems(StatusCodes.Status404NotFound);
        ticket.MapPut("/time-entries/{entryId}", TimeEntryEndpoints.UpdateAsync).Validate<TimeEntryRequest>().WithName("UpdateTimeEntry")
            .Produces<TimeEntry>().ProducesCommandProblems(StatusCodes.Status403Forbidden, StatusCodes.Status428PreconditionRequired);
        ticket.MapDelete("/time-entries/{entryId}", TimeEntryEndpoints.DeleteAsync).WithName("DeleteTimeEntry")
            .Produces(StatusCodes.Status204NoContent).ProducesCommandProblems(StatusCodes.Status403Forbidden, StatusCodes.Status428PreconditionRequired);
        ticket.MapPost("/time-entries/{entryId}/confirm", TimeEntryEndpoints.ConfirmAsync).OptionalBody<ConfirmDraftRequest>().WithName("ConfirmTimeEntry")
            .Produces<TimeEntry>().ProducesCommandProblems(StatusCodes.Status403Forbidden);
        ticket.MapPost("/timer/start", TimerEndpoints.StartAsync).WithName("StartTimer").Produces<TimerState>()
            .ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
        ticket.MapPost("/timer/stop", TimerEndpoints.StopAsync).WithName("StopTimer").Produces<TimeEntry>(StatusCodes.Status201Created)
            .ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
        ticket.MapDelete("/timer", TimerEndpoints.DiscardAsync).WithName("DiscardTimer").Produces(StatusCodes.Status204NoContent)
            .ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
        ticket.MapPost("/presence", TimerEndpoints.HeartbeatAsync).WithName("RecordPresence").Produces<PresenceState>()
            .ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);

        var bank = api.MapGroup("/accounts/{accountId}/hour-bank").WithTags("time");
        bank.MapGet("/", HourBankEndpoints.GetAsync).RequireAuthorization(Policies.Staff).WithName("GetHourBank")
            .Produces<HourBankSummary>().ProducesProblems(StatusCodes.Status404NotFound);
        bank.MapPut("/", HourBankEndpoints.PutAsync).RequireAuthorization(Policies.Admin).Validate<HourBankRequest>().WithName("PutHourBank")
            .Produces<HourBank>().Produces<HourBank>(StatusCodes.Status201Created).ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status412PreconditionFailed, StatusCodes.Status428PreconditionRequired);

        var contractBank = api.MapGroup("/contracts/{contractId}/hour-bank").WithTags("time");
        contractBank.MapGet("/", ContractHourBankEndpoints.GetAsync).RequireAuthorization(Policies.Staff).WithName("GetContractHourBank")
            .ProducesProblems(StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound);
        contractBank.MapPut("/", ContractHourBankEndpoints.PutAsync).RequireAuthorization(Policies.Admin).Validate<ContractHourBankRequest>().WithName("PutContractHourBank")
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden, StatusCodes.Status412PreconditionFailed, StatusCodes.Status428PreconditionRequired);
        return api;
    }
}
