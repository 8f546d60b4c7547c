using System.Globalization;
using Helpdesk.Domain.Common;

namespace Helpdesk.Domain.Tickets;

/// <summary>
/// How ticket numbers look: a prefix, a zero-padded counter, and optionally the year with a
/// counter that restarts every year (<c>HD-2026-00042</c>). The counter itself lives in a store;
/// this type only names the counter to draw from and formats what it returns.
/// </summary>
public sealed record TicketNumberFormat
{
    public TicketNumberFormat(string prefix, int padding, bool yearlyReset)
    {
        if (string.IsNullOrWhiteSpace(prefix) || prefix.Length > 16 || !prefix.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
        {
            throw new DomainValidationException("prefix", "The ticket number prefix is 1 to 16 letters, digits or dashes.");
        }

        if (padding is < 1 or > 12)
        {
            throw new DomainValidationException("padding", "The ticket number padding is from 1 to 12 digits.");
        }

        Prefix = prefix;
        Padding = padding;
        YearlyReset = yearlyReset;
    }

    public string Prefix { get; }
    public int Padding { get; }
    public bool YearlyReset { get; }

    public static TicketNumberFormat Default { get; } = new("HD", 5, yearlyReset: true);

    /// <summary>The counter a ticket created at <paramref name="now"/> draws from.</summary>
    public string SequenceKey(DateTimeOffset now) =>
        YearlyReset ? string.Create(CultureInfo.InvariantCulture, $"{Prefix}-{now.UtcDateTime.Year}") : Prefix;

    public string Format(DateTimeOffset now, long value)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
        var counter = value.ToString(CultureInfo.InvariantCulture).PadLeft(Padding, '0');
        return $"{SequenceKey(now)}-{counter}";
    }
}
