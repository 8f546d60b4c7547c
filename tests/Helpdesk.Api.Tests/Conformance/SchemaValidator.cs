using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Helpdesk.Api.Tests.Conformance;

/// <summary>
/// Checks a JSON value against a schema of the API's OpenAPI 3.1 document. It knows the keywords
/// the document uses and nothing more: <c>$ref</c> (into the document), <c>type</c> (one or a
/// list), <c>properties</c>, <c>required</c>, <c>additionalProperties</c>, <c>items</c>,
/// <c>enum</c>, <c>pattern</c> and <c>oneOf</c>/<c>anyOf</c>/<c>allOf</c>; <c>format</c> is
/// informative. A keyword it does not know fails the check, so a document that starts using one
/// is noticed here instead of being passed unchecked. (The served JSON Schema libraries resolve
/// <c>#/components/schemas/...</c> only through a wrapping document; this subset is forty lines.)
/// </summary>
internal sealed class SchemaValidator(JsonNode document)
{
    private static readonly HashSet<string> Known =
    [
        "$ref", "type", "properties", "required", "additionalProperties", "items", "enum", "pattern", "oneOf", "anyOf", "allOf",
        "format", "description", "default", "examples", "example", "title", "readOnly", "writeOnly", "deprecated", "externalDocs",
    ];

    /// <summary>Every way <paramref name="value"/> breaks <paramref name="schema"/>, each naming the JSON path (empty when it is valid).</summary>
    public IReadOnlyList<string> Violations(JsonNode? schema, JsonNode? value)
    {
        var found = new List<string>();
        Check(schema, value, "$", found);
        return found;
    }

    private void Check(JsonNode? schema, JsonNode? value, string path, List<string> found)
    {
        if (schema is not JsonObject rules)
        {
            return;
        }

        if (rules["$ref"]?.GetValue<string>() is { } reference)
        {
            Check(Resolve(reference), value, path, found);
        }

        foreach (var unknown in rules.Select(r => r.Key).Where(k => !Known.Contains(k)))
        {
            found.Add($"{path}: the schema uses '{unknown}', which this check does not know");
        }

        if (rules["type"] is { } type && !Types(type).Any(t => Is(t, value)))
        {
            found.Add($"{path}: {Kind(value)} is not {string.Join(" or ", Types(type))}");
            return;
        }

        if (rules["enum"] is JsonArray allowed && !allowed.Any(a => JsonNode.DeepEquals(a, value)))
        {
            found.Add($"{path}: {Shorten(value)} is not one of {allowed.ToJsonString()}");
        }

        if (rules["pattern"]?.GetValue<string>() is { } pattern && value is JsonValue text && text.GetValueKind() == JsonValueKind.String
            && !Regex.IsMatch(text.GetValue<string>(), pattern, RegexOptions.None, TimeSpan.FromSeconds(1)))
        {
            found.Add($"{path}: {Shorten(value)} does not match {pattern}");
        }

        if (rules["allOf"] is JsonArray all)
        {
            foreach (var part in all)
            {
                Check(part, value, path, found);
            }
        }

        foreach (var alternatives in new[] { rules["oneOf"], rules["anyOf"] }.OfType<JsonArray>())
        {
            if (!alternatives.Any(a => Violations(a, value).Count == 0))
            {
                found.Add($"{path}: {Shorten(value)} matches none of the alternatives ({string.Join("; ", alternatives.SelectMany(a => Violations(a, value)).Take(3))})");
            }
        }

        if (value is JsonObject members)
        {
            CheckMembers(rules, members, path, found);
        }
        else if (value is JsonArray elements && rules["items"] is { } items)
        {
            for (var i = 0; i < elements.Count; i++)
            {
                Check(items, elements[i], $"{path}[{i}]", found);
            }
        }
    }

    private void CheckMembers(JsonObject rules, JsonObject members, string path, List<string> found)
    {
        var properties = rules["properties"] as JsonObject;
        foreach (var required in (rules["required"] as JsonArray ?? []).Select(r => r!.GetValue<string>()).Where(r => !members.ContainsKey(r)))
        {
            found.Add($"{path}.{required}: required but absent");
        }

        foreach (var (name, member) in members)
        {
            if (properties?[name] is { } property)
            {
                Check(property, member, $"{path}.{name}", found);
            }
            else if (rules["additionalProperties"] is JsonValue additional && additional.GetValueKind() == JsonValueKind.False)
            {
                found.Add($"{path}.{name}: not a member the schema declares");
            }
            else if (rules["additionalProperties"] is JsonObject additionalSchema)
            {
                Check(additionalSchema, member, $"{path}.{name}", found);
            }
        }
    }

    private JsonNode? Resolve(string reference) =>
        reference.StartsWith("#/", StringComparison.Ordinal)
            ? reference[2..].Split('/').Aggregate((JsonNode?)document, (node, segment) => node?[segment.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)])
                ?? throw new InvalidOperationException($"The document has no {reference}.")
            : throw new InvalidOperationException($"Only references into the document are known: {reference}.");

    private static IEnumerable<string> Types(JsonNode type) =>
        type is JsonArray list ? list.Select(t => t!.GetValue<string>()) : [type.GetValue<string>()];

    private static bool Is(string type, JsonNode? value) => type switch
    {
        "null" => value is null,
        "object" => value is JsonObject,
        "array" => value is JsonArray,
        "string" => value is JsonValue v && v.GetValueKind() == JsonValueKind.String,
        "boolean" => value is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False,
        "number" => value is JsonValue v && v.GetValueKind() == JsonValueKind.Number,
        "integer" => value is JsonValue v && v.GetValueKind() == JsonValueKind.Number && decimal.TryParse(v.ToJsonString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var number) && number == decimal.Truncate(number),
        _ => false,
    };

    private static string Kind(JsonNode? value) => value switch
    {
        null => "null",
        JsonObject => "an object",
        JsonArray => "an array",
        _ => $"{value.GetValueKind().ToString().ToLowerInvariant()} {Shorten(value)}",
    };

    private static string Shorten(JsonNode? value)
    {
        var text = value?.ToJsonString() ?? "null";
        return text.Length > 60 ? text[..60] + "..." : text;
    }
}
