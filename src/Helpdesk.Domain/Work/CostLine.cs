using Helpdesk.Domain.Common;

namespace Helpdesk.Domain.Work;

public enum CostLineKind
{
    Product,
    Expense,
}

/// <summary>
/// A product sold or an expense incurred on a ticket (travel to the customer's site, a spare
/// part). The amount is quantity × unit price rounded once, to the currency's minor unit.
/// </summary>
public sealed record CostLine(
    string Id,
    string TicketId,
    string AgentId,
    CostLineKind Kind,
    string Description,
    decimal Quantity,
    decimal UnitPrice,
    string Currency,
    bool Billable,
    DateOnly Date,
    decimal Amount,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    public const int MaxDescriptionLength = 500;
    public const decimal MaxQuantity = 1_000_000m;
    public const decimal MaxUnitPrice = 1_000_000_000m;
    public const int MaxDecimals = 4;

    /// <summary>Always at the currency's minor unit, also for lines stored before amounts carried it.</summary>
    public decimal Amount { get; init; } = Currencies.Round(Amount, Currency);

    public static CostLine Add(string id, string ticketId, string agentId, CostLineKind kind, string description, decimal quantity, decimal unitPrice, string currency, bool billable, DateOnly date, DateTimeOffset now)
    {
        var checkedCurrency = CheckCurrency(currency);
        return new CostLine(
            id, ticketId, agentId, kind, CheckDescription(description), CheckQuantity(quantity), CheckUnitPrice(unitPrice), checkedCurrency, billable, date,
            Currencies.Round(quantity * unitPrice, checkedCurrency), now, now);
    }

    public CostLine Change(CostLineKind kind, string description, decimal quantity, decimal unitPrice, string currency, bool billable, DateOnly date, DateTimeOffset now) =>
        Add(Id, TicketId, AgentId, kind, description, quantity, unitPrice, currency, billable, date, now) with { CreatedAt = CreatedAt };

    /// <summary>Totals per currency (amounts in different currencies are never added together), ordered by code.</summary>
    public static IReadOnlyList<MoneyTotal> Totals(IEnumerable<CostLine> lines) =>
        [.. lines.GroupBy(l => l.Currency, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new MoneyTotal(g.Key, Currencies.Round(g.Sum(l => l.Amount), g.Key), Currencies.Round(g.Where(l => l.Billable).Sum(l => l.Amount), g.Key)))];

    private static string CheckDescription(string? description)
    {
        var clean = description?.Trim();
        if (string.IsNullOrEmpty(clean))
        {
            throw new DomainValidationException("description", "The description is required.");
        }

        return clean.Length > MaxDescriptionLength
            ? throw new DomainValidationException("description", $"The description is at most {MaxDescriptionLength} characters.")
            : clean;
    }

    private static decimal CheckQuantity(decimal quantity) =>
        quantity <= 0 || quantity > MaxQuantity || Math.Round(quantity, MaxDecimals) != quantity
            ? throw new DomainValidationException("quantity", $"The quantity is more than 0, at most {MaxQuantity}, with at most {MaxDecimals} decimals.")
            : quantity;

    private static decimal CheckUnitPrice(decimal unitPrice) =>
        unitPrice < 0 || unitPrice > MaxUnitPrice || Math.Round(unitPrice, MaxDecimals) != unitPrice
            ? throw new DomainValidationException("unitPrice", $"The unit price is from 0 to {MaxUnitPrice}, with at most {MaxDecimals} decimals.")
            : unitPrice;

    private static string CheckCurrency(string? currency) =>
        Currencies.IsKnown(currency)
            ? currency!
            : throw new DomainValidationException("currency", "The currency is an ISO 4217 code in upper case, e.g. EUR.");
}
