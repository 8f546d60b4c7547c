namespace Helpdesk.Domain.Work;

/// <summary>Durations shown as hours: decimal, two places, rounded half away from zero.</summary>
public static class Hours
{
    public static decimal FromMinutes(long minutes) => Math.Round(minutes / 60m, 2, MidpointRounding.AwayFromZero);
}

/// <summary>An account's prepaid hours per calendar month, counted in the account's time zone.</summary>
public sealed record HourBank(string AccountId, decimal HoursPerMonth, string TimeZone)
{
    public const decimal MaxHoursPerMonth = 10_000m;

    /// <summary>How much of the month's hours the billable minutes used.</summary>
    public HourBankUse Use(long billableMinutes)
    {
        var used = Hours.FromMinutes(billableMinutes);
        var left = HoursPerMonth - used;
        return new HourBankUse(HoursPerMonth, used, Math.Max(0, left), Math.Max(0, -left), left < 0);
    }
}

public sealed record HourBankUse(decimal HoursIncluded, decimal HoursUsed, decimal HoursLeft, decimal OverrunHours, bool Overrun);

/// <summary>One confirmed time entry as the monthly report sees it, with the contract its ticket is linked to.</summary>
public sealed record TimeRow(string AgentId, string TicketId, string TicketNumber, string? AccountId, int Minutes, bool Billable, string? ContractId = null, string? ContractLabel = null);

public sealed record TimeTotals(long Minutes, long BillableMinutes, long NonBillableMinutes)
{
    public decimal Hours => Work.Hours.FromMinutes(Minutes);

    public decimal BillableHours => Work.Hours.FromMinutes(BillableMinutes);

    public decimal NonBillableHours => Work.Hours.FromMinutes(NonBillableMinutes);

    public static TimeTotals Of(IEnumerable<TimeRow> rows)
    {
        long billable = 0, nonBillable = 0;
        foreach (var row in rows)
        {
            if (row.Billable)
            {
                billable += row.Minutes;
            }
            else
            {
                nonBillable += row.Minutes;
            }
        }

        return new TimeTotals(billable + nonBillable, billable, nonBillable);
    }
}

public sealed record AgentTime(string AgentId, TimeTotals Time);

public sealed record AccountTime(string? AccountId, TimeTotals Time, HourBankUse? HourBank);

public sealed record TicketTime(string TicketId, string TicketNumber, string? AccountId, TimeTotals Time);

/// <summary>
/// The monthly time report: totals by agent, by account (with the hour bank's use and any
/// overrun) and by ticket, billable and not. Minutes are summed exactly; hours are derived from
/// the sums, so the rounding of one line never leaks into a total.
/// </summary>
public sealed record TimeReport(
    string Month,
    TimeTotals Totals,
    IReadOnlyList<AgentTime> ByAgent,
    IReadOnlyList<AccountTime> ByAccount,
    IReadOnlyList<TicketTime> ByTicket)
{
    public static TimeReport Build(string month, IReadOnlyCollection<TimeRow> rows, IReadOnlyDictionary<string, HourBank> banks)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(banks);
        var byAgent = rows.GroupBy(r => r.AgentId, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new AgentTime(g.Key, TimeTotals.Of(g)))
            .ToArray();
        var byAccount = rows.GroupBy(r => r.AccountId ?? string.Empty, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g =>
            {
                var totals = TimeTotals.Of(g);
                var accountId = g.Key.Length == 0 ? null : g.Key;
                var bank = accountId is not null && banks.TryGetValue(accountId, out var b) ? b.Use(totals.BillableMinutes) : null;
                return new AccountTime(accountId, totals, bank);
            })
            .ToArray();
        var byTicket = rows.GroupBy(r => r.TicketId, StringComparer.Ordinal)
            .Select(g => new TicketTime(g.Key, g.First().TicketNumber, g.First().AccountId, TimeTotals.Of(g)))
            .OrderBy(t => t.TicketNumber, StringComparer.Ordinal)
            .ToArray();
        return new TimeReport(month, TimeTotals.Of(rows), byAgent, byAccount, byTicket);
    }
}
