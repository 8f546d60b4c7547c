using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc.ApiExplorer;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Helpdesk.Api.Hosting;

/// <summary>
/// Marks an operation as a Power Automate webhook trigger: the flow subscribes by POSTing the
/// request (its callback URL in <paramref name="CallbackProperty"/>), gets 201 with a Location it
/// DELETEs when the flow is removed, and receives <paramref name="Payload"/> as JSON. The maker
/// picks one of <paramref name="Events"/> for <paramref name="EventProperty"/>.
/// </summary>
public sealed record PowerAutomateTrigger(
    Type Payload, string CallbackProperty, string EventProperty, IReadOnlyList<string> Events, string Summary, string Description);

/// <summary>
/// Shapes the Swagger 2.0 document (<c>/api/openapi/v2.json</c>) into what Power Automate
/// imports as a custom connector (AZURE-FUNCTIONS.md): every operation has a verb operationId
/// and a short summary, parameters and fields carry <c>x-ms-summary</c> labels and
/// <c>x-ms-visibility</c>, routes meant for machines or customers are hidden from flow makers,
/// and the webhook subscription is an <c>x-ms-trigger</c> with its notification schema.
/// Everything is derived from the endpoint metadata that also produces the OpenAPI 3.1 document.
/// </summary>
internal sealed class PowerAutomateDocument : IOpenApiDocumentTransformer
{
    public const int MaxSummaryLength = 80;

    /// <summary>Routes a flow maker has no use for: Graph's webhooks, anonymous survey and approval links, the customer portal, probes, the platform's own trigger management.</summary>
    private static readonly string[] InternalRoutes = ["/api/graph/", "/api/csat/", "/api/approval-links/", "/api/portal/", "/api/health", "/api/hooks/{id}"];

    public async Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info.Title = "Helpdesk";
        document.Info.Description = "Tickets, conversations, SLAs and work tracking of the helpdesk, and triggers on its events.";
        UseHttpsOutsideLoopback(document);

        foreach (var (path, item) in document.Paths)
        {
            foreach (var operation in (item.Operations ?? new Dictionary<HttpMethod, OpenApiOperation>()).Values)
            {
                Describe(path, operation);
            }
        }

        foreach (var schema in (document.Components?.Schemas ?? new Dictionary<string, IOpenApiSchema>()).Values.OfType<OpenApiSchema>())
        {
            LabelProperties(schema);
        }

        foreach (var description in context.DescriptionGroups.SelectMany(g => g.Items))
        {
            if (description.ActionDescriptor.EndpointMetadata.OfType<PowerAutomateTrigger>().FirstOrDefault() is { } trigger)
            {
                await DeclareTriggerAsync(document, context, description, trigger, cancellationToken);
            }
        }
    }

    private static void UseHttpsOutsideLoopback(OpenApiDocument document)
    {
        foreach (var server in document.Servers ?? [])
        {
            if (Uri.TryCreate(server.Url, UriKind.Absolute, out var url) && !url.IsLoopback && url.Scheme == Uri.UriSchemeHttp)
            {
                server.Url = new UriBuilder(url) { Scheme = Uri.UriSchemeHttps, Port = -1 }.Uri.ToString().TrimEnd('/');
            }
        }
    }

    private static void Describe(string path, OpenApiOperation operation)
    {
        if (operation.Summary is { } summary && (summary.Length > MaxSummaryLength || summary.EndsWith('.')))
        {
            operation.Description ??= summary;
            operation.Summary = null;
        }

        if (operation.OperationId is { } operationId)
        {
            operation.Summary ??= Words(operationId);
        }

        if (InternalRoutes.Any(path.StartsWith))
        {
            Extend(operation.Extensions ??= new Dictionary<string, IOpenApiExtension>(), "x-ms-visibility", "internal");
        }

        foreach (var media in operation.RequestBody?.Content?.Values ?? [])
        {
            if (media.Schema is { } body && NullableReference(body) is { } reference)
            {
                media.Schema = reference;
            }
        }

        foreach (var parameter in (operation.Parameters ?? []).OfType<OpenApiParameter>())
        {
            var extensions = parameter.Extensions ??= new Dictionary<string, IOpenApiExtension>();
            Extend(extensions, "x-ms-summary", ParameterLabel(path, parameter.Name ?? string.Empty));
            Extend(extensions, "x-ms-visibility", parameter.Required ? "important" : "advanced");
        }
    }

    /// <summary>
    /// Labels every field, and undoes what Swagger 2.0 cannot say: a nullable reference (3.1's
    /// <c>oneOf [null, $ref]</c>) would otherwise lose its reference. Absence from the
    /// <c>required</c> list already says the field may be left out.
    /// </summary>
    private static void LabelProperties(OpenApiSchema schema)
    {
        if (schema.Properties is null)
        {
            return;
        }

        foreach (var name in schema.Properties.Keys.ToList())
        {
            if (NullableReference(schema.Properties[name]) is { } reference)
            {
                schema.Properties[name] = reference;
            }
            else if (schema.Properties[name] is OpenApiSchema property)
            {
                Extend(property.Extensions ??= new Dictionary<string, IOpenApiExtension>(), "x-ms-summary", Words(name));
            }
        }
    }

    private static IOpenApiSchema? NullableReference(IOpenApiSchema property)
    {
        var alternatives = property.OneOf ?? property.AnyOf;
        return property is OpenApiSchema && alternatives is { Count: 2 }
            && alternatives.Count(a => a.Type == JsonSchemaType.Null) == 1
            && alternatives.SingleOrDefault(a => a is OpenApiSchemaReference) is { } reference
                ? reference
                : null;
    }

    private static async Task DeclareTriggerAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, ApiDescription description, PowerAutomateTrigger trigger, CancellationToken cancellationToken)
    {
        var path = "/" + description.RelativePath!.Split('?')[0].TrimEnd('/');
        if (document.Paths.GetValueOrDefault(path) is not OpenApiPathItem item
            || item.Operations?.GetValueOrDefault(new HttpMethod(description.HttpMethod!)) is not { } operation)
        {
            return;
        }

        var payloadName = trigger.Payload.Name;
        var components = document.Components ??= new OpenApiComponents();
        components.Schemas ??= new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal);
        if (!components.Schemas.ContainsKey(payloadName))
        {
            components.Schemas[payloadName] = await context.GetOrCreateSchemaAsync(trigger.Payload, null, cancellationToken);
        }

        operation.Summary = trigger.Summary;
        operation.Description = trigger.Description;
        var extensions = operation.Extensions ??= new Dictionary<string, IOpenApiExtension>();
        Extend(extensions, "x-ms-trigger", "single");
        (item.Extensions ??= new Dictionary<string, IOpenApiExtension>())["x-ms-notification-content"] = new JsonNodeExtension(new JsonObject
        {
            ["description"] = "The event, with the ticket as it was after the change.",
            ["schema"] = new JsonObject { ["$ref"] = $"#/definitions/{payloadName}" },
        });

        var body = operation.RequestBody?.Content?.Values.FirstOrDefault()?.Schema;
        if (body is OpenApiSchemaReference { Reference.Id: { } requestName }
            && components.Schemas.TryGetValue(requestName, out var requestSchema) && requestSchema is OpenApiSchema { Properties: { } fields }
            && fields.TryGetValue(trigger.CallbackProperty, out var field) && field is OpenApiSchema callback)
        {
            var callbackExtensions = callback.Extensions ??= new Dictionary<string, IOpenApiExtension>();
            callbackExtensions["x-ms-notification-url"] = new JsonNodeExtension(JsonValue.Create(true));
            Extend(callbackExtensions, "x-ms-visibility", "internal");
            if (fields.TryGetValue(trigger.EventProperty, out var eventField) && eventField is OpenApiSchema events)
            {
                events.Enum = [.. trigger.Events.Select(e => (JsonNode)JsonValue.Create(e))];
                Extend(events.Extensions ??= new Dictionary<string, IOpenApiExtension>(), "x-ms-visibility", "important");
            }
        }
    }

    private static void Extend(IDictionary<string, IOpenApiExtension> extensions, string name, string value) =>
        extensions[name] = new JsonNodeExtension(JsonValue.Create(value));

    /// <summary>
    /// A verb-first operationId for a route that declares none: <c>GET /api/accounts</c> →
    /// ListAccounts, <c>GET /api/accounts/{id}</c> → GetAccount, POST → Create, PUT → Update,
    /// DELETE → Delete.
    /// </summary>
    public static string OperationId(HttpMethod method, string path)
    {
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries).Skip(1).ToList();
        var itemRoute = segments.Count > 0 && segments[^1].StartsWith('{');
        var resources = segments.Where(s => !s.StartsWith('{')).ToList();
        var noun = Pascal(resources.Count > 0 ? resources[^1] : "root");
        var singular = Singular(noun);
        var verb = method.Method switch
        {
            "GET" when itemRoute => "Get",
            "GET" => "List",
            "POST" => "Create",
            "PUT" or "PATCH" => "Update",
            "DELETE" => "Delete",
            _ => Pascal(method.Method.ToLowerInvariant()),
        };
        return verb + (verb == "List" ? noun : singular);
    }

    /// <summary>A label for a parameter: <c>{id}</c> after <c>tickets</c> → "Ticket id"; <c>createdFrom</c> → "Created from".</summary>
    private static string ParameterLabel(string path, string name)
    {
        if (name == "id")
        {
            var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
            var index = Array.IndexOf(segments, "{id}");
            return index > 0 ? $"{Singular(Words(segments[index - 1]))} id" : "Id";
        }

        return Words(name);
    }

    /// <summary>"ListTickets" or "createdFrom" or "sla-policies" → "List tickets", "Created from", "Sla policies".</summary>
    public static string Words(string name)
    {
        var text = new StringBuilder();
        foreach (var c in name)
        {
            if (c is '-' or '_' or '.')
            {
                text.Append(' ');
            }
            else if (char.IsUpper(c) && text.Length > 0 && text[^1] != ' ')
            {
                text.Append(' ').Append(char.ToLowerInvariant(c));
            }
            else
            {
                text.Append(text.Length == 0 ? char.ToUpperInvariant(c) : c);
            }
        }

        return text.ToString();
    }

    private static string Pascal(string segment) =>
        string.Concat(segment.Split('-', StringSplitOptions.RemoveEmptyEntries).Select(p => char.ToUpperInvariant(p[0]) + p[1..]));

    private static string Singular(string noun) =>
        noun.EndsWith("ies", StringComparison.Ordinal) ? noun[..^3] + "y"
        : noun.EndsWith('s') ? noun[..^1]
        : noun;
}
