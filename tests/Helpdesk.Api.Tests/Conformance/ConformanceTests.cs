using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Storage;
using Microsoft.Extensions.DependencyInjection;
using Helpdesk.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Helpdesk.Api.Tests.Conformance;

/// <summary>
/// The conformance suite, driven by the served OpenAPI document: every operation it lists gets
/// hostile requests (odd path ids, bad query values, a body that is not an object, cut or
/// nested 5000 deep, every member null, every string member a lone surrogate or huge, each
/// member of the wrong type, no body), as an agent and without a token; and each operation is
/// called once as every role and anonymously with its documented example body. Each answer must
/// be below 500, one of the statuses the operation documents, of the content type declared for
/// that status and valid against the schema declared for it (<see cref="SchemaValidator"/>), and
/// every error a problem+json; every 400 names what it refuses in <c>errors</c>. The requests are the same on every run (no
/// randomness), and the counts are printed. Each class of bad input is sent once per operation
/// (all members at once where one body can carry it) so the whole document costs well under a
/// minute: a new operation is covered without a line here.
/// </summary>
public sealed class ConformanceTests(HelpdeskApp app, ITestOutputHelper output) : IClassFixture<HelpdeskApp>
{
    private const string Surrogate = "__LONE_SURROGATE__";
    private static readonly string[] Methods = ["get", "post", "put", "patch", "delete"];
    private static readonly string[] OddIds = [new string('x', 2000), "a b..%00\u00e9\u4e2d\ud83d\ude00'; DROP TABLE tickets;--"];
    private static readonly string[] OddQueryValues = ["99999999999999999999", "%FF%FE"];

    /// <summary>The JSON reader's reasons (BindingFailures): a body refused for its shape, not its meaning.</summary>
    private static readonly string[] ShapeReasons = ["The body is not valid JSON", "The value is not", "could not be read", "parameter is required", "Unknown property"];

    [Fact]
    public async Task Every_operation_answers_hostile_input_with_a_documented_problem_and_never_a_5xx()
    {
        var document = await (await app.CreateClient().GetAsync("/api/openapi/v1.json")).Json();
        var agent = app.ClientFor(Roles.Agent);
        var anonymous = app.CreateClient();
        var ticketId = (await agent.OpenTicketAsync())["id"]!.GetValue<string>();
        var tally = new Tally(document);

        foreach (var (method, path, operation) in Operations(document))
        {
            tally.Operations++;
            foreach (var (anonymousCall, request, sentBody) in Requests(document, method, path, operation, ticketId))
            {
                using var response = await (anonymousCall ? anonymous : agent).SendAsync(request);
                await tally.CheckAsync(method, operation, request, sentBody, response);
            }
        }

        tally.Report(output, "hostile input as an agent and anonymously");
    }

    /// <summary>
    /// Each operation once as each role and anonymously, with a body of the right shape where it
    /// takes one (its documented example), on an existing ticket: the answer is a status the
    /// operation documents (a 401 or 403 only where it says so), its body valid against the schema
    /// declared for that status.
    /// </summary>
    [Fact]
    public async Task Every_operation_answers_every_role_with_a_status_it_documents_and_a_body_of_its_schema()
    {
        var document = await (await app.CreateClient().GetAsync("/api/openapi/v1.json")).Json();
        var ticketId = (await app.ClientFor(Roles.Agent).OpenTicketAsync())["id"]!.GetValue<string>();
        var callers = new (string Name, HttpClient Client)[]
        {
            ("anonymous", app.CreateClient()),
            (Roles.Customer, app.ClientFor(Roles.Customer, "alice@conformance.test", "con_conformance")),
            (Roles.Agent, app.ClientFor(Roles.Agent)),
            (Roles.Supervisor, app.ClientFor(Roles.Supervisor, "sam@helpdesk.test")),
            (Roles.Admin, app.Admin),
        };
        var tally = new Tally(document);

        foreach (var (method, path, operation) in Operations(document))
        {
            tally.Operations++;
            var pathNames = ParameterNames(operation, "path");
            var realPath = Fill(path, pathNames, name => name.Contains("ticket", StringComparison.OrdinalIgnoreCase) || (name == "id" && path.StartsWith("/api/tickets/", StringComparison.Ordinal)) ? ticketId : "x_missing");
            var example = Example(document, operation);
            foreach (var (_, client) in callers)
            {
                using var request = Message(method, realPath, example);
                using var response = await client.SendAsync(request);
                await tally.CheckAsync(method, operation, request, example, response);
            }
        }

        tally.Report(output, $"each operation as {string.Join(", ", callers.Select(c => c.Name))}");
    }

    /// <summary>
    /// Every JSON request body has an example, valid against its schema, that the operation reads
    /// as sent: answered as the admin (a customer on the portal) with anything but a 400 about the
    /// body's shape (the JSON reader's refusals). A 400 about what a value means (an example id
    /// that names no entry) is printed, not failed: the example cannot know the caller's data.
    /// </summary>
    [Fact]
    public async Task Every_request_body_has_an_example_of_its_schema_that_is_read_as_sent()
    {
        var document = await (await app.CreateClient().GetAsync("/api/openapi/v1.json")).Json();
        var validator = new SchemaValidator(document);
        var ticketId = (await app.ClientFor(Roles.Agent).OpenTicketAsync())["id"]!.GetValue<string>();
        var customer = app.ClientFor(Roles.Customer, "bob@conformance.test", "con_examples");
        var (bodies, findings, meanings) = (0, new List<string>(), new List<string>());

        foreach (var (method, path, operation) in Operations(document))
        {
            if (BodySchema(document, operation) is not { } schema)
            {
                continue;
            }

            bodies++;
            var what = $"{method.ToUpperInvariant()} {path}";
            if (Example(document, operation) is not { } example)
            {
                findings.Add($"{what}: no example");
                continue;
            }

            findings.AddRange(validator.Violations(schema, JsonNode.Parse(example)).Select(v => $"{what}: the example breaks its schema at {v}"));
            var realPath = Fill(path, ParameterNames(operation, "path"), name => name.Contains("ticket", StringComparison.OrdinalIgnoreCase) || (name == "id" && path.StartsWith("/api/tickets/", StringComparison.Ordinal)) ? ticketId : "x_missing");
            using var response = await (path.StartsWith("/api/portal/", StringComparison.Ordinal) ? customer : app.Admin).SendAsync(Message(method, realPath, example));
            if (response.StatusCode != System.Net.HttpStatusCode.BadRequest)
            {
                continue;
            }

            var errors = (await response.Json())["errors"]!.AsObject().Select(e => $"{e.Key}: {string.Join(" ", e.Value!.AsArray())}").ToList();
            (errors.Any(e => ShapeReasons.Any(reason => e.Contains(reason, StringComparison.Ordinal))) ? findings : meanings).Add($"{what} {example} -> 400 {string.Join("; ", errors)}");
        }

        output.WriteLine($"Request bodies {bodies}, findings {findings.Count}, refused for what a value means {meanings.Count}");
        foreach (var line in findings.Concat(meanings))
        {
            output.WriteLine(line);
        }

        bodies.ShouldBeGreaterThan(40);
        findings.ShouldBeEmpty(string.Join('\n', findings.Take(40)));
    }

    /// <summary>
    /// The health route's other answer, which a healthy test app never gives: with a store that
    /// does not answer, the 503 an anonymous monitor and an admin get is the status, content type
    /// and body the document declares for it.
    /// </summary>
    [Fact]
    public async Task The_health_answer_of_a_store_that_does_not_answer_is_the_one_the_document_declares()
    {
        using var down = new HelpdeskApp().WithServices(services => services.AddSingleton<IStoreHealth>(new StoreDown()));
        var document = await (await down.CreateClient().GetAsync("/api/openapi/v1.json")).Json();
        var tally = new Tally(document, storeDown: true);

        foreach (var (method, path, operation) in Operations(document).Where(o => o.Path.StartsWith("/api/health", StringComparison.Ordinal)))
        {
            tally.Operations++;
            foreach (var client in new[] { down.CreateClient(), down.Admin })
            {
                using var request = Message(method, path, null);
                using var response = await client.SendAsync(request);
                // Liveness asks nothing of the store: the process answers, so it is alive.
                response.StatusCode.ShouldBe(path == "/api/health/live" ? System.Net.HttpStatusCode.OK : System.Net.HttpStatusCode.ServiceUnavailable, path);
                await tally.CheckAsync(method, operation, request, null, response);
            }
        }

        tally.Report(output, "health with the store down", minimumOperations: 1);
    }

    private sealed class StoreDown : IStoreHealth
    {
        public Task<bool> IsHealthyAsync(CancellationToken cancellationToken) => Task.FromResult(false);

        public Task<IReadOnlyList<string>> MissingSchemaAsync(CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<string>>(["the whole store"]);
    }

    private static IEnumerable<(bool Anonymous, HttpRequestMessage Request, string? Body)> Requests(JsonNode document, string method, string path, JsonNode operation, string ticketId)
    {
        var pathNames = ParameterNames(operation, "path");
        var queryNames = ParameterNames(operation, "query");
        var realPath = Fill(path, pathNames, name => name.Contains("ticket", StringComparison.OrdinalIgnoreCase) || (name == "id" && path.StartsWith("/api/tickets/", StringComparison.Ordinal)) ? ticketId : "x_missing");
        var schema = BodySchema(document, operation);
        var empty = schema is null ? null : "{}";

        yield return (true, Message(method, realPath, empty), empty);
        if (schema is null)
        {
            yield return (false, Message(method, realPath, null), null);
        }

        foreach (var odd in pathNames.Count == 0 ? [] : OddIds)
        {
            yield return (false, Message(method, Fill(path, pathNames, _ => odd), empty), empty);
        }

        foreach (var name in queryNames)
        {
            foreach (var value in OddQueryValues)
            {
                var encoded = value.StartsWith('%') ? value : Uri.EscapeDataString(value);
                yield return (false, Message(method, $"{realPath}?{Uri.EscapeDataString(name)}={encoded}", empty), empty);
            }
        }

        foreach (var body in schema is null ? [] : Bodies(document, schema))
        {
            yield return (false, Message(method, realPath, body), body);
        }
    }

    /// <summary>
    /// Bodies a careless or hostile client sends: not an object, cut, nested, an unknown member;
    /// then, one body each, every member null, every string member a lone surrogate, every string
    /// member 20 000 characters long, every number 1e400; then each member alone of the wrong
    /// type, since the JSON reader stops at the first one.
    /// </summary>
    private static IEnumerable<string> Bodies(JsonNode document, JsonNode schema)
    {
        yield return "null";
        yield return "[]";
        yield return "{";
        yield return "{\"unknown\": 1}";
        yield return new string('[', 5000) + new string(']', 5000);
        var members = (Resolve(document, schema)?["properties"] as JsonObject ?? [])
            .Select(p => (Name: p.Key, Types: TypesOf(Resolve(document, p.Value!)).ToList()))
            .ToList();
        var strings = members.Where(m => m.Types.Contains("string")).Select(m => m.Name).ToList();
        var numbers = members.Where(m => m.Types.Contains("integer") || m.Types.Contains("number")).Select(m => m.Name).ToList();
        var every = new (IReadOnlyList<string> Names, string Value)[]
        {
            (members.Select(m => m.Name).ToList(), "null"),
            (strings, $"\"{Surrogate}\""),
            (strings, $"\"{new string('s', 20_000)}\""),
            (numbers, "1e400"),
        };
        foreach (var (names, value) in every.Where(e => e.Names.Count > 0))
        {
            yield return Body(names.Select(name => (name, value)));
        }

        foreach (var (name, types) in members)
        {
            yield return Body([(name, types.Contains("string") ? "12345" : "\"wrong type\"")]);
        }
    }

    private static string Body(IEnumerable<(string Name, string Value)> members) =>
        "{" + string.Join(", ", members.Select(m => $"{JsonValue.Create(m.Name).ToJsonString()}: {m.Value}")) + "}";

    private static HttpRequestMessage Message(string method, string path, string? body)
    {
        var request = new HttpRequestMessage(new HttpMethod(method.ToUpperInvariant()), path);
        if (body is not null)
        {
            var text = body.Replace(Surrogate, "\\ud800", StringComparison.Ordinal);
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(text)) { Headers = { ContentType = new MediaTypeHeaderValue(method == "patch" ? "application/merge-patch+json" : "application/json") } };
        }

        return request;
    }

    private static string Fill(string path, IEnumerable<string> names, Func<string, string> value) =>
        names.Aggregate(path, (current, name) => current.Replace("{" + name + "}", Uri.EscapeDataString(value(name)), StringComparison.Ordinal));

    private static JsonNode? BodySchema(JsonNode document, JsonNode operation)
    {
        var content = Resolve(document, operation["requestBody"])?["content"] as JsonObject;
        return content?.FirstOrDefault(c => c.Key.Contains("json", StringComparison.Ordinal)).Value?["schema"];
    }

    private static JsonNode? Resolve(JsonNode document, JsonNode? node)
    {
        while (node?["$ref"]?.GetValue<string>() is { } reference)
        {
            node = reference.TrimStart('#').Split('/', StringSplitOptions.RemoveEmptyEntries).Aggregate((JsonNode?)document, (n, segment) => n?[segment]);
        }

        return node?["oneOf"] is JsonArray alternatives ? Resolve(document, alternatives.FirstOrDefault(a => a?["type"]?.GetValue<string>() != "null")) : node;
    }

    private static IEnumerable<string> TypesOf(JsonNode? schema) => schema?["type"] switch
    {
        JsonArray types => types.Select(t => t!.GetValue<string>()),
        JsonValue type => [type.GetValue<string>()],
        _ => [],
    };

    private static bool Documented(JsonNode operation, int status)
    {
        var responses = operation["responses"]!.AsObject();
        return responses.ContainsKey(status.ToString(CultureInfo.InvariantCulture)) || responses.ContainsKey("default");
    }

    private static string Shorten(string text) => text.Length > 120 ? text[..120] + "..." : text;

    private static List<string> ParameterNames(JsonNode operation, string where) =>
        (operation["parameters"] as JsonArray ?? []).Where(p => p!["in"]?.GetValue<string>() == where).Select(p => p!["name"]!.GetValue<string>()).ToList();

    /// <summary>The example the document gives for the operation's JSON body, as sent (null when it takes none).</summary>
    private static string? Example(JsonNode document, JsonNode operation)
    {
        var content = Resolve(document, operation["requestBody"])?["content"] as JsonObject;
        return content?.FirstOrDefault(c => c.Key.Contains("json", StringComparison.Ordinal)).Value?["example"]?.ToJsonString();
    }

    /// <summary>
    /// What one run found: the counts it prints and every finding, failing on any. A run against
    /// a store that is down (<paramref name="storeDown"/>) expects the 503 that says so; any other
    /// 5xx is a finding.
    /// </summary>
    private sealed class Tally(JsonNode document, bool storeDown = false)
    {
        private readonly SchemaValidator _validator = new(document);
        private readonly List<string> _findings = [];
        private int _sent;
        private int _serverErrors;
        private int _undocumented;
        private int _schemaViolations;

        public int Operations { get; set; }

        public async Task CheckAsync(string method, JsonNode operation, HttpRequestMessage request, string? sentBody, HttpResponseMessage response)
        {
            _sent++;
            var status = (int)response.StatusCode;
            var body = await response.Content.ReadAsStringAsync();
            var what = $"{method.ToUpperInvariant()} {Shorten(request.RequestUri!.ToString())} ({Shorten(sentBody ?? "no body")}) -> {status}";
            if (status >= 500 && !(storeDown && status == 503))
            {
                _serverErrors++;
                _findings.Add($"{what}: server error {Shorten(body)}");
                return;
            }

            var responses = operation["responses"]!.AsObject();
            var declared = Resolve(document, responses[status.ToString(CultureInfo.InvariantCulture)] ?? responses["default"]);
            if (declared is null)
            {
                _undocumented++;
                _findings.Add($"{what}: status not documented");
                return;
            }

            // An error is a problem unless the document declares another body for its status (the health answers' 503); that one is checked as declared below.
            var mediaType = response.Content.Headers.ContentType?.MediaType;
            var declaredOwnBody = declared["content"] is JsonObject { Count: > 0 } content && mediaType is not null && mediaType != "application/problem+json" && content.ContainsKey(mediaType);
            if (status >= 400 && !declaredOwnBody && mediaType != "application/problem+json")
            {
                _findings.Add($"{what}: not problem+json ({response.Content.Headers.ContentType})");
            }
            else if (status == 400 && JsonNode.Parse(body)?["errors"] is not JsonObject { Count: > 0 })
            {
                _findings.Add($"{what}: a 400 naming nothing {Shorten(body)}");
            }

            foreach (var violation in Violations(operation, declared, response, body))
            {
                _schemaViolations++;
                _findings.Add($"{what}: {violation}");
            }
        }

        /// <summary>The answer against the content the document declares for its status: the content type, then the JSON body against its schema.</summary>
        private IEnumerable<string> Violations(JsonNode operation, JsonNode declared, HttpResponseMessage response, string body)
        {
            var mediaType = response.Content.Headers.ContentType?.MediaType;
            if (declared["content"] is not JsonObject { Count: > 0 } content)
            {
                return body.Length > 0 && mediaType is not null && mediaType.EndsWith("json", StringComparison.Ordinal)
                    ? [$"a {mediaType} body for a status that declares no content"]
                    : [];
            }

            if (mediaType is null || !(content.ContainsKey(mediaType) || content.ContainsKey("*/*")))
            {
                return [$"content type {mediaType ?? "(none)"} is not the declared {string.Join(", ", content.Select(c => c.Key))}"];
            }

            if (!mediaType.EndsWith("json", StringComparison.Ordinal))
            {
                return [];
            }

            JsonNode? value;
            try
            {
                value = JsonNode.Parse(body);
            }
            catch (System.Text.Json.JsonException e)
            {
                return [$"the body is not JSON ({e.Message})"];
            }

            return _validator.Violations(content[mediaType]!["schema"], value).Select(v => $"schema violation {v}");
        }

        public void Report(ITestOutputHelper output, string run, int minimumOperations = 100)
        {
            output.WriteLine($"Conformance ({run}): operations covered {Operations}, requests sent {_sent}, 5xx {_serverErrors}, undocumented statuses {_undocumented}, schema violations {_schemaViolations}, other findings {_findings.Count - _serverErrors - _undocumented - _schemaViolations}");
            foreach (var finding in _findings)
            {
                output.WriteLine(finding);
            }

            Operations.ShouldBeGreaterThanOrEqualTo(minimumOperations);
            _findings.ShouldBeEmpty(string.Join('\n', _findings.Take(40)));
        }
    }

    private static IEnumerable<(string Method, string Path, JsonNode Operation)> Operations(JsonNode document) =>
        document["paths"]!.AsObject().SelectMany(path => path.Value!.AsObject()
            .Where(o => Methods.Contains(o.Key))
            .Select(o => (o.Key, path.Key, o.Value!)));
}
