using System.Reflection;
using System.Text.Json.Nodes;
using Helpdesk.Api.Common;
using Helpdesk.Api.Tests.Infrastructure;

namespace Helpdesk.Api.Tests.Hosting;

/// <summary>
/// The OpenAPI 3.1 document tells the truth about errors and names: every operation is named and
/// summarised, every error is the one Problem schema the API really sends (trace id, errors, its
/// type URIs listed once) behind a shared response per status, and required request members are
/// not nullable.
/// </summary>
public sealed class OpenApiDocumentTests(HelpdeskApp app) : IClassFixture<HelpdeskApp>
{
    private static readonly string[] Methods = ["get", "post", "put", "patch", "delete"];

    [Fact]
    public async Task Every_operation_has_a_unique_operation_id_and_a_summary()
    {
        var operations = Operations(await DocumentAsync()).ToList();

        operations.Count.ShouldBeGreaterThan(100);
        foreach (var (method, path, operation) in operations)
        {
            operation["operationId"]?.GetValue<string>().ShouldNotBeNullOrWhiteSpace($"{method} {path} has no operationId");
            operation["summary"]?.GetValue<string>().ShouldNotBeNullOrWhiteSpace($"{method} {path} has no summary");
        }

        operations.Select(o => o.Operation["operationId"]!.GetValue<string>()).ShouldBeUnique();
    }

    [Fact]
    public async Task Every_error_answer_is_a_shared_response_with_the_problem_schema()
    {
        var document = await DocumentAsync();
        var responses = document["components"]!["responses"]!.AsObject();

        foreach (var (method, path, operation) in Operations(document))
        {
            foreach (var (status, response) in operation["responses"]!.AsObject().Where(r => int.Parse(r.Key, System.Globalization.CultureInfo.InvariantCulture) >= 400))
            {
                if ((method, path, status) == ("get", "/api/health", "503"))
                {
                    // The one error with a body of its own: a monitor reads the same {status} as on the 200.
                    response!["content"]!.AsObject().Select(c => c.Key).ShouldBe(["application/json"]);
                    response["content"]!["application/json"]!["schema"]!["$ref"]!.GetValue<string>().ShouldBe("#/components/schemas/StoreHealth");
                    continue;
                }

                if (method == "get" && path is ("/api/health/live" or "/api/health/ready") && status == "503")
                {
                    // The probes: {status} for a monitor, a problem naming the failed checks for an admin.
                    response!["content"]!.AsObject().Select(c => c.Key).ShouldBe(["application/json", "application/problem+json"], ignoreOrder: true);
                    response["content"]!["application/json"]!["schema"]!["$ref"]!.GetValue<string>().ShouldBe("#/components/schemas/HealthProbe");
                    response["content"]!["application/problem+json"]!["schema"]!["$ref"]!.GetValue<string>().ShouldBe("#/components/schemas/Problem");
                    continue;
                }

                var reference = response!["$ref"]?.GetValue<string>();
                reference.ShouldNotBeNull($"{method} {path} {status} is not a shared problem response");
                responses.ContainsKey(reference.Split('/')[^1]).ShouldBeTrue(reference);
            }
        }

        foreach (var (name, response) in responses)
        {
            response!["content"]!["application/problem+json"]!["schema"]!["$ref"]!.GetValue<string>().ShouldBe("#/components/schemas/Problem", name);
        }

        var schemas = document["components"]!["schemas"]!.AsObject();
        schemas.ContainsKey("ProblemDetails").ShouldBeFalse();
        schemas.ContainsKey("HttpValidationProblemDetails").ShouldBeFalse();
    }

    [Fact]
    public async Task The_problem_schema_has_the_members_every_error_carries_and_lists_each_problem_type_once()
    {
        var problem = (await DocumentAsync())["components"]!["schemas"]!["Problem"]!;
        var description = problem["description"]!.GetValue<string>();

        problem["properties"]!.AsObject().Select(p => p.Key).ShouldBe(["type", "title", "status", "detail", "instance", "traceId", "errors"], ignoreOrder: true);
        problem["required"]!.AsArray().Select(r => r!.GetValue<string>()).ShouldBe(["type", "title", "status", "traceId"], ignoreOrder: true);
        foreach (var type in typeof(ProblemTypes).GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!))
        {
            (description.Split(type).Length - 1).ShouldBe(1, type);
        }

        var answer = await (await app.ClientFor("agent").GetAsync("/api/tickets/tkt_missing")).Json();
        foreach (var member in problem["required"]!.AsArray())
        {
            answer[member!.GetValue<string>()].ShouldNotBeNull(member.GetValue<string>());
        }
    }

    [Theory]
    [InlineData("/api/tickets/{id}", "get", new[] { "401", "403", "400", "404", "429" })]
    [InlineData("/api/tickets", "post", new[] { "401", "403", "400", "409", "413", "415", "422", "429" })]
    [InlineData("/api/tickets/{id}", "patch", new[] { "400", "401", "403", "404", "409", "412", "413", "415", "428", "429" })]
    [InlineData("/api/accounts/{id}", "put", new[] { "400", "401", "403", "404", "409", "412", "413", "415", "428", "429" })]
    [InlineData("/api/tickets/{id}/timer", "delete", new[] { "400", "401", "403", "404", "409", "429" })]
    [InlineData("/api/graph/notifications", "post", new[] { "400", "401", "409", "422", "429" })]
    [InlineData("/api/health", "get", new[] { "429", "503" })]
    [InlineData("/api/health/ready", "get", new[] { "429", "503" })]
    public async Task Each_operation_lists_the_statuses_a_route_of_its_shape_can_answer(string path, string method, string[] statuses)
    {
        var responses = (await DocumentAsync())["paths"]![path]![method]!["responses"]!.AsObject();

        responses.Select(r => r.Key).Where(k => k[0] is '4' or '5').ShouldBe(statuses, ignoreOrder: true);
    }

    [Theory]
    [InlineData("CreateTicketRequest", "subject")]
    [InlineData("AccountRequest", "name")]
    [InlineData("TimeEntryRequest", "minutes")]
    public async Task A_required_request_member_is_not_nullable(string schema, string member)
    {
        var request = (await DocumentAsync())["components"]!["schemas"]![schema]!;

        request["required"]!.AsArray().Select(r => r!.GetValue<string>()).ShouldContain(member);
        var property = request["properties"]![member]!;
        property["oneOf"].ShouldBeNull();
        (property["type"] is JsonArray types ? types.Select(t => t!.GetValue<string>()) : [property["type"]!.GetValue<string>()]).ShouldNotContain("null");
    }

    /// <summary>
    /// A request may leave out a member it may send as null, so no schema a request body reaches
    /// requires a nullable member, shared with answers or not; an answer's schema of its own keeps
    /// required every member the API always sends, null included (an SLA escalation level's
    /// minutesAfterBreach, a holiday's end and name).
    /// </summary>
    [Fact]
    public async Task No_request_schema_requires_a_nullable_member_and_answers_keep_those_they_always_send()
    {
        var document = await DocumentAsync();
        var schemas = document["components"]!["schemas"]!.AsObject();
        var operations = Operations(document).Select(o => o.Operation).ToList();
        var requests = Reachable(schemas, operations.Select(o => o["requestBody"]));

        var requiredNullable = requests
            .SelectMany(name => ((schemas[name]!["required"] as JsonArray) ?? []).Select(r => r!.GetValue<string>())
                .Where(member => AllowsNull(schemas[name]!["properties"]?[member]))
                .Select(member => $"{name}.{member}"))
            .ToList();

        requests.Count.ShouldBeGreaterThan(40);
        requiredNullable.ShouldBeEmpty();
        requests.ShouldNotContain("EscalationLevel");
        requests.ShouldNotContain("Holiday");
        foreach (var (schema, member) in new[] { ("EscalationLevel", "minutesAfterBreach"), ("Holiday", "to"), ("Holiday", "name") })
        {
            schemas[schema]!["required"]!.AsArray().Select(r => r!.GetValue<string>()).ShouldContain(member, schema);
            AllowsNull(schemas[schema]!["properties"]![member]).ShouldBeTrue($"{schema}.{member}");
        }
    }

    /// <summary>The component schemas these nodes lead to, references followed.</summary>
    private static HashSet<string> Reachable(JsonObject schemas, IEnumerable<JsonNode?> roots)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<JsonNode>(roots.OfType<JsonNode>());
        while (pending.TryPop(out var node))
        {
            if (node is JsonArray array)
            {
                array.OfType<JsonNode>().ToList().ForEach(pending.Push);
            }
            else if (node is JsonObject value)
            {
                if (value["$ref"]?.GetValue<string>() is { } reference && reference.Split('/')[^1] is var name && schemas.ContainsKey(name) && seen.Add(name))
                {
                    pending.Push(schemas[name]!);
                }

                value.Where(p => p.Key != "$ref").Select(p => p.Value).OfType<JsonNode>().ToList().ForEach(pending.Push);
            }
        }

        return seen;
    }

    private static bool AllowsNull(JsonNode? property) =>
        property?["type"] is JsonArray types ? types.Any(t => t!.GetValue<string>() == "null")
        : property?["type"]?.GetValue<string>() == "null"
        || (property?["oneOf"] as JsonArray ?? []).Any(a => AllowsNull(a))
        || (property?["enum"] as JsonArray ?? []).Any(e => e is null);

    private async Task<JsonNode> DocumentAsync() => await (await app.CreateClient().GetAsync("/api/openapi/v1.json")).Json();

    private static IEnumerable<(string Method, string Path, JsonNode Operation)> Operations(JsonNode document) =>
        document["paths"]!.AsObject().SelectMany(path => path.Value!.AsObject()
            .Where(o => Methods.Contains(o.Key))
            .Select(o => (o.Key, path.Key, o.Value!)));
}
