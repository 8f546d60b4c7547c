using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Helpdesk.Api.Hosting;

/// <summary>
/// Every operation of both documents has an operationId and a summary a person can read: a
/// route that names itself (<c>.WithName</c>, <c>.WithSummary</c>) keeps its own; any other gets
/// a verb-first name from its method and path (<c>GET /api/accounts</c> → ListAccounts, "List
/// accounts"), so a new route is described by default.
/// </summary>
internal sealed class OperationNames : IOpenApiOperationTransformer
{
    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var description = context.Description;
        var path = "/" + (description.RelativePath ?? string.Empty).Split('?')[0].TrimEnd('/');
        operation.OperationId ??= PowerAutomateDocument.OperationId(new HttpMethod(description.HttpMethod ?? "GET"), path);
        operation.Summary ??= PowerAutomateDocument.Words(operation.OperationId);
        return Task.CompletedTask;
    }
}
