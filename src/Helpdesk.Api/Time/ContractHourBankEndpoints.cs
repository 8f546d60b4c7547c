using FluentValidation;
using Helpdesk.Api.Common;
using Helpdesk.Api.Directory;
using Helpdesk.Domain.Tickets;
using Helpdesk.Domain.Work;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Helpdesk.Api.Time;

public sealed record ContractHourBankRequest(string? Label, decimal? Hours);

/// <summary>A contract's hour bank and how much of it the billable time on its tickets used so far.</summary>
public sealed record ContractHourBankSummary(string ContractId, string Label, HourBankUse Use);

internal sealed class ContractHourBankValidator : AbstractValidator<ContractHourBankRequest>
{
    public ContractHourBankValidator()
    {
        RuleFor(r => r.Hours).NotNull().InclusiveBetween(0, ContractHourBank.MaxHours)
            .Must(h => h is null || decimal.Round(h.Value, 2) == h.Value).WithMessage("Hours have at most two decimals.");
        RuleFor(r => r.Label).MaximumLength(TicketLink.MaxLabelLength);
    }
}

/// <summary>
/// GET|PUT /api/contracts/{contractId}/hour-bank: the hours bought with a contract (Dolibarr's
/// contract of support hours). Tickets are linked to the contract (<c>PATCH contract</c>); their
/// confirmed billable time, whenever worked, draws the bank down.
/// </summary>
internal static class ContractHourBankEndpoints
{
    public static async Task<Results<Ok<ContractHourBankSummary>, ApiProblem>> GetAsync(string contractId, IDirectoryStore directory, ITimeStore store, HttpResponse response, CancellationToken ct)
    {
        var bank = await directory.FindAsync(HourBankKinds.ContractHourBank, contractId, ct);
        if (bank is null)
        {
            return new ApiProblem(Problems.Missing("contract hour bank"));
        }

        ETags.Set(response, bank.Version);
        return TypedResults.Ok(await SummaryAsync(bank.Value, store, DateOnly.MaxValue, ct));
    }

    public static async Task<Results<Created<ContractHourBankSummary>, Ok<ContractHourBankSummary>, ApiProblem>> PutAsync(
        string contractId,
        ContractHourBankRequest request,
        IDirectoryStore directory,
        ITimeStore store,
        HttpContext http,
        CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(contractId) || contractId.Length > TicketLink.MaxIdLength)
        {
            return new ApiProblem(Problems.Validation("contractId", $"The contract id is at most {TicketLink.MaxIdLength} characters."));
        }

        var bank = new ContractHourBank(contractId, string.IsNullOrWhiteSpace(request.Label) ? contractId : request.Label.Trim(), request.Hours!.Value);
        var found = await directory.FindAsync(HourBankKinds.ContractHourBank, contractId, ct);
        if (found is null)
        {
            await directory.CreateAsync(HourBankKinds.ContractHourBank, bank, ct);
            ETags.Set(http.Response, 1);
            return TypedResults.Created($"/api/contracts/{Uri.EscapeDataString(contractId)}/hour-bank", await SummaryAsync(bank, store, DateOnly.MaxValue, ct));
        }

        if (ETags.RequireMatch(http.Request, found.Version) is { } refused)
        {
            return new ApiProblem(refused);
        }

        ETags.Set(http.Response, await directory.ReplaceAsync(HourBankKinds.ContractHourBank, bank, found.Version, ct));
        return TypedResults.Ok(await SummaryAsync(bank, store, DateOnly.MaxValue, ct));
    }

    /// <summary>The bank's use by the billable time worked on its tickets before <paramref name="until"/>.</summary>
    public static async Task<ContractHourBankSummary> SummaryAsync(ContractHourBank bank, ITimeStore store, DateOnly until, CancellationToken ct)
    {
        var rows = await store.RowsAsync(DateOnly.MinValue, until, accountId: null, bank.ContractId, ct);
        return new ContractHourBankSummary(bank.ContractId, bank.Label, bank.Use(TimeTotals.Of(rows).BillableMinutes));
    }
}
