namespace Helpdesk.Domain.Work;

/// <summary>
/// ISO 4217 currencies in circulation and their minor units. Amounts are decimals rounded to the
/// currency's minor unit, half away from zero (the commercial rule), never binary floating point.
/// </summary>
public static class Currencies
{
    private const string TwoDecimals =
        "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF CHF CNY COP CRC CUP CVE CZK " +
        "DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK " +
        "LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON " +
        "RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD UYU UZS VES WST XCD " +
        "YER ZAR ZMW ZWG";

    private const string NoDecimals = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF";

    private const string ThreeDecimals = "BHD IQD JOD KWD LYD OMR TND";

    private static readonly Dictionary<string, int> MinorUnits =
        TwoDecimals.Split(' ').Select(c => (c, 2))
            .Concat(NoDecimals.Split(' ').Select(c => (c, 0)))
            .Concat(ThreeDecimals.Split(' ').Select(c => (c, 3)))
            .ToDictionary(p => p.c, p => p.Item2, StringComparer.Ordinal);

    /// <summary>Zero with 0, 1, 2 and 3 decimals: adding it raises a decimal's scale without changing its value.</summary>
    private static readonly decimal[] ZeroWithScale = [0m, 0.0m, 0.00m, 0.000m];

    public static bool IsKnown(string? code) => code is not null && MinorUnits.ContainsKey(code);

    public static int MinorUnitsOf(string code) =>
        MinorUnits.TryGetValue(code, out var units) ? units : throw new ArgumentException($"{code} is not an ISO 4217 currency.", nameof(code));

    /// <summary>
    /// Rounds to the minor unit and carries exactly that many decimals, so 2.5 × 10 EUR is 25.00
    /// like 2 × 30.00 is 60.00 (decimal keeps the scale of its computation; rounding alone only lowers it).
    /// </summary>
    public static decimal Round(decimal amount, string currency)
    {
        var units = MinorUnitsOf(currency);
        return Math.Round(amount, units, MidpointRounding.AwayFromZero) + ZeroWithScale[units];
    }
}

/// <summary>A sum of money in one currency: billable and all.</summary>
public sealed record MoneyTotal(string Currency, decimal Amount, decimal BillableAmount);
