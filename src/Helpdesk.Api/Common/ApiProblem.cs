using System.Reflection;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;

namespace Helpdesk.Api.Common;

/// <summary>
/// A refusal as a typed result: the problem+json answer of any 4xx (the problem names its status),
/// written like every other problem of the API (IProblemDetailsService: trace id, defaults). An
/// endpoint's typed union (<c>Results&lt;Ok&lt;T&gt;, ApiProblem&gt;</c>) says what it returns on
/// success; the statuses it can refuse with are listed on the route with <see cref="ApiProblems.ProducesProblems"/>.
/// </summary>
public sealed class ApiProblem(ProblemDetails problem) : IResult, IStatusCodeHttpResult, IValueHttpResult, IValueHttpResult<ProblemDetails>, IContentTypeHttpResult, IEndpointMetadataProvider
{
    public ProblemDetails Value => problem;

    object? IValueHttpResult.Value => problem;

    public int? StatusCode => problem.Status;

    public string ContentType => "application/problem+json";

    public static implicit operator ApiProblem(ProblemDetails problem) => new(problem);

    public Task ExecuteAsync(HttpContext httpContext) => TypedResults.Problem(problem).ExecuteAsync(httpContext);

    /// <summary>Nothing to declare: the statuses vary by endpoint (<see cref="ApiProblems.ProducesProblems"/>).</summary>
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder)
    {
    }
}

public static class ApiProblems
{
    /// <summary>The problem+json answers a route can give, each with the problem schema (a validation problem for 400).</summary>
    public static RouteHandlerBuilder ProducesProblems(this RouteHandlerBuilder route, params int[] statuses)
    {
        ArgumentNullException.ThrowIfNull(route);
        foreach (var status in statuses)
        {
            route = status == StatusCodes.Status400BadRequest ? route.ProducesValidationProblem() : route.ProducesProblem(status);
        }

        return route;
    }

    /// <summary>The typed answer of an outcome: <paramref name="answer"/> of its value, or its problem.</summary>
    public static async Task<Results<TResult, ApiProblem>> ToResultsAsync<T, TResult>(this Outcome<T> outcome, Func<T, Task<TResult>> answer)
        where TResult : IResult
    {
        ArgumentNullException.ThrowIfNull(answer);
        return outcome.Succeeded ? await answer(outcome.Value) : new ApiProblem(outcome.Problem);
    }
}
