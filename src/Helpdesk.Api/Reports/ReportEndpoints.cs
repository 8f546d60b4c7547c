using Helpdesk.Api.Auth;

namespace Helpdesk.Api.Reports;

public static class ReportEndpoints
{
    /// <summary>Reports are for supervisors and admins: they show every agent's and account's figures.</summary>
    public static RouteGroupBuilder MapReportEndpoints(this RouteGroupBuilder api)
    {
        var reports = api.MapGroup("/reports").WithTags("reports").RequireAuthorization(Policies.Supervisor);
        reports.MapGet("/time", TimeReportEndpoint.HandleAsync).WithName("GetTimeReport");
        reports.MapGet("/satisfaction", SatisfactionReportEndpoint.HandleAsync).WithName("GetSatisfactionReport");
        return api;
    }
}
