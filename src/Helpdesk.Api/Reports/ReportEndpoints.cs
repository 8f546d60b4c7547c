using Helpdesk.Api.Auth;
using Helpdesk.Api.Common;
using Helpdesk.Api.Satisfaction;
using Helpdesk.Api.Storage;
using Helpdesk.Api.Storage.Sqlite;

namespace Helpdesk.Api.Reports;

public static class ReportEndpoints
{
    /// <summary>The ticket dashboard's aggregates and the indexes they read.</summary>
    public static IServiceCollection AddReports(this IServiceCollection services) =>
        services
            .AddSqliteMigration(SqliteTicketDashboard.Schema.Name, SqliteTicketDashboard.Schema.Sql)
            .AddSingleton(StoreSelection.Of<ITicketDashboardSource, SqliteTicketDashboard, CosmosTicketDashboard>());

    /// <summary>Reports are for supervisors and admins: they show every agent's and account's figures.</summary>
    public static RouteGroupBuilder MapReportEndpoints(this RouteGroupBuilder api)
    {
        var reports = api.MapGroup("/reports").WithTags("reports").RequireAuthorization(Policies.Supervisor);
        reports.MapGet("/time", TimeReportEndpoint.HandleAsync).WithName("GetTimeReport")
            .Produces<TimeReportResponse>().WithCsv();
        reports.MapGet("/satisfaction", SatisfactionReportEndpoint.HandleAsync).WithName("GetSatisfactionReport")
            .Produces<ScoreSummary>();
        reports.MapGet("/tickets", TicketDashboardEndpoint.HandleAsync).WithName("GetTicketDashboard")
            .Produces<TicketDashboardResponse>().WithCsv();
        return api;
    }
}
