using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Helpdesk.Api.Hosting;

/// <summary>
/// The schema generator calls every constructor parameter of a record required. A request record
/// with a validator says itself what it requires (<see cref="ValidatedRequiredFields"/>); one
/// without (a merge patch, an optional body, a part checked by its parent's rules) binds a
/// nullable member left out as null, which the API takes: such a member is optional, not
/// "required but nullable". Only schemas that appear in request bodies and in no response are
/// changed: a response member that is always sent, null or not, stays required.
/// </summary>
internal sealed class OptionalRequestMembers : IOpenApiDocumentTransformer
{
    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(document);
        var operations = (document.Paths ?? []).Values.SelectMany(p => p.Operations?.Values.AsEnumerable() ?? []).ToList();
        var requests = Reachable(document, operations.SelectMany(o => o.RequestBody?.Content?.Values.AsEnumerable() ?? []).Select(m => m.Schema));
        var responses = Reachable(document, operations.SelectMany(o => o.Responses?.Values.AsEnumerable() ?? []).SelectMany(r => r.Content?.Values.AsEnumerable() ?? []).Select(m => m.Schema));
        foreach (var schema in requests.Except(responses).OfType<OpenApiSchema>())
        {
            foreach (var name in (schema.Required ?? new HashSet<string>()).Where(name => schema.Properties?.TryGetValue(name, out var property) == true && AllowsNull(document, property)).ToList())
            {
                schema.Required!.Remove(name);
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>Every schema object these schemas lead to, references followed.</summary>
    private static HashSet<IOpenApiSchema> Reachable(OpenApiDocument document, IEnumerable<IOpenApiSchema?> roots)
    {
        var seen = new HashSet<IOpenApiSchema>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<IOpenApiSchema>(roots.OfType<IOpenApiSchema>());
        while (pending.TryPop(out var schema))
        {
            schema = Resolve(document, schema);
            if (!seen.Add(schema))
            {
                continue;
            }

            foreach (var next in (schema.Properties?.Values ?? []).Concat(schema.OneOf ?? []).Concat(schema.AnyOf ?? []).Concat(schema.AllOf ?? [])
                .Append(schema.Items).Append(schema.AdditionalProperties).OfType<IOpenApiSchema>())
            {
                pending.Push(next);
            }
        }

        return seen;
    }

    private static bool AllowsNull(OpenApiDocument document, IOpenApiSchema property) =>
        (property.Type is { } type && type.HasFlag(JsonSchemaType.Null))
        || property.OneOf?.Any(a => Resolve(document, a).Type == JsonSchemaType.Null) == true
        || property.Enum?.Any(e => e is null) == true;

    private static IOpenApiSchema Resolve(OpenApiDocument document, IOpenApiSchema schema) =>
        schema is OpenApiSchemaReference { Reference.Id: { } id } && document.Components?.Schemas?.TryGetValue(id, out var target) == true && target is not null
            ? target
            : schema;
}
