using System.Reflection;
using System.Text.Json.Nodes;
using Helpdesk.Api.Common;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.ApiExplorer;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Helpdesk.Api.Hosting;

/// <summary>
/// The error answers of both OpenAPI documents, from one place. Every problem is one schema,
/// <c>Problem</c> (RFC 9457 with the <c>traceId</c> and <c>errors</c> members the API always
/// sends, and the list of problem type URIs), and every status is one shared response
/// (<c>#/components/responses/NotFound</c>, ...) that operations reference. An operation lists the
/// statuses it declares itself (<c>.ProducesProblems(...)</c>, typed results) and those every route
/// of its shape can answer (<see cref="Implied"/>): 401 and 403 behind a token, 400 for anything
/// it reads from the request, 404 for a path id, 413 and 415 for a body.
/// </summary>
internal sealed class ProblemResponses : IOpenApiDocumentTransformer, IOpenApiOperationTransformer
{
    public const string SchemaName = "Problem";
    public const string MediaType = "application/problem+json";

    /// <summary>The shared response of each status: its component name and what it means.</summary>
    public static readonly IReadOnlyDictionary<int, (string Name, string Description)> Statuses = new Dictionary<int, (string, string)>
    {
        [StatusCodes.Status400BadRequest] = ("BadRequest", "The request is malformed or a field is invalid: `errors` names each field or parameter and why."),
        [StatusCodes.Status401Unauthorized] = ("Unauthorized", "No valid bearer token came with the request."),
        [StatusCodes.Status403Forbidden] = ("Forbidden", "The caller's role may not do this."),
        [StatusCodes.Status404NotFound] = ("NotFound", "The resource does not exist, or the caller may not know that it does."),
        [StatusCodes.Status409Conflict] = ("Conflict", "The change breaks a rule of the resource (the `type` names the rule) or a uniqueness constraint."),
        [StatusCodes.Status410Gone] = ("Gone", "The resource is gone for good (an expired link): asking again will not help."),
        [StatusCodes.Status412PreconditionFailed] = ("PreconditionFailed", "The If-Match names a version that is no longer current: read again and reapply the change."),
        [StatusCodes.Status413PayloadTooLarge] = ("PayloadTooLarge", "The request body is over the limit."),
        [StatusCodes.Status415UnsupportedMediaType] = ("UnsupportedMediaType", "The body's Content-Type is not one the operation accepts."),
        [StatusCodes.Status422UnprocessableEntity] = ("UnprocessableEntity", "The request cannot be processed as sent (the `type` says why)."),
        [StatusCodes.Status428PreconditionRequired] = ("PreconditionRequired", "The write needs an If-Match header with the ETag that was read."),
        [StatusCodes.Status429TooManyRequests] = ("TooManyRequests", "Too many requests: retry after the Retry-After header's delay."),
        [StatusCodes.Status500InternalServerError] = ("ServerError", "An unexpected error; it was logged and nothing was changed by the part that failed."),
        [StatusCodes.Status503ServiceUnavailable] = ("ServiceUnavailable", "A dependency is unavailable: retry later."),
    };

    /// <summary>The statuses any route of this shape can answer, whatever its handler does.</summary>
    public static IEnumerable<int> Implied(ApiDescription description)
    {
        ArgumentNullException.ThrowIfNull(description);
        var metadata = description.ActionDescriptor.EndpointMetadata;
        if (!metadata.OfType<IAllowAnonymous>().Any())
        {
            yield return StatusCodes.Status401Unauthorized;
            if (metadata.OfType<IAuthorizeData>().Any(a => a.Policy is not null || a.Roles is not null))
            {
                yield return StatusCodes.Status403Forbidden;
            }
        }

        if (description.ParameterDescriptions.Count > 0)
        {
            yield return StatusCodes.Status400BadRequest;
        }

        if (description.ParameterDescriptions.Any(p => p.Source == BindingSource.Path))
        {
            yield return StatusCodes.Status404NotFound;
        }

        if (description.ParameterDescriptions.Any(p => p.Source == BindingSource.Body || p.Source == BindingSource.Form || p.Source == BindingSource.FormFile)
            || description.SupportedRequestFormats.Count > 0)
        {
            yield return StatusCodes.Status413PayloadTooLarge;
            yield return StatusCodes.Status415UnsupportedMediaType;
        }
    }

    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var responses = operation.Responses ??= [];

        // The framework documents a handler returning IResult with a bare 200 only while the route
        // declares no answer at all; the 429 and 409/422 conventions declare some, so say it here.
        if (!responses.Keys.Any(key => key.Length == 3 && key[0] is '1' or '2' or '3'))
        {
            responses["200"] = new OpenApiResponse { Description = "OK" };
        }

        var declared = responses.Keys
            .Select(key => int.TryParse(key, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var status) ? status : 0)
            .Where(status => status >= 400);
        foreach (var status in declared.Concat(Implied(context.Description)).Distinct().Order().ToList())
        {
            // An error answer the route declares with a body of its own (the health 503) is sent as declared, not as a problem.
            if (responses.TryGetValue(Key(status), out var own) && own.Content is { Count: > 0 } content && !content.ContainsKey(MediaType))
            {
                continue;
            }

            responses[Key(status)] = Statuses.TryGetValue(status, out var shared)
                ? new OpenApiResponseReference(shared.Name, context.Document)
                : Response($"The request was refused ({status}).", context.Document);
        }

        return Task.CompletedTask;
    }

    private static string Key(int status) => status.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        var components = document.Components ??= new OpenApiComponents();
        components.Schemas ??= new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal);
        components.Schemas[SchemaName] = Schema();
        components.Responses ??= new Dictionary<string, IOpenApiResponse>(StringComparer.Ordinal);
        foreach (var (_, (name, description)) in Statuses)
        {
            components.Responses[name] = Response(description, document);
        }

        // The framework's own problem schemas are no longer referenced: Problem says what is really sent.
        components.Schemas.Remove("ProblemDetails");
        components.Schemas.Remove("HttpValidationProblemDetails");
        return Task.CompletedTask;
    }

    private static OpenApiResponse Response(string description, OpenApiDocument? document) => new()
    {
        Description = description,
        Content = new Dictionary<string, OpenApiMediaType>(StringComparer.Ordinal)
        {
            [MediaType] = new() { Schema = new OpenApiSchemaReference(SchemaName, document) },
        },
    };

    /// <summary>The problem+json body every error carries.</summary>
    private static OpenApiSchema Schema() => new()
    {
        Type = JsonSchemaType.Object,
        Description = "An error (RFC 9457). Problem types: " + string.Join("; ", TypeDescriptions()) + ".",
        Required = new HashSet<string>(StringComparer.Ordinal) { "type", "title", "status", "traceId" },
        Properties = new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal)
        {
            ["type"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "What kind of problem this is: one of the problem types listed on this schema.", Examples = [JsonValue.Create(ProblemTypes.Validation)] },
            ["title"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "A short sentence for a person." },
            ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32", Description = "The HTTP status." },
            ["detail"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "What to do about it, when there is more to say." },
            ["instance"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["traceId"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The W3C trace id of the request, to find it in the logs." },
            ["errors"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Description = "Each invalid field, parameter or header (JSON member path, e.g. requester.email or tags[2]) with the reasons it was refused.",
                AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } },
            },
        },
    };

    /// <summary>Every problem type URI the API uses, said once: ProblemTypes' constants, and the rule types of 409s.</summary>
    private static IEnumerable<string> TypeDescriptions() =>
        typeof(ProblemTypes).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string))
            .Select(f => (string)f.GetRawConstantValue()!)
            .Order(StringComparer.Ordinal)
            .Append(ProblemTypes.Rule("{rule}") + " (409: the named rule of the resource)")
            .Append("about:blank (500: an unexpected error)");
}
