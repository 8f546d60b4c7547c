using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Helpdesk.Api.Hosting;

/// <summary>
/// Gives every JSON request body of the document an example a person (or Power Automate's
/// designer) can start from, built from the body's schema: its required members, each with a
/// realistic value for its name (an email for <c>email</c>, a sentence for <c>subject</c>), its
/// type and format, or the first of its enumerated values. A body with no required member shows
/// its first member that has a realistic value (else its first member), so no example is an
/// empty object when one can say more. A route that reads its body itself (a merge patch bound
/// as a <c>JsonElement</c>, to tell an absent member from a null one) keeps its free-form schema,
/// and its example is built from the type it declares with <c>.Accepts&lt;T&gt;(...)</c>. Built
/// from the schema, an example of a new request needs no line here.
/// </summary>
internal sealed class RequestExamples : IOpenApiDocumentTransformer, IOpenApiOperationTransformer
{
    private const int MaxDepth = 6;

    private static readonly Dictionary<string, string> Texts = new(StringComparer.OrdinalIgnoreCase)
    {
        ["email"] = "alice@contoso.com",
        ["senderAddress"] = "support@contoso.com",
        ["subject"] = "Printer on the third floor is offline",
        ["title"] = "Resetting a locked account",
        ["articleTitle"] = "Resetting a locked account",
        ["name"] = "Alice Martin",
        ["senderName"] = "Contoso Support",
        ["body"] = "The printer shows error E-12 since this morning; I restarted it twice.",
        ["text"] = "The printer shows error E-12 since this morning; I restarted it twice.",
        ["html"] = "<p>The printer shows error E-12 since this morning.</p>",
        ["message"] = "The printer shows error E-12 since this morning; I restarted it twice.",
        ["description"] = "The printer shows error E-12 since this morning; I restarted it twice.",
        ["details"] = "Replaced the fuser unit and printed a test page.",
        ["note"] = "Called the customer back; waiting for the replacement part.",
        ["notes"] = "Called the customer back; waiting for the replacement part.",
        ["comment"] = "Quick and friendly answer, thank you.",
        ["summary"] = "Replaced the fuser unit; the printer works again.",
        ["reason"] = "The customer asked for it to be looked at again.",
        ["currency"] = "EUR",
        ["timeZone"] = "Europe/Paris",
        ["language"] = "en",
        ["domains"] = "contoso.com",
        ["tags"] = "printer",
        ["notificationUrl"] = "https://automation.contoso.com/helpdesk/events",
        ["ticketLinkBase"] = "https://helpdesk.contoso.com/tickets/",
        ["location"] = "Contoso, 12 rue de la Paix, Paris",
        ["label"] = "Hardware",
        ["value"] = "hardware",
        ["priority"] = "high",
        ["visibility"] = "public",
        ["trigger"] = "ticket.created",
        ["mutedTriggers"] = "sla.warning",
        ["event"] = "ticket.created",
        ["field"] = "subject",
        ["match"] = "contains",
        ["header"] = "X-Priority",
    };

    public async Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var accepts = context.Description.ActionDescriptor.EndpointMetadata.OfType<IAcceptsMetadata>().LastOrDefault();
        var bound = context.Description.ParameterDescriptions.FirstOrDefault(p => p.Source == BindingSource.Body)?.Type;
        if (accepts?.RequestType is not { } type || bound != typeof(JsonElement) || operation.RequestBody?.Content is not { } content || context.Document is not { } document)
        {
            return;
        }

        var declared = await context.GetOrCreateSchemaAsync(type, null, cancellationToken);
        foreach (var contentType in accepts.ContentTypes.Where(content.ContainsKey))
        {
            content[contentType].Example = Object(document, declared, depth: 0, required: false);
        }
    }

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(document);
        var operations = (document.Paths ?? []).Values.SelectMany(p => p.Operations?.Values.AsEnumerable() ?? []);
        foreach (var content in operations.Select(o => o.RequestBody?.Content).OfType<IDictionary<string, OpenApiMediaType>>())
        {
            foreach (var media in content.Where(c => c.Key.Contains("json", StringComparison.Ordinal)).Select(c => c.Value))
            {
                if (media.Example is null && media.Schema is { } schema)
                {
                    media.Example = Value(document, schema, name: null, depth: 0);
                }
            }
        }

        return Task.CompletedTask;
    }

    private static JsonNode? Value(OpenApiDocument document, IOpenApiSchema schema, string? name, int depth)
    {
        schema = Resolve(document, schema);
        if (schema.OneOf?.FirstOrDefault(a => Resolve(document, a).Type != JsonSchemaType.Null) is { } alternative)
        {
            return Value(document, alternative, name, depth);
        }

        if (schema.Enum?.FirstOrDefault(e => e is not null) is { } first)
        {
            return first.DeepClone();
        }

        var type = (schema.Type ?? JsonSchemaType.Object) & ~JsonSchemaType.Null;
        return type switch
        {
            _ when schema.Format is "date-time" or "date" => JsonValue.Create(Text(schema, name)),
            _ when type.HasFlag(JsonSchemaType.Object) => depth >= MaxDepth ? new JsonObject() : Object(document, schema, depth, required: true),
            _ when type.HasFlag(JsonSchemaType.Array) => schema.Items is { } items && depth < MaxDepth ? new JsonArray(Value(document, items, name, depth + 1)) : new JsonArray(),
            _ when type.HasFlag(JsonSchemaType.Integer) => JsonValue.Create(Integer(name)),
            _ when type.HasFlag(JsonSchemaType.Number) => JsonValue.Create(Number(name)),
            _ when type.HasFlag(JsonSchemaType.Boolean) => JsonValue.Create(name is not null && !name.Equals("retired", StringComparison.OrdinalIgnoreCase) && !name.Equals("muted", StringComparison.OrdinalIgnoreCase)),
            _ => JsonValue.Create(Text(schema, name)),
        };
    }

    /// <summary>The required members, else one that says something; a patch (<paramref name="required"/> false, its members all optional) shows up to three that say something.</summary>
    private static JsonObject Object(OpenApiDocument document, IOpenApiSchema schema, int depth, bool required)
    {
        var example = new JsonObject();
        var properties = schema.Properties ?? new Dictionary<string, IOpenApiSchema>();
        var members = required && schema.Required is { Count: > 0 } requiredMembers
            ? properties.Where(p => requiredMembers.Contains(p.Key))
            : !required
            ? properties.Where(p => Texts.ContainsKey(p.Key)).Take(3)
            : properties.Where(p => Texts.ContainsKey(p.Key)).DefaultIfEmpty(properties.FirstOrDefault()).Where(p => p.Key is not null).Take(1);
        foreach (var (member, property) in members)
        {
            example[member] = Value(document, property, member, depth + 1);
        }

        return example;
    }

    private static string Text(IOpenApiSchema schema, string? name) => schema.Format switch
    {
        "date-time" => "2026-03-02T09:30:00Z",
        "date" => "2026-03-02",
        "uri" => "https://helpdesk.contoso.com/",
        _ when name is not null && Texts.TryGetValue(name, out var text) => text,
        _ when name is not null && name.EndsWith("Id", StringComparison.Ordinal) => $"{name[..^2].ToLowerInvariant()}_example",
        _ when name is not null && name.EndsWith("Ids", StringComparison.Ordinal) => $"{name[..^3].ToLowerInvariant()}_example",
        _ => "example",
    };

    private static int Integer(string? name) => name switch
    {
        "minutes" => 30,
        "score" => 5,
        "minutesAfterBreach" => 60,
        _ => 1,
    };

    private static double Number(string? name) => name switch
    {
        "hours" => 2.5,
        "hoursPerMonth" => 20,
        "unitPrice" => 45.5,
        "warningThreshold" => 0.8,
        _ => 1,
    };

    private static IOpenApiSchema Resolve(OpenApiDocument document, IOpenApiSchema schema) =>
        schema is OpenApiSchemaReference { Reference.Id: { } id } && document.Components?.Schemas?.TryGetValue(id, out var target) == true && target is not null
            ? Resolve(document, target)
            : schema;
}
