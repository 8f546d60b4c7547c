using System.Text.Json.Nodes;
using Helpdesk.Api.Tests.Hosting;

namespace Helpdesk.Api.Tests.Packaging;

/// <summary>The deployable files of the repository: host.json, functions/*/function.json, the sample settings.</summary>
internal static class PackageFiles
{
    public static string Root { get; } = SystemTests.RepositoryRoot();

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    public static JsonNode Json(params string[] parts) =>
        JsonNode.Parse(File.ReadAllText(PathOf(parts)), documentOptions: new System.Text.Json.JsonDocumentOptions { CommentHandling = System.Text.Json.JsonCommentHandling.Skip })!;

    /// <summary>Every function of the package: its folder name and its parsed function.json.</summary>
    public static IReadOnlyList<FunctionDefinition> Functions() =>
        [.. System.IO.Directory.GetDirectories(PathOf("functions"))
            .Where(d => File.Exists(Path.Combine(d, "function.json")))
            .Select(d => new FunctionDefinition(Path.GetFileName(d), Json("functions", Path.GetFileName(d), "function.json")))
            .OrderBy(f => f.Name, StringComparer.Ordinal)];

    /// <summary>The keys of local.settings.sample.json's Values.</summary>
    public static IReadOnlySet<string> SampleSettings() =>
        Json("local.settings.sample.json")["Values"]!.AsObject().Select(p => p.Key).ToHashSet(StringComparer.Ordinal);
}

internal sealed record FunctionDefinition(string Name, JsonNode Json)
{
    public IReadOnlyList<JsonObject> Bindings => [.. Json["bindings"]!.AsArray().Select(b => b!.AsObject())];

    public JsonObject Trigger => Bindings.Single(b => Direction(b) == "in" && Type(b).EndsWith("Trigger", StringComparison.Ordinal));

    public IEnumerable<JsonObject> Outputs => Bindings.Where(b => Direction(b) == "out");

    /// <summary>An HTTP function the host cannot proxy (it has an input binding besides its trigger): the app gets its envelope at <c>/{Name}</c>.</summary>
    public bool IsEnvelopeHttp => Type(Trigger) == "httpTrigger" && Bindings.Any(b => Direction(b) == "in" && !Type(b).EndsWith("Trigger", StringComparison.Ordinal));

    public static string Type(JsonObject binding) => binding["type"]!.GetValue<string>();

    public static string Direction(JsonObject binding) => binding["direction"]!.GetValue<string>();

    public static string? Text(JsonObject binding, string property) => binding[property]?.GetValue<string>();

    /// <summary>The app settings a binding reads: <c>%Name%</c> expressions and identity-based connection prefixes.</summary>
    public IEnumerable<string> SettingExpressions() =>
        Bindings.SelectMany(b => b.Select(p => p.Value)).OfType<JsonValue>()
            .Select(v => v.TryGetValue<string>(out var s) ? s : null)
            .Where(s => s is { Length: > 2 } && s[0] == '%' && s[^1] == '%')
            .Select(s => s![1..^1]);

    /// <summary>The connection settings the bindings name (<c>connection</c>; the SignalR bindings' <c>connectionStringSetting</c>).</summary>
    public IEnumerable<string> Connections() => Bindings.Select(b => Text(b, "connection") ?? Text(b, "connectionStringSetting")).OfType<string>();
}
