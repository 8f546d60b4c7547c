using Helpdesk.Api.Common;

namespace Helpdesk.Api.Hosting;

/// <summary>
/// The problems ASP.NET Core writes by itself (an unknown route, a method the route does not
/// answer, a missing or refused token) carry the API's problem types and say what went wrong,
/// like every problem the API writes.
/// </summary>
internal static class FrameworkProblems
{
    private const string FrameworkTypes = "https://tools.ietf.org/";

    public static void UseApiTypes(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        if (problem.Type is { } type && !type.StartsWith(FrameworkTypes, StringComparison.Ordinal))
        {
            return;
        }

        var request = context.HttpContext.Request;
        var target = $"{request.Method} {request.Path}";
        (problem.Type, problem.Title, problem.Detail) = problem.Status switch
        {
            StatusCodes.Status401Unauthorized => (ProblemTypes.Unauthorized, "A valid bearer token is required.", "Send an Entra ID access token for this API in the Authorization header."),
            StatusCodes.Status403Forbidden => (ProblemTypes.Forbidden, "Your role may not do this.", $"{target} needs another role."),
            StatusCodes.Status404NotFound => (ProblemTypes.NotFound, "No such resource.", $"Nothing answers {target}."),
            StatusCodes.Status405MethodNotAllowed => (ProblemTypes.MethodNotAllowed, "The method is not allowed here.", AllowedMethods(context.HttpContext) is { Length: > 0 } allowed ? $"{request.Path} answers {allowed}." : null),
            StatusCodes.Status415UnsupportedMediaType => (ProblemTypes.UnsupportedMediaType, "The body's media type is not accepted.", null),
            _ => (problem.Type, problem.Title, problem.Detail),
        };
        if (problem.Status == StatusCodes.Status415UnsupportedMediaType)
        {
            problem.Extensions["errors"] = BindingFailures.UnsupportedMediaType(context.HttpContext).Errors;
        }

        if (problem.Status == StatusCodes.Status400BadRequest && context.Exception is null
            && BindingFailures.ParameterErrors(context.HttpContext) is { Count: > 0 } errors)
        {
            (problem.Type, problem.Title) = (ProblemTypes.Validation, "One or more fields are invalid.");
            problem.Extensions["errors"] = errors;
        }
    }

    private static string AllowedMethods(HttpContext http) => http.Response.Headers.Allow.ToString();
}
