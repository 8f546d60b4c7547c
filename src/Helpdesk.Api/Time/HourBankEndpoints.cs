using System.Globalization;
using FluentValidation;
using Helpdesk.Api.Common;
using Helpdesk.Api.Directory;
using Helpdesk.Domain.Work;

namespace Helpdesk.Api.Time;

public sealed record HourBankRequest(decimal? HoursPerMonth, string? TimeZone);

/// <summary>An account's hour bank and how much of it one month used.</summary>
public sealed record HourBankSummary(string AccountId, decimal HoursPerMonth, string TimeZone, string Month, HourBankUse Use);

internal sealed class HourBankValidator : AbstractValidator<HourBankRequest>
{
    public HourBankValidator()
    {
        RuleFor(r => r.HoursPerMonth).NotNull().InclusiveBetween(0, HourBank.MaxHoursPerMonth)
            .Must(h => h is null || decimal.Round(h.Value, 2) == h.Value).WithMessage("Hours have at most two decimals.");
        RuleFor(r => r.TimeZone).NotEmpty().Must(TimeOptions.IsTimeZone).WithMessage("An IANA time zone, e.g. Europe/Paris.");
    }
}

/// <summary>
/// Contract hour banks: prepaid hours per calendar month in the account's time zone. Billable
/// time on the account's tickets draws them down; the summary shows used and left hours.
/// </summary>
internal static class HourBankEndpoints
{
    public static async Task<IResult> GetAsync(string accountId, string? month, IDirectoryStore directory, ITimeStore store, TimeProvider clock, HttpResponse response, CancellationToken ct)
    {
        var bank = await directory.FindAsync(HourBankKinds.HourBank, accountId, ct);
        if (bank is null)
        {
            return Problems.NotFound("hour bank");
        }

        var today = WorkDates.DateIn(bank.Value.TimeZone, clock.GetUtcNow());
        var period = month is null ? Months.Of(today) : Months.TryParse(month);
        if (period is null)
        {
            return Problems.Result(Problems.Validation("month", "The month is YYYY-MM."));
        }

        var rows = await store.RowsAsync(period.Value.From, period.Value.To, accountId, contractId: null, ct);
        ETags.Set(response, bank.Version);
        return TypedResults.Ok(new HourBankSummary(accountId, bank.Value.HoursPerMonth, bank.Value.TimeZone, period.Value.Name, bank.Value.Use(TimeTotals.Of(rows).BillableMinutes)));
    }

    public static async Task<IResult> PutAsync(string accountId, HourBankRequest request, IDirectoryStore directory, HttpContext http, CancellationToken ct)
    {
        if (await directory.FindAsync(DirectoryKinds.Account, accountId, ct) is null)
        {
            return Problems.NotFound("account");
        }

        var bank = new HourBank(accountId, request.HoursPerMonth!.Value, request.TimeZone!);
        var found = await directory.FindAsync(HourBankKinds.HourBank, accountId, ct);
        if (found is null)
        {
            await directory.CreateAsync(HourBankKinds.HourBank, bank, ct);
            ETags.Set(http.Response, 1);
            return TypedResults.Created($"/api/accounts/{accountId}/hour-bank", bank);
        }

        if (ETags.RequireMatch(http.Request, found.Version) is { } refused)
        {
            return Problems.Result(refused);
        }

        ETags.Set(http.Response, await directory.ReplaceAsync(HourBankKinds.HourBank, bank, found.Version, ct));
        return TypedResults.Ok(bank);
    }
}

/// <summary>A calendar month as a range of work dates.</summary>
public readonly record struct Month(string Name, DateOnly From, DateOnly To);

public static class Months
{
    public static Month Of(DateOnly day)
    {
        var from = new DateOnly(day.Year, day.Month, 1);
        return new Month(from.ToString("yyyy-MM", CultureInfo.InvariantCulture), from, from.AddMonths(1));
    }

    public static Month? TryParse(string? text) =>
        text is { Length: 7 } && DateOnly.TryParseExact(text + "-01", "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
            ? Of(day)
            : null;
}
