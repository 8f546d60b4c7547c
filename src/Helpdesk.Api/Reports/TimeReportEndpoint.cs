using Helpdesk.Api.Common;
using Helpdesk.Api.Directory;
using Helpdesk.Api.Time;
using Helpdesk.Domain.Work;

namespace Helpdesk.Api.Reports;

public sealed record NamedAgentTime(string AgentId, string? Name, TimeTotals Time);

public sealed record NamedAccountTime(string? AccountId, string? Name, TimeTotals Time, HourBankUse? HourBank);

public sealed record TimeReportResponse(
    string Month,
    DateOnly From,
    DateOnly To,
    TimeTotals Totals,
    IReadOnlyList<NamedAgentTime> ByAgent,
    IReadOnlyList<NamedAccountTime> ByAccount,
    IReadOnlyList<TicketTime> ByTicket);

/// <summary>
/// GET /api/reports/time?month=YYYY-MM[&amp;format=csv]: the monthly time report. Work dates are
/// already days in each account's time zone, so the month is a plain range of dates.
/// </summary>
internal static class TimeReportEndpoint
{
    public static async Task<IResult> HandleAsync(string? month, string? format, ITimeStore store, IDirectoryStore directory, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var period = Months.TryParse(month);
        if (period is null)
        {
            errors["month"] = ["The month is required, as YYYY-MM."];
        }

        if (format is not null and not "json" and not "csv")
        {
            errors["format"] = ["The format is json or csv."];
        }

        if (errors.Count > 0)
        {
            return Problems.Result(Problems.Validation(errors));
        }

        var (name, from, to) = period!.Value;
        var rows = await store.RowsAsync(from, to, accountId: null, ct);
        var banks = new Dictionary<string, HourBank>(StringComparer.Ordinal);
        foreach (var accountId in rows.Select(r => r.AccountId).OfType<string>().Distinct(StringComparer.Ordinal))
        {
            if (await directory.FindAsync(HourBankKinds.HourBank, accountId, ct) is { } bank)
            {
                banks[accountId] = bank.Value;
            }
        }

        var report = TimeReport.Build(name, rows, banks);
        var byAgent = new List<NamedAgentTime>();
        foreach (var agent in report.ByAgent)
        {
            byAgent.Add(new NamedAgentTime(agent.AgentId, (await directory.FindAsync(DirectoryKinds.Agent, agent.AgentId, ct))?.Value.Name, agent.Time));
        }

        var byAccount = new List<NamedAccountTime>();
        foreach (var account in report.ByAccount)
        {
            var found = account.AccountId is null ? null : await directory.FindAsync(DirectoryKinds.Account, account.AccountId, ct);
            byAccount.Add(new NamedAccountTime(account.AccountId, found?.Value.Name, account.Time, account.HourBank));
        }

        var response = new TimeReportResponse(name, from, to, report.Totals, byAgent, byAccount, report.ByTicket);
        return format == "csv" ? ToCsv(response).ToResult($"time-{name}.csv") : TypedResults.Ok(response);
    }

    private static Csv ToCsv(TimeReportResponse report)
    {
        var csv = new Csv().Row(
            "section", "id", "name", "minutes", "hours", "billableMinutes", "billableHours", "nonBillableMinutes", "nonBillableHours",
            "hoursIncluded", "hoursLeft", "overrunHours", "overrun");
        csv.Row(Time("total", report.Month, null, report.Totals, null));
        foreach (var agent in report.ByAgent)
        {
            csv.Row(Time("agent", agent.AgentId, agent.Name, agent.Time, null));
        }

        foreach (var account in report.ByAccount)
        {
            csv.Row(Time("account", account.AccountId, account.Name, account.Time, account.HourBank));
        }

        foreach (var ticket in report.ByTicket)
        {
            csv.Row(Time("ticket", ticket.TicketId, ticket.TicketNumber, ticket.Time, null));
        }

        return csv;
    }

    private static object?[] Time(string section, string? id, string? name, TimeTotals t, HourBankUse? bank) =>
    [
        section, id, name, t.Minutes, t.Hours, t.BillableMinutes, t.BillableHours, t.NonBillableMinutes, t.NonBillableHours,
        bank?.HoursIncluded, bank?.HoursLeft, bank?.OverrunHours, bank?.Overrun,
    ];
}
