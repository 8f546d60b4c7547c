using Helpdesk.Api.Directory;
using Helpdesk.Domain.Tickets;
using Helpdesk.Domain.Work;
using Microsoft.Extensions.Options;
using NodaTime;

namespace Helpdesk.Api.Time;

public static class HourBankKinds
{
    /// <summary>Hour banks live in the directory store, one per account, keyed by the account id.</summary>
    public static readonly DirectoryKind<HourBank> HourBank = new("hourBank", b => b.AccountId, b => b.AccountId, "accountId", _ => []);

    /// <summary>Contract hour banks, one per contract, keyed by the contract's id in the customer's systems.</summary>
    public static readonly DirectoryKind<ContractHourBank> ContractHourBank = new("contractHourBank", b => b.ContractId, b => $"{b.ContractId} {b.Label}", "contractId", _ => []);
}

/// <summary>
/// Which day work belongs to: the calendar date in the ticket's account's time zone (from its hour
/// bank), else in the configured default zone. Months in reports are months of these dates.
/// </summary>
public sealed class WorkDates(IDirectoryStore directory, IOptions<TimeOptions> options)
{
    public async Task<DateOnly> DateOfAsync(Ticket ticket, DateTimeOffset at, CancellationToken cancellationToken) =>
        DateIn(await ZoneOfAsync(ticket.AccountId, cancellationToken), at);

    public async Task<string> ZoneOfAsync(string? accountId, CancellationToken cancellationToken)
    {
        var bank = accountId is null ? null : await directory.FindAsync(HourBankKinds.HourBank, accountId, cancellationToken);
        return bank?.Value.TimeZone ?? options.Value.DefaultTimeZone;
    }

    public static DateOnly DateIn(string zone, DateTimeOffset at)
    {
        var local = Instant.FromDateTimeOffset(at).InZone(DateTimeZoneProviders.Tzdb[zone]).Date;
        return new DateOnly(local.Year, local.Month, local.Day);
    }
}
