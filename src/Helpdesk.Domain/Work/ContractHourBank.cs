namespace Helpdesk.Domain.Work;

/// <summary>
/// The hours a customer bought with a contract (a block of support hours, not renewed monthly):
/// billable time on the tickets linked to the contract draws them down, whenever it was worked.
/// </summary>
public sealed record ContractHourBank(string ContractId, string Label, decimal Hours)
{
    public const decimal MaxHours = 100_000m;

    public HourBankUse Use(long billableMinutes)
    {
        var used = Work.Hours.FromMinutes(billableMinutes);
        var left = Hours - used;
        return new HourBankUse(Hours, used, Math.Max(0, left), Math.Max(0, -left), left < 0);
    }
}
