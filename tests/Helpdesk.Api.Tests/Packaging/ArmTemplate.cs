using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Helpdesk.Api.Tests.Packaging;

/// <summary>
/// What a compiled ARM template (the JSON <c>bicep build</c> writes) deploys for one set of
/// parameters: its expressions evaluated, conditions and copy loops applied, nested deployments
/// (Bicep modules) expanded with the parameters they are passed. Values only known at deployment
/// (<c>reference()</c> of a resource, e.g. an identity's principal id) stay symbolic and render as
/// <c>&lt;reference(/subscriptions/…/id).principalId&gt;</c>, so two of them compare equal exactly
/// when they name the same property of the same resource. Deliberately small: a function or
/// construct it does not know fails the evaluation instead of being guessed.
/// </summary>
internal sealed class ArmDeployment
{
    public const string SubscriptionId = "00000000-0000-0000-0000-0000000000aa";
    public const string ResourceGroupName = "helpdesk-rg";
    public const string ResourceGroupLocation = "westeurope";
    public const string TenantId = "00000000-0000-0000-0000-0000000000bb";

    private ArmDeployment(string name, List<ArmResource> resources, List<ArmDeployment> modules, Dictionary<string, object?> outputs)
    {
        Name = name;
        Resources = resources;
        Modules = modules;
        OutputValues = outputs;
        Outputs = (JsonObject)ArmValue.ToJson(outputs)!;
    }

    /// <summary>The deployment's name (<c>main</c>, or the module's deployment name).</summary>
    public string Name { get; }

    /// <summary>Every resource deployed, nested deployments' included (the deployments themselves are not listed).</summary>
    public IReadOnlyList<ArmResource> Resources { get; }

    /// <summary>The nested deployments that are deployed, each evaluated.</summary>
    public IReadOnlyList<ArmDeployment> Modules { get; }

    public JsonObject Outputs { get; }

    private Dictionary<string, object?> OutputValues { get; }

    public IEnumerable<ArmResource> OfType(string type) =>
        Resources.Where(r => string.Equals(r.Type, type, StringComparison.OrdinalIgnoreCase));

    public ArmResource Single(string type) => OfType(type).ShouldHaveSingleItem($"one {type}");

    public static string ResourceGroupId => $"/subscriptions/{SubscriptionId}/resourceGroups/{ResourceGroupName}";

    /// <summary>The id of a resource of this resource group, as <c>resourceId()</c> makes it.</summary>
    public static string ResourceId(string type, params string[] names) => ResourceGroupId + ProviderPath(type, names);

    public static ArmDeployment Evaluate(JsonObject template, IReadOnlyDictionary<string, JsonNode?> parameters) =>
        Evaluate("main", template, parameters.ToDictionary(p => p.Key, p => ArmValue.From(p.Value), StringComparer.OrdinalIgnoreCase));

    private static ArmDeployment Evaluate(string name, JsonObject template, Dictionary<string, object?> parameters)
    {
        if (template["resources"] is not JsonArray resources)
        {
            throw new ArmEvaluationException($"{name}: resources is not an array (symbolic-name templates are not supported)");
        }

        var scope = new TemplateScope(name, template, parameters);
        var all = new List<ArmResource>();
        var modules = new List<ArmDeployment>();
        foreach (var resource in resources.Select(r => r!.AsObject()))
        {
            var type = Text(resource["type"]);
            if (string.Equals(type, "Microsoft.Resources/deployments", StringComparison.OrdinalIgnoreCase))
            {
                if (resource["copy"] is not null)
                {
                    throw new ArmEvaluationException($"{name}: module loops are not supported");
                }

                var module = scope.Module(resource);
                if (module is not null)
                {
                    modules.Add(module);
                    all.AddRange(module.Resources);
                }

                continue;
            }

            foreach (var copy in scope.Copies(resource["copy"] as JsonObject))
            {
                if (resource["condition"] is { } condition && !ArmValue.Truthy(copy.Evaluate(condition), "condition"))
                {
                    continue;
                }

                var body = new JsonObject(ArmValue.CaseInsensitive);
                foreach (var (key, value) in resource)
                {
                    if (key is not ("copy" or "condition" or "dependsOn"))
                    {
                        body[key] = ArmValue.ToJson(copy.Evaluate(value));
                    }
                }

                all.Add(new ArmResource(name, body));
            }
        }

        var outputs = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, output) in template["outputs"]?.AsObject() ?? [])
        {
            outputs[key] = scope.Root.Evaluate(output!["value"]);
        }

        return new ArmDeployment(name, all, modules, outputs);
    }

    internal static string ProviderPath(string type, IReadOnlyList<string> names)
    {
        var segments = type.Split('/');
        if (segments.Length - 1 != names.Count)
        {
            throw new ArmEvaluationException($"{type} needs {segments.Length - 1} names, got {names.Count}");
        }

        var path = new StringBuilder("/providers/").Append(segments[0]);
        for (var i = 1; i < segments.Length; i++)
        {
            path.Append('/').Append(segments[i]).Append('/').Append(names[i - 1]);
        }

        return path.ToString();
    }

    private static string Text(JsonNode? node) => node?.GetValue<string>() ?? throw new ArmEvaluationException("a string is missing");

    /// <summary>One template's parameters, variables and modules.</summary>
    private sealed class TemplateScope
    {
        private readonly string _name;
        private readonly JsonObject _template;
        private readonly Dictionary<string, object?> _parameters = new(StringComparer.OrdinalIgnoreCase);
        private readonly Dictionary<string, object?> _variables = new(StringComparer.OrdinalIgnoreCase);
        private readonly HashSet<string> _evaluating = new(StringComparer.OrdinalIgnoreCase);
        private readonly Dictionary<string, ArmDeployment?> _modules = new(StringComparer.OrdinalIgnoreCase);

        public TemplateScope(string name, JsonObject template, Dictionary<string, object?> given)
        {
            _name = name;
            _template = template;
            Root = new ExpressionContext(this, new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase));
            var declared = template["parameters"]?.AsObject() ?? [];
            foreach (var key in given.Keys.Where(k => !declared.ContainsKey(k)))
            {
                throw new ArmEvaluationException($"{name}: parameter {key} is not declared");
            }

            foreach (var (key, declaration) in declared)
            {
                var value = given.TryGetValue(key, out var v) ? v
                    : declaration!["defaultValue"] is { } fallback ? Root.Evaluate(fallback)
                    : declaration!.AsObject().ContainsKey("defaultValue") ? null
                    : throw new ArmEvaluationException($"{name}: parameter {key} has no value");
                Validate(key, declaration!.AsObject(), value);
                _parameters[key] = value;
            }
        }

        public ExpressionContext Root { get; }

        public string Name => _name;

        public object? Parameter(string key) =>
            _parameters.TryGetValue(key, out var value) ? value : throw new ArmEvaluationException($"{_name}: no parameter {key}");

        public object? Variable(string key)
        {
            if (_variables.TryGetValue(key, out var cached))
            {
                return cached;
            }

            var variables = _template["variables"]?.AsObject() ?? [];
            object? value;
            if (!_evaluating.Add(key))
            {
                throw new ArmEvaluationException($"{_name}: variable {key} refers to itself");
            }

            if (variables[key] is { } node)
            {
                value = Root.Evaluate(node);
            }
            else if (variables["copy"] is JsonArray copies && copies.FirstOrDefault(c => string.Equals(Text(c!["name"]), key, StringComparison.OrdinalIgnoreCase)) is { } copy)
            {
                value = Root.Loop(key, copy!["count"], copy["input"]);
            }
            else
            {
                throw new ArmEvaluationException($"{_name}: no variable {key}");
            }

            _evaluating.Remove(key);
            _variables[key] = value;
            return value;
        }

        /// <summary>One evaluation context per copy of a resource (one when it has no copy loop).</summary>
        public List<ExpressionContext> Copies(JsonObject? copy)
        {
            if (copy is null)
            {
                return [Root];
            }

            var count = ArmValue.Integer(Root.Evaluate(copy["count"]), "copy count");
            var loop = Text(copy["name"]);
            return Enumerable.Range(0, (int)count).Select(i => Root.With(loop, i, isDefault: true)).ToList();
        }

        /// <summary>A nested deployment of this template, evaluated once; null when its condition is false.</summary>
        public ArmDeployment? Module(JsonObject resource)
        {
            var name = ArmValue.String(Root.Evaluate(resource["name"]), "deployment name");
            if (_modules.TryGetValue(name, out var done))
            {
                return done;
            }

            if (!_evaluating.Add("module " + name))
            {
                throw new ArmEvaluationException($"{_name}: module {name} depends on itself");
            }

            ArmDeployment? module = null;
            if (resource["condition"] is not { } condition || ArmValue.Truthy(Root.Evaluate(condition), "condition"))
            {
                var properties = resource["properties"]!.AsObject();
                if (properties["expressionEvaluationOptions"]?["scope"]?.GetValue<string>() is not "inner")
                {
                    throw new ArmEvaluationException($"{_name}: module {name} does not use inner expression scope");
                }

                var passed = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
                foreach (var (key, parameter) in properties["parameters"]?.AsObject() ?? [])
                {
                    passed[key] = Root.Evaluate(parameter!["value"]);
                }

                module = Evaluate(name, properties["template"]!.AsObject(), passed);
            }

            _evaluating.Remove("module " + name);
            _modules[name] = module;
            return module;
        }

        /// <summary>The outputs of the nested deployment a <c>reference()</c> names, or null when it names no module here.</summary>
        public Dictionary<string, object?>? ModuleReference(string id)
        {
            var prefix = ResourceId("Microsoft.Resources/deployments", "x")[..^1];
            if (!id.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }

            var name = id[prefix.Length..];
            var declaration = _template["resources"]!.AsArray().Select(r => r!.AsObject())
                .FirstOrDefault(r => string.Equals(r["type"]?.GetValue<string>(), "Microsoft.Resources/deployments", StringComparison.OrdinalIgnoreCase)
                    && string.Equals(ArmValue.String(Root.Evaluate(r["name"]), "deployment name"), name, StringComparison.OrdinalIgnoreCase))
                ?? throw new ArmEvaluationException($"{_name}: reference to the unknown module {name}");
            var module = Module(declaration) ?? throw new ArmEvaluationException($"{_name}: reference to the module {name}, which is not deployed");
            var outputs = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
            foreach (var (key, value) in module.OutputValues)
            {
                outputs[key] = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase) { ["value"] = value };
            }

            return new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase) { ["outputs"] = outputs };
        }

        private void Validate(string key, JsonObject declaration, object? value)
        {
            if (value is ArmRuntime)
            {
                return;
            }

            if (declaration["allowedValues"] is JsonArray allowed && !allowed.Any(a => ArmValue.Same(ArmValue.From(a), value)))
            {
                throw new ArmEvaluationException($"{_name}: {key} = {ArmValue.Render(value)} is not an allowed value");
            }

            var length = value switch { string s => s.Length, List<object?> l => l.Count, _ => (int?)null };
            if ((declaration["minLength"] is { } min && length < min.GetValue<int>()) || (declaration["maxLength"] is { } max && length > max.GetValue<int>()))
            {
                throw new ArmEvaluationException($"{_name}: {key} has the wrong length");
            }

            if ((declaration["minValue"] is { } low && value is long l1 && l1 < low.GetValue<long>()) || (declaration["maxValue"] is { } high && value is long l2 && l2 > high.GetValue<long>()))
            {
                throw new ArmEvaluationException($"{_name}: {key} is out of range");
            }
        }
    }

    /// <summary>A template scope plus the copy indexes in force.</summary>
    private sealed class ExpressionContext(TemplateScope scope, Dictionary<string, int> copies)
    {
        public TemplateScope Scope => scope;

        public ExpressionContext With(string loop, int index, bool isDefault)
        {
            var next = new Dictionary<string, int>(copies, StringComparer.OrdinalIgnoreCase) { [loop] = index };
            if (isDefault)
            {
                next[string.Empty] = index;
            }

            return new ExpressionContext(scope, next);
        }

        public int CopyIndex(string? loop) =>
            copies.TryGetValue(loop ?? string.Empty, out var index) ? index : throw new ArmEvaluationException($"{scope.Name}: copyIndex({loop}) outside its loop");

        public List<object?> Loop(string name, JsonNode? count, JsonNode? input) =>
            [.. Enumerable.Range(0, (int)ArmValue.Integer(Evaluate(count), "copy count")).Select(i => With(name, i, isDefault: false).Evaluate(input))];

        public object? Evaluate(JsonNode? node)
        {
            switch (node)
            {
                case null:
                    return null;
                case JsonArray array:
                    return array.Select(Evaluate).ToList();
                case JsonObject obj:
                    var result = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
                    foreach (var (key, value) in obj)
                    {
                        if (key == "copy" && value is JsonArray loops)
                        {
                            foreach (var loop in loops)
                            {
                                var loopName = loop!["name"]!.GetValue<string>();
                                result[loopName] = Loop(loopName, loop["count"], loop["input"]);
                            }

                            continue;
                        }

                        result[ArmValue.String(EvaluateString(key), "property name")] = Evaluate(value);
                    }

                    return result;
                default:
                    var element = JsonSerializer.SerializeToElement(node);
                    return element.ValueKind switch
                    {
                        JsonValueKind.String => EvaluateString(element.GetString()!),
                        JsonValueKind.Number => element.TryGetInt64(out var n) ? (object)n : element.GetDouble(),
                        JsonValueKind.True => true,
                        JsonValueKind.False => false,
                        _ => null,
                    };
            }
        }

        private object? EvaluateString(string text) =>
            text.StartsWith("[[", StringComparison.Ordinal) ? text[1..]
            : text.Length > 1 && text[0] == '[' && text[^1] == ']' ? Evaluate(ArmExpressionParser.Parse(text[1..^1]))
            : text;

        public object? Evaluate(ArmExpression expression) => expression switch
        {
            ArmExpression.Literal literal => literal.Value,
            ArmExpression.Property property => ArmValue.Property(Evaluate(property.Target), property.Name),
            ArmExpression.Index index => ArmValue.Element(Evaluate(index.Target), Evaluate(index.Key)),
            ArmExpression.Call call => Call(call.Name.ToLowerInvariant(), call.Arguments),
            _ => throw new ArmEvaluationException("unknown expression"),
        };

        private object? Call(string name, IReadOnlyList<ArmExpression> args)
        {
            // The lazy ones first: if() and the logical operators evaluate only what they need.
            switch (name)
            {
                case "if":
                    return ArmValue.Truthy(Evaluate(args[0]), "if()") ? Evaluate(args[1]) : Evaluate(args[2]);
                case "and":
                    return args.All(a => ArmValue.Truthy(Evaluate(a), "and()"));
                case "or":
                    return args.Any(a => ArmValue.Truthy(Evaluate(a), "or()"));
                case "coalesce":
                    return args.Select(Evaluate).FirstOrDefault(v => v is not null);
            }

            var values = args.Select(Evaluate).ToList();
            if (name is not ("createobject" or "createarray" or "union" or "equals" or "format" or "concat" or "reference" or "string" or "json" or "empty" or "length" or "contains" or "items" or "guid" or "uniquestring" or "not")
                && values.FirstOrDefault(v => v is ArmRuntime) is ArmRuntime runtime)
            {
                throw new ArmEvaluationException($"{scope.Name}: {name}() of a deployment-time value {runtime}");
            }

            string S(int i) => ArmValue.String(values[i], name + "()");
            return name switch
            {
                "parameters" => scope.Parameter(S(0)),
                "variables" => scope.Variable(S(0)),
                "copyindex" => (long)CopyIndex(values.Count > 0 && values[0] is string loop ? loop : null) + (values.LastOrDefault() is long offset ? offset : 0),
                "null" => null,
                "true" => true,
                "false" => false,
                "not" => !ArmValue.Truthy(values[0], "not()"),
                "equals" => ArmValue.Same(values[0], values[1]),
                "greater" => ArmValue.Integer(values[0], name) > ArmValue.Integer(values[1], name),
                "less" => ArmValue.Integer(values[0], name) < ArmValue.Integer(values[1], name),
                "empty" => values[0] switch { null => true, string s => s.Length == 0, List<object?> l => l.Count == 0, Dictionary<string, object?> d => d.Count == 0, _ => false },
                "length" => (long)(values[0] switch { string s => s.Length, List<object?> l => l.Count, Dictionary<string, object?> d => d.Count, _ => throw new ArmEvaluationException("length() of " + ArmValue.Render(values[0])) }),
                "contains" => values[0] switch
                {
                    string s => s.Contains(S(1), StringComparison.OrdinalIgnoreCase),
                    List<object?> l => l.Any(v => ArmValue.Same(v, values[1])),
                    Dictionary<string, object?> d => d.ContainsKey(S(1)),
                    _ => throw new ArmEvaluationException("contains() of " + ArmValue.Render(values[0])),
                },
                "createarray" => values,
                "createobject" => Enumerable.Range(0, values.Count / 2).ToDictionary(i => ArmValue.String(values[2 * i], "createObject() key"), i => values[(2 * i) + 1], StringComparer.OrdinalIgnoreCase),
                "union" => ArmValue.Union(values),
                "concat" => values.All(v => v is List<object?>) ? values.SelectMany(v => (List<object?>)v!).ToList() : string.Concat(values.Select(ArmValue.Render)),
                "format" => Format(S(0), values.Skip(1).ToList()),
                "string" => values[0] is string s0 ? s0 : ArmValue.Render(values[0]),
                "int" => values[0] is string s1 ? long.Parse(s1, CultureInfo.InvariantCulture) : ArmValue.Integer(values[0], name),
                "json" => ArmValue.From(JsonNode.Parse(S(0))),
                "tolower" => S(0).ToLowerInvariant(),
                "toupper" => S(0).ToUpperInvariant(),
                "replace" => S(0).Replace(S(1), S(2), StringComparison.Ordinal),
                "take" => values[0] is List<object?> lt ? lt.Take((int)ArmValue.Integer(values[1], name)).ToList() : new string([.. S(0).Take((int)ArmValue.Integer(values[1], name))]),
                "skip" => values[0] is List<object?> ls ? ls.Skip((int)ArmValue.Integer(values[1], name)).ToList() : new string([.. S(0).Skip((int)ArmValue.Integer(values[1], name))]),
                "first" => values[0] is List<object?> lf ? lf.FirstOrDefault() : S(0)[..1],
                "last" => values[0] is List<object?> ll ? ll.LastOrDefault() : S(0)[^1..],
                "split" => S(0).Split(S(1)).Select(p => (object?)p).ToList(),
                "join" => string.Join(S(1), ((List<object?>)values[0]!).Select(ArmValue.Render)),
                "items" => ((Dictionary<string, object?>)values[0]!).Select(p => (object?)new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase) { ["key"] = p.Key, ["value"] = p.Value }).ToList(),
                "guid" => Guid(values),
                "uniquestring" => UniqueString(values),
                "resourceid" => ResourceIdOf(values, subscriptionLevel: false),
                "subscriptionresourceid" => ResourceIdOf(values, subscriptionLevel: true),
                "extensionresourceid" => S(0) + ProviderPath(S(1), values.Skip(2).Select(v => ArmValue.String(v, name)).ToList()),
                "reference" => Reference(values),
                "resourcegroup" => new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase) { ["id"] = ResourceGroupId, ["name"] = ResourceGroupName, ["location"] = ResourceGroupLocation },
                "subscription" => new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase) { ["id"] = $"/subscriptions/{SubscriptionId}", ["subscriptionId"] = SubscriptionId, ["tenantId"] = TenantId },
                "tenant" => new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase) { ["tenantId"] = TenantId },
                "environment" => new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase)
                {
                    ["name"] = "AzureCloud",
                    ["authentication"] = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase) { ["loginEndpoint"] = "https://login.microsoftonline.com/" },
                    ["suffixes"] = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase) { ["storage"] = "core.windows.net" },
                },
                _ => throw new ArmEvaluationException($"{scope.Name}: the function {name}() is not supported by this evaluator"),
            };
        }

        private object? Reference(List<object?> values)
        {
            var id = ArmValue.String(values[0], "reference()");
            var full = values.Count > 2 && values[2] is string mode && string.Equals(mode, "Full", StringComparison.OrdinalIgnoreCase);
            return !full && scope.ModuleReference(id) is { } module ? module : new ArmRuntime(full ? $"reference({id}, full)" : $"reference({id})");
        }

        private static string Format(string format, List<object?> args)
        {
            var rendered = args.Select(a => (object?)ArmValue.Render(a)).ToArray();
            return string.Format(CultureInfo.InvariantCulture, format, rendered);
        }

        private static string ResourceIdOf(List<object?> values, bool subscriptionLevel)
        {
            var strings = values.Select(v => ArmValue.String(v, "resourceId()")).ToList();
            var typeAt = strings.FindIndex(s => s.Contains('/', StringComparison.Ordinal));
            if (typeAt < 0)
            {
                throw new ArmEvaluationException("resourceId() without a resource type");
            }

            var subscription = typeAt >= 1 ? strings[0] : SubscriptionId;
            var names = strings.Skip(typeAt + 1).ToList();
            if (subscriptionLevel)
            {
                return $"/subscriptions/{subscription}" + ProviderPath(strings[typeAt], names);
            }

            var group = typeAt >= 2 ? strings[1] : typeAt == 1 ? strings[0] : ResourceGroupName;
            if (typeAt == 1)
            {
                subscription = SubscriptionId;
            }

            return $"/subscriptions/{subscription}/resourceGroups/{group}" + ProviderPath(strings[typeAt], names);
        }

        private static string Guid(List<object?> values)
        {
            var hash = SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("|", values.Select(ArmValue.Render))));
            return new Guid(hash.AsSpan(0, 16)).ToString();
        }

        private static string UniqueString(List<object?> values)
        {
            var hash = SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("|", values.Select(ArmValue.Render))));
            const string alphabet = "abcdefghijklmnopqrstuvwxyz234567";
            return new string([.. hash.Take(13).Select(b => alphabet[b % 32])]);
        }
    }
}

/// <summary>One deployed resource: the deployment it belongs to and its evaluated JSON (type, name, properties, ...).</summary>
internal sealed record ArmResource(string Deployment, JsonObject Json)
{
    public string Type => Json["type"]!.GetValue<string>();

    public string Name => Json["name"]!.GetValue<string>();

    public JsonNode? Properties => Json["properties"];

    /// <summary>The resource id: extension resources (role assignments) hang under their <c>scope</c>.</summary>
    public string Id
    {
        get
        {
            var names = Name.Split('/');
            return Json["scope"]?.GetValue<string>() is { } scope
                ? scope + ArmDeployment.ProviderPath(Type, names)
                : ArmDeployment.ResourceGroupId + ArmDeployment.ProviderPath(Type, names);
        }
    }

    public override string ToString() => $"{Type} {Name}";
}

/// <summary>A value known only at deployment time, e.g. <c>reference(id).principalId</c>.</summary>
internal sealed record ArmRuntime(string Text)
{
    public override string ToString() => $"<{Text}>";
}

internal sealed class ArmEvaluationException(string message) : Exception(message);

/// <summary>ARM expressions: literals, function calls, property access and indexing.</summary>
internal abstract record ArmExpression
{
    public sealed record Literal(object? Value) : ArmExpression;

    public sealed record Call(string Name, IReadOnlyList<ArmExpression> Arguments) : ArmExpression;

    public sealed record Property(ArmExpression Target, string Name) : ArmExpression;

    public sealed record Index(ArmExpression Target, ArmExpression Key) : ArmExpression;
}

internal sealed class ArmExpressionParser
{
    private readonly string _text;
    private int _at;

    private ArmExpressionParser(string text) => _text = text;

    public static ArmExpression Parse(string text)
    {
        var parser = new ArmExpressionParser(text);
        var expression = parser.Expression();
        parser.Skip();
        if (parser._at != text.Length)
        {
            throw new ArmEvaluationException($"unexpected '{text[parser._at..]}' in [{text}]");
        }

        return expression;
    }

    private ArmExpression Expression()
    {
        var expression = Primary();
        while (true)
        {
            Skip();
            if (Peek('.'))
            {
                _at++;
                expression = new ArmExpression.Property(expression, Identifier());
            }
            else if (Peek('['))
            {
                _at++;
                var key = Expression();
                Expect(']');
                expression = new ArmExpression.Index(expression, key);
            }
            else
            {
                return expression;
            }
        }
    }

    private ArmExpression Primary()
    {
        Skip();
        if (Peek('\''))
        {
            var text = new StringBuilder();
            _at++;
            while (true)
            {
                if (_at >= _text.Length)
                {
                    throw new ArmEvaluationException($"unterminated string in [{_text}]");
                }

                if (_text[_at] == '\'')
                {
                    if (_at + 1 < _text.Length && _text[_at + 1] == '\'')
                    {
                        text.Append('\'');
                        _at += 2;
                        continue;
                    }

                    _at++;
                    return new ArmExpression.Literal(text.ToString());
                }

                text.Append(_text[_at++]);
            }
        }

        if (_at < _text.Length && (char.IsDigit(_text[_at]) || _text[_at] == '-'))
        {
            var start = _at++;
            while (_at < _text.Length && char.IsDigit(_text[_at]))
            {
                _at++;
            }

            return new ArmExpression.Literal(long.Parse(_text[start.._at], CultureInfo.InvariantCulture));
        }

        var name = Identifier();
        Expect('(');
        var args = new List<ArmExpression>();
        Skip();
        if (!Peek(')'))
        {
            do
            {
                args.Add(Expression());
                Skip();
            }
            while (Peek(',') && _at++ >= 0);
        }

        Expect(')');
        return new ArmExpression.Call(name, args);
    }

    private string Identifier()
    {
        Skip();
        var start = _at;
        while (_at < _text.Length && (char.IsLetterOrDigit(_text[_at]) || _text[_at] is '_' or '$'))
        {
            _at++;
        }

        return _at > start ? _text[start.._at] : throw new ArmEvaluationException($"identifier expected at {start} in [{_text}]");
    }

    private void Expect(char c)
    {
        Skip();
        if (!Peek(c))
        {
            throw new ArmEvaluationException($"'{c}' expected at {_at} in [{_text}]");
        }

        _at++;
    }

    private bool Peek(char c) => _at < _text.Length && _text[_at] == c;

    private void Skip()
    {
        while (_at < _text.Length && _text[_at] == ' ')
        {
            _at++;
        }
    }
}

/// <summary>The evaluator's values: string, long, double, bool, null, lists, case-insensitive dictionaries, <see cref="ArmRuntime"/>.</summary>
internal static class ArmValue
{
    public static readonly JsonNodeOptions CaseInsensitive = new() { PropertyNameCaseInsensitive = true };

    public static object? From(JsonNode? node) => node switch
    {
        null => null,
        JsonArray array => array.Select(From).ToList(),
        JsonObject obj => obj.ToDictionary(p => p.Key, p => From(p.Value), StringComparer.OrdinalIgnoreCase),
        _ => FromElement(JsonSerializer.SerializeToElement(node)),
    };

    private static object? FromElement(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Number => e.TryGetInt64(out var n) ? (object)n : e.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };

    public static JsonNode? ToJson(object? value) => value switch
    {
        null => null,
        string s => JsonValue.Create(s),
        long l => JsonValue.Create(l),
        double d => JsonValue.Create(d),
        bool b => JsonValue.Create(b),
        ArmRuntime r => JsonValue.Create(r.ToString()),
        List<object?> list => new JsonArray([.. list.Select(ToJson)]),
        Dictionary<string, object?> dictionary => Object(dictionary),
        _ => throw new ArmEvaluationException("unknown value " + value),
    };

    private static JsonObject Object(Dictionary<string, object?> dictionary)
    {
        var obj = new JsonObject(CaseInsensitive);
        foreach (var (key, value) in dictionary)
        {
            obj[key] = ToJson(value);
        }

        return obj;
    }

    public static string Render(object? value) => value switch
    {
        null => string.Empty,
        string s => s,
        long l => l.ToString(CultureInfo.InvariantCulture),
        bool b => b ? "True" : "False",
        ArmRuntime r => r.ToString(),
        _ => ToJson(value)!.ToJsonString(),
    };

    public static bool Truthy(object? value, string where) =>
        value is bool b ? b : throw new ArmEvaluationException($"{where} needs a bool, got {Render(value)}");

    public static long Integer(object? value, string where) =>
        value is long l ? l : throw new ArmEvaluationException($"{where} needs an integer, got {Render(value)}");

    public static string String(object? value, string where) =>
        value is string s ? s : throw new ArmEvaluationException($"{where} needs a string, got {Render(value)}");

    public static bool Same(object? a, object? b) =>
        a is ArmRuntime || b is ArmRuntime
            ? throw new ArmEvaluationException($"equals() of a deployment-time value: {Render(a)} / {Render(b)}")
            : a is string sa && b is string sb ? string.Equals(sa, sb, StringComparison.OrdinalIgnoreCase)
            : JsonNode.DeepEquals(ToJson(a), ToJson(b));

    public static object? Property(object? target, string name) => target switch
    {
        ArmRuntime runtime => new ArmRuntime($"{runtime.Text}.{name}"),
        Dictionary<string, object?> dictionary => dictionary.TryGetValue(name, out var value) ? value : throw new ArmEvaluationException($"no property {name} in {Render(target)}"),
        _ => throw new ArmEvaluationException($"property {name} of {Render(target)}"),
    };

    public static object? Element(object? target, object? key) => (target, key) switch
    {
        (ArmRuntime runtime, _) => new ArmRuntime($"{runtime.Text}[{Render(key)}]"),
        (List<object?> list, long index) => list[(int)index],
        (Dictionary<string, object?> dictionary, string name) => Property(dictionary, name),
        _ => throw new ArmEvaluationException($"[{Render(key)}] of {Render(target)}"),
    };

    public static object? Union(List<object?> values)
    {
        if (values.All(v => v is List<object?>))
        {
            return values.SelectMany(v => (List<object?>)v!).Aggregate(new List<object?>(), (all, v) =>
            {
                if (!all.Any(a => Same(a, v)))
                {
                    all.Add(v);
                }

                return all;
            });
        }

        var result = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        foreach (var value in values)
        {
            foreach (var (key, v) in value as Dictionary<string, object?> ?? throw new ArmEvaluationException("union() of " + Render(value)))
            {
                result[key] = v;
            }
        }

        return result;
    }
}
