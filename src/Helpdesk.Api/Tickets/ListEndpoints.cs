using FluentValidation;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Common;
using Helpdesk.Api.Directory;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Helpdesk.Api.Tickets;

public sealed record ListValueRequest(string? Value, bool? Retired);

/// <summary>The whole list, in the order it is offered; a value left out is removed, which only a value no ticket holds may be.</summary>
public sealed record TicketListRequest(IReadOnlyList<ListValueRequest?>? Values);

internal sealed class TicketListRequestValidator : AbstractValidator<TicketListRequest>
{
    public TicketListRequestValidator()
    {
        RuleFor(r => r.Values).Cascade(CascadeMode.Stop).NotNull()
            .Must(v => v!.Count <= TicketList.MaxValues).WithMessage($"A list has at most {TicketList.MaxValues} values.")
            .Must(v => v!.Where(e => e?.Value is not null).GroupBy(e => e!.Value!.Trim(), StringComparer.OrdinalIgnoreCase).All(g => g.Count() == 1))
            .WithMessage("Each value is listed once (letter case aside).");
        RuleForEach(r => r.Values).NotNull().ChildRules(entry =>
            entry.RuleFor(e => e!.Value).Must(v => !string.IsNullOrWhiteSpace(v)).WithMessage("Give the value.")
                .MaximumLength(TicketList.MaxValueLength));
    }
}

/// <summary>GET|PUT /api/lists/{name}: the admin-owned lists of ticket fields (FEATURES.md §1).</summary>
public static class ListEndpoints
{
    public static RouteGroupBuilder MapListEndpoints(this RouteGroupBuilder api)
    {
        var lists = api.MapGroup("/lists").WithTags("lists");
        lists.MapGet("/{name}", GetAsync).RequireAuthorization(Policies.Staff).WithName("GetList")
            .WithSummary("An admin-owned list of ticket values (types, groups, severities, impacts, channels), with its ETag")
            .ProducesProblems(StatusCodes.Status404NotFound);
        lists.MapPut("/{name}", PutAsync).RequireAuthorization(Policies.Admin).Validate<TicketListRequest>().WithName("UpdateList")
            .WithSummary("Replaces a list (If-Match required); a value tickets hold cannot be removed, only retired")
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status412PreconditionFailed, StatusCodes.Status428PreconditionRequired);
        return api;
    }

    private static async Task<Results<Ok<TicketList>, ApiProblem>> GetAsync(string name, TicketLists lists, HttpResponse response, CancellationToken cancellationToken)
    {
        if (!TicketListNames.All.Contains(name))
        {
            return NoSuchList();
        }

        var list = await lists.GetAsync(name, cancellationToken);
        ETags.Set(response, list.Version);
        return TypedResults.Ok(list.Value);
    }

    /// <summary>
    /// Replaces the list (version 0 is the values appsettings seeded). A value removed that a
    /// ticket still holds is refused with 409 naming it: retire it instead (<c>retired: true</c>),
    /// and it stays on those tickets but is offered no more.
    /// </summary>
    private static async Task<Results<Ok<TicketList>, ApiProblem>> PutAsync(
        string name, TicketListRequest request, TicketLists lists, ITicketStore tickets, IDirectoryStore directory, HttpRequest http, HttpResponse response, CancellationToken cancellationToken)
    {
        if (!TicketListNames.All.Contains(name))
        {
            return NoSuchList();
        }

        var stored = await lists.GetAsync(name, cancellationToken);
        if (ETags.RequireMatch(http, stored.Version) is { } refused)
        {
            return new ApiProblem(refused);
        }

        var list = new TicketList(name, [.. request.Values!.Select(v => new ListValue(v!.Value!.Trim(), v.Retired ?? false))]);
        if (await InUseAsync(stored.Value, list, tickets, cancellationToken) is { Count: > 0 } inUse)
        {
            return new ApiProblem(Problems.Validation(
                "values",
                $"Tickets hold {string.Join(", ", inUse.Select(v => $"'{v}'"))}: retire a value in use (retired: true) instead of removing it.",
                StatusCodes.Status409Conflict,
                ProblemTypes.Rule("list-value-in-use")));
        }

        var version = await SaveAsync(directory, list, stored.Version, cancellationToken);
        ETags.Set(response, version);
        return TypedResults.Ok(list);
    }

    /// <summary>
    /// The values the new list leaves out that tickets still hold. An empty list accepts any
    /// value, so emptying a list removes nothing from use.
    /// </summary>
    private static async Task<IReadOnlyList<string>> InUseAsync(TicketList before, TicketList after, ITicketStore tickets, CancellationToken cancellationToken)
    {
        if (TicketListNames.FieldOf(before.Name) is not { } field || after.Values.Count == 0)
        {
            return [];
        }

        var inUse = new List<string>();
        foreach (var removed in before.Values.Where(b => !after.Values.Any(a => string.Equals(a.Value, b.Value, StringComparison.OrdinalIgnoreCase))))
        {
            if (await tickets.UsesListValueAsync(field, removed.Value, cancellationToken))
            {
                inUse.Add(removed.Value);
            }
        }

        return inUse;
    }

    /// <summary>Creates the list on its first save (a concurrent first save loses with 412), replaces it afterwards.</summary>
    private static async Task<long> SaveAsync(IDirectoryStore directory, TicketList list, long storedVersion, CancellationToken cancellationToken)
    {
        if (storedVersion > 0)
        {
            return await directory.ReplaceAsync(TicketLists.Kind, list, storedVersion, cancellationToken);
        }

        try
        {
            await directory.CreateAsync(TicketLists.Kind, list, cancellationToken);
            return 1;
        }
        catch (UniqueConstraintException)
        {
            throw new ConcurrencyConflictException("The list was saved by someone else meanwhile.");
        }
    }

    private static ApiProblem NoSuchList() =>
        new(Problems.Create(StatusCodes.Status404NotFound, ProblemTypes.NotFound, "No such list.", $"The lists are: {string.Join(", ", TicketListNames.All)}."));
}
