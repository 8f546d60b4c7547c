using Helpdesk.Domain.Common;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Helpdesk.Api.Common;

/// <summary>The stable problem type URIs of the API (RFC 9457 <c>type</c>).</summary>
public static class ProblemTypes
{
    private const string Base = "urn:helpdesk:problem:";

    public const string Validation = Base + "validation";
    public const string Conflict = Base + "conflict";
    public const string StaleVersion = Base + "stale-version";
    public const string PreconditionRequired = Base + "precondition-required";
    public const string IdempotencyMismatch = Base + "idempotency-key-reused";
    public const string IdempotencyInProgress = Base + "idempotency-key-in-progress";
    public const string IdempotencyApplied = Base + "idempotency-key-applied";
    public const string RateLimited = Base + "rate-limited";
    public const string TooLarge = Base + "payload-too-large";
    public const string NotFound = Base + "not-found";
    public const string MethodNotAllowed = Base + "method-not-allowed";
    public const string UnsupportedMediaType = Base + "unsupported-media-type";
    public const string Unauthorized = Base + "unauthorized";
    public const string Forbidden = Base + "forbidden";

    public static string Rule(string code) => Base + code;
}

/// <summary>A write lost a race: somebody else changed the resource since it was read.</summary>
public sealed class ConcurrencyConflictException(string message) : Exception(message);

/// <summary>A uniqueness rule of a store was hit (an email or a domain already used).</summary>
public sealed class UniqueConstraintException(string field, string message) : Exception(message)
{
    public string Field { get; } = field;
}

/// <summary>
/// The one place exceptions become problem+json. Domain rules → 409, aggregate guards → 400 with
/// the field, lost races → 412, malformed requests → their status with the offending JSON path.
/// Anything else is a 500 with no detail: stack traces never leave the process.
/// </summary>
internal sealed class ProblemExceptionHandler(IProblemDetailsService problems, ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var problem = exception switch
        {
            DomainValidationException e => Problems.Validation(e.Field, e.Message),
            UniqueConstraintException e => Problems.Validation(e.Field, e.Message, StatusCodes.Status409Conflict, ProblemTypes.Conflict),
            DomainRuleException e => Problems.Create(StatusCodes.Status409Conflict, ProblemTypes.Rule(e.Code), "The change breaks a rule of the ticket.", e.Message),
            ConcurrencyConflictException e => Problems.Create(StatusCodes.Status412PreconditionFailed, ProblemTypes.StaleVersion, "The resource changed since you read it.", e.Message),
            InvalidCursorException e => Problems.Validation("cursor", e.Message),
            BadHttpRequestException e => BindingFailures.Describe(httpContext, e),
            _ => null,
        };

        if (problem is null)
        {
            logger.LogError(exception, "Unhandled error on {Method} {Path}", httpContext.Request.Method, httpContext.Request.Path);
            problem = Problems.Create(StatusCodes.Status500InternalServerError, "about:blank", "An unexpected error occurred.", "The error was logged; nothing was changed by the part that failed.");
        }

        httpContext.Response.StatusCode = problem.Status ?? StatusCodes.Status500InternalServerError;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem, Exception = exception });
    }
}

public static class Problems
{
    public static ProblemDetails Create(int status, string type, string title, string? detail) =>
        new() { Status = status, Type = type, Title = title, Detail = detail };

    public static HttpValidationProblemDetails Validation(string field, string message, int status = StatusCodes.Status400BadRequest, string type = ProblemTypes.Validation) =>
        Validation(new Dictionary<string, string[]> { [field] = [message] }, status, type);

    public static HttpValidationProblemDetails Validation(IDictionary<string, string[]> errors, int status = StatusCodes.Status400BadRequest, string type = ProblemTypes.Validation) =>
        new(errors) { Status = status, Type = type, Title = "One or more fields are invalid." };

    /// <summary>404: the named resource does not exist (or the caller may not know it does).</summary>
    public static ProblemDetails Missing(string what) =>
        Create(StatusCodes.Status404NotFound, ProblemTypes.NotFound, $"The {what} does not exist.", null);

    /// <summary>428: a write that could overwrite a concurrent change came without If-Match.</summary>
    public static ProblemDetails IfMatchRequired() =>
        Create(StatusCodes.Status428PreconditionRequired, ProblemTypes.PreconditionRequired, "If-Match is required.", "Send the ETag you read in an If-Match header so a concurrent change is never overwritten.");

    /// <summary>
    /// 409: an earlier attempt of this request (same Idempotency-Key) made its change, but stopped
    /// before its answer was stored; the change is not made twice.
    /// </summary>
    public static ProblemDetails AlreadyApplied() =>
        Create(StatusCodes.Status409Conflict, ProblemTypes.IdempotencyApplied, "This request was already applied.", "An earlier attempt with this Idempotency-Key made the change but its answer was lost: read the resource for its current state.");

    /// <summary>412: the If-Match names a version that is no longer current.</summary>
    public static ProblemDetails StaleVersion() =>
        Create(StatusCodes.Status412PreconditionFailed, ProblemTypes.StaleVersion, "The resource changed since you read it.", "Read it again and reapply your change.");

    public static IResult NotFound(string what) =>
        TypedResults.Problem(Create(StatusCodes.Status404NotFound, ProblemTypes.NotFound, $"The {what} does not exist.", null));

    public static IResult PreconditionRequired() =>
        TypedResults.Problem(Create(StatusCodes.Status428PreconditionRequired, ProblemTypes.PreconditionRequired, "If-Match is required.", "Send the ETag you read in an If-Match header so a concurrent change is never overwritten."));

    public static IResult Stale() =>
        TypedResults.Problem(Create(StatusCodes.Status412PreconditionFailed, ProblemTypes.StaleVersion, "The resource changed since you read it.", "Read it again and reapply your change."));

    public static IResult Result(ProblemDetails problem) => TypedResults.Problem(problem);
}

/// <summary>Turns System.Text.Json's error paths into the API's field names.</summary>
internal static class JsonPaths
{
    public static string ToField(string? path)
    {
        var field = new System.Text.StringBuilder();
        foreach (var segment in Segments(path))
        {
            _ = segment.All(char.IsAsciiDigit) ? field.Append('[').Append(segment).Append(']') : field.Append(field.Length == 0 ? string.Empty : ".").Append(segment);
        }

        return field.Length == 0 ? "body" : field.ToString();
    }

    /// <summary>The members and indexes of a path such as <c>$.requester.email</c>, <c>$.tags[2]</c> or <c>$['odd name']</c>.</summary>
    public static IReadOnlyList<string> Segments(string? path)
    {
        var segments = new List<string>();
        var text = path ?? string.Empty;
        var i = text.StartsWith('$') ? 1 : 0;
        while (i < text.Length)
        {
            if (text[i] == '.')
            {
                var end = text.IndexOfAny(['.', '['], i + 1);
                end = end < 0 ? text.Length : end;
                segments.Add(text[(i + 1)..end]);
                i = end;
            }
            else if (text[i] == '[' && i + 1 < text.Length && text[i + 1] == '\'')
            {
                var end = text.IndexOf("']", i + 2, StringComparison.Ordinal);
                end = end < 0 ? text.Length : end;
                segments.Add(text[(i + 2)..end]);
                i = Math.Min(end + 2, text.Length);
            }
            else if (text[i] == '[')
            {
                var end = text.IndexOf(']', i + 1);
                end = end < 0 ? text.Length : end;
                segments.Add(text[(i + 1)..end]);
                i = Math.Min(end + 1, text.Length);
            }
            else
            {
                i++;
            }
        }

        return segments;
    }
}
