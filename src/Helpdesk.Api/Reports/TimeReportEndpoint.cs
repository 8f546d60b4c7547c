using Helpdesk.Api.Common;
using Helpdesk.Api.Directory;
using Helpdesk.Api.Expenses;
using Helpdesk.Api.Time;
using Helpdesk.Domain.Work;

namespace Helpdesk.Api.Reports;

public sealed record NamedAgentTime(string AgentId, string? Name, TimeTotals Time);

public sealed record NamedAccountTime(string? AccountId, string? Name, TimeTotals Time, HourBankUse? HourBank);

/// <summary>The month's time on the tickets linked to a contract, and its hour bank's use up to the month's end.</summary>
public sealed record ContractTime(string ContractId, string? Label, TimeTotals Time, HourBankUse? HourBank);

public sealed record AccountExpenses(string? AccountId, string? Name, IReadOnlyList<MoneyTotal> Totals);

public sealed record TimeReportResponse(
    string Month,
    DateOnly From,
    DateOnly To,
    TimeTotals Totals,
    IReadOnlyList<NamedAgentTime> ByAgent,
    IReadOnlyList<NamedAccountTime> ByAccount,
    IReadOnlyList<TicketTime> ByTicket,
    IReadOnlyList<MoneyTotal> Expenses,
    IReadOnlyList<AccountExpenses> ExpensesByAccount,
    IReadOnlyList<ContractTime> ByContract);

/// <summary>
/// GET /api/reports/time?month=YYYY-MM[&amp;format=csv]: the monthly time report, with the month's
/// products and expenses totalled per currency. Work dates are already days in each account's
/// time zone, so the month is a plain range of dates.
/// </summary>
internal static class TimeReportEndpoint
{
    public static async Task<IResult> HandleAsync(string? month, string? format, ITimeStore store, ICostLineStore lines, IDirectoryStore directory, CancellationToken ct)
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
        var rows = await store.RowsAsync(from, to, accountId: null, contractId: null, ct);
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

        var costs = await lines.RowsAsync(from, to, ct);
        var expensesByAccount = new List<AccountExpenses>();
        foreach (var account in costs.GroupBy(c => c.AccountId ?? string.Empty, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var accountId = account.Key.Length == 0 ? null : account.Key;
            var found = accountId is null ? null : await directory.FindAsync(DirectoryKinds.Account, accountId, ct);
            expensesByAccount.Add(new AccountExpenses(accountId, found?.Value.Name, CostLine.Totals(account.Select(c => c.Line))));
        }

        var byContract = new List<ContractTime>();
        foreach (var contract in rows.Where(r => r.ContractId is not null).GroupBy(r => r.ContractId!, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var bank = (await directory.FindAsync(HourBankKinds.ContractHourBank, contract.Key, ct))?.Value;
            var use = bank is null ? null : (await ContractHourBankEndpoints.SummaryAsync(bank, store, to, ct)).Use;
            byContract.Add(new ContractTime(contract.Key, bank?.Label ?? contract.Last().ContractLabel, TimeTotals.Of(contract), use));
        }

        var response = new TimeReportResponse(
            name, from, to, report.Totals, byAgent, byAccount, report.ByTicket, CostLine.Totals(costs.Select(c => c.Line)), expensesByAccount, byContract);
        return format == "csv" ? ToCsv(response).ToResult($"time-{name}.csv") : TypedResults.Ok(response);
    }

    private static Csv ToCsv(TimeReportResponse report)
    {
        var csv = new Csv().Row(
            "section", "id", "name", "minutes", "hours", "billableMinutes", "billableHours", "nonBillableMinutes", "nonBillableHours",
            "hoursIncluded", "hoursLeft", "overrunHours", "overrun", "currency", "amount", "billableAmount");
        csv.Row(Time("total", report.Month, null, report.Totals, null));
        foreach (var agent in report.ByAgent)
        {
            csv.Row(Time("agent", agent.AgentId, agent.Name, agent.Time, null));
        }

        foreach (var account in report.ByAccount)
        {
            csv.Row(Time("account", account.AccountId, account.Name, account.Time, account.HourBank));
        }

        foreach (var contract in report.ByContract)
        {
            csv.Row(Time("contract", contract.ContractId, contract.Label, contract.Time, contract.HourBank));
        }

        foreach (var ticket in report.ByTicket)
        {
            csv.Row(Time("ticket", ticket.TicketId, ticket.TicketNumber, ticket.Time, null));
        }

        foreach (var total in report.Expenses)
        {
            csv.Row(Money("expenses", null, null, total));
        }

        foreach (var account in report.ExpensesByAccount)
        {
            foreach (var total in account.Totals)
            {
                csv.Row(Money("accountExpenses", account.AccountId, account.Name, total));
            }
        }

        return csv;
    }

    private static object?[] Money(string section, string? id, string? name, MoneyTotal total) =>
        [section, id, name, null, null, null, null, null, null, null, null, null, null, total.Currency, total.Amount, total.BillableAmount];

    private static object?[] Time(string section, string? id, string? name, TimeTotals t, HourBankUse? bank) =>
    [
        section, id, name, t.Minutes, t.Hours, t.BillableMinutes, t.BillableHours, t.NonBillableMinutes, t.NonBillableHours,
        bank?.HoursIncluded, bank?.HoursLeft, bank?.OverrunHours, bank?.Overrun, null, null, null,
    ];
}
