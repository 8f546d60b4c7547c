using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Helpdesk.Api.Idempotency;

/// <summary>
/// What every POST of the API says about <c>Idempotency-Key</c> in the OpenAPI documents: the
/// optional header, the 409 of a retry while the first request runs and the 422 of a key reused
/// with another body (<see cref="IdempotencyMiddleware"/>).
/// </summary>
public static class IdempotencyDocumentation
{
    /// <summary>Declares the two refusals of a reused key on every POST of <paramref name="api"/>.</summary>
    public static RouteGroupBuilder WithIdempotentPosts(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        ((IEndpointConventionBuilder)api).Finally(endpoint =>
        {
            if (!IsPost(endpoint))
            {
                return;
            }

            foreach (var status in new[] { StatusCodes.Status409Conflict, StatusCodes.Status422UnprocessableEntity })
            {
                if (!endpoint.Metadata.OfType<Microsoft.AspNetCore.Http.Metadata.IProducesResponseTypeMetadata>().Any(m => m.StatusCode == status))
                {
                    endpoint.Metadata.Add(new ProducesResponseTypeMetadata(status, typeof(Microsoft.AspNetCore.Mvc.ProblemDetails), ["application/problem+json"]));
                }
            }
        });
        return api;
    }

    private static bool IsPost(EndpointBuilder endpoint) =>
        endpoint.Metadata.OfType<HttpMethodMetadata>().Any(m => m.HttpMethods.Contains(HttpMethods.Post, StringComparer.OrdinalIgnoreCase));
}

/// <summary>The optional <c>Idempotency-Key</c> header parameter of every POST operation.</summary>
internal sealed class IdempotencyKeyParameter : IOpenApiOperationTransformer
{
    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        if (!string.Equals(context.Description.HttpMethod, HttpMethods.Post, StringComparison.OrdinalIgnoreCase))
        {
            return Task.CompletedTask;
        }

        operation.Parameters ??= [];
        operation.Parameters.Add(new OpenApiParameter
        {
            Name = IdempotencyMiddleware.Header,
            In = ParameterLocation.Header,
            Required = false,
            Description = "Makes a retry harmless: the same key with the same body within 24 hours gets the first answer again (marked Idempotent-Replayed: true), never a second change; the same key with another body is refused with 422; while the first request runs, a retry gets 409 with Retry-After.",
            Schema = new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, MaxLength = IdempotencyMiddleware.MaxKeyLength },
        });
        return Task.CompletedTask;
    }
}
