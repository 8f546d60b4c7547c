using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Helpdesk.Api.Tests.Cosmos;
using Helpdesk.Api.Tests.Infrastructure;
using Helpdesk.Api.Webhooks;

namespace Helpdesk.Api.Tests.Hosting;

/// <summary>
/// The Swagger 2.0 document as Power Automate imports it (AZURE-FUNCTIONS.md): valid for a real
/// validator, small enough, every operation named and summarised, OAuth 2.0 through Entra ID,
/// and the webhook subscription declared as a trigger.
/// </summary>
public sealed partial class PowerAutomateConnectorTests : IClassFixture<PowerAutomateConnectorTests.ConnectorApp>
{
    private readonly ConnectorApp _app;

    public PowerAutomateConnectorTests(ConnectorApp app) => _app = app;

    public sealed class ConnectorApp : HelpdeskApp
    {
        public const string Audience = "api://11111111-2222-3333-4444-555555555555";

        public ConnectorApp()
        {
            With("Auth:Authority", "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0");
            With("Auth:Audience", Audience);
        }
    }

    [Fact]
    public async Task The_swagger_2_0_document_passes_swagger_cli_and_stays_under_a_megabyte()
    {
        var text = await _app.CreateClient().GetStringAsync("/api/openapi/v2.json");
        var file = Path.Combine(_app.DataFolder, "apiDefinition.swagger.json");
        System.IO.Directory.CreateDirectory(_app.DataFolder);
        await File.WriteAllTextAsync(file, text);

        var (exitCode, output) = await SwaggerCliAsync(file);

        exitCode.ShouldBe(0, output);
        System.Text.Encoding.UTF8.GetByteCount(text).ShouldBeLessThan(1024 * 1024);
        JsonNode.Parse(text)!["swagger"]!.GetValue<string>().ShouldBe("2.0");
    }

    [Fact]
    public async Task Every_operation_has_a_unique_verb_first_operation_id_and_a_short_summary()
    {
        var operations = Operations(await DocumentAsync()).ToList();

        operations.Count.ShouldBeGreaterThan(50);
        foreach (var (method, path, operation) in operations)
        {
            var id = operation["operationId"]?.GetValue<string>();
            id.ShouldNotBeNull($"{method} {path} has no operationId");
            VerbFirst().IsMatch(id).ShouldBeTrue($"{method} {path}: '{id}' does not start with a known verb (name the route with a verb, or add a real verb to VerbFirst)");
            var summary = operation["summary"]?.GetValue<string>();
            summary.ShouldNotBeNullOrWhiteSpace($"{method} {path} has no summary");
            summary.Length.ShouldBeLessThanOrEqualTo(80, $"{method} {path}");
            summary.EndsWith('.').ShouldBeFalse($"{method} {path}: a summary is a label, not a sentence");
        }

        operations.Select(o => o.Operation["operationId"]!.GetValue<string>()).ShouldBeUnique();
    }

    [Fact]
    public async Task Routes_without_an_explicit_name_get_one_from_their_method_and_resource()
    {
        var document = await DocumentAsync();

        OperationId(document, "/api/accounts", "get").ShouldBe("ListAccounts");
        OperationId(document, "/api/accounts", "post").ShouldBe("CreateAccount");
        OperationId(document, "/api/sla-policies/{id}", "get").ShouldBe("GetSlaPolicy");
        OperationId(document, "/api/canned-responses/{id}", "put").ShouldBe("UpdateCannedResponse");
        OperationId(document, "/api/teams/{id}", "delete").ShouldBe("DeleteTeam");
        OperationId(document, "/api/tickets/{id}/messages", "post").ShouldBe("PostMessage");
    }

    [Fact]
    public async Task Sign_in_is_oauth_2_0_against_the_configured_entra_id_tenant_and_anonymous_routes_need_none()
    {
        var document = await DocumentAsync();

        var scheme = document["securityDefinitions"]!["entraId"]!;
        scheme["type"]!.GetValue<string>().ShouldBe("oauth2");
        scheme["flow"]!.GetValue<string>().ShouldBe("accessCode");
        scheme["authorizationUrl"]!.GetValue<string>().ShouldBe("https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize");
        scheme["tokenUrl"]!.GetValue<string>().ShouldBe("https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token");
        scheme["scopes"]!.AsObject().Select(s => s.Key).ShouldBe([$"{ConnectorApp.Audience}/user_impersonation"]);

        Operation(document, "/api/tickets", "get")["security"]![0]!["entraId"]![0]!.GetValue<string>().ShouldBe($"{ConnectorApp.Audience}/user_impersonation");
        (Operation(document, "/api/health", "get")["security"]?.AsArray() ?? []).ShouldBeEmpty();
        (Operation(document, "/api/graph/notifications", "post")["security"]?.AsArray() ?? []).ShouldBeEmpty();
        (Operation(document, "/api/csat/{token}", "post")["security"]?.AsArray() ?? []).ShouldBeEmpty();
    }

    [Fact]
    public async Task The_webhook_subscription_is_a_trigger_with_its_notification_schema_and_callback_field()
    {
        var document = await DocumentAsync();
        var path = document["paths"]!["/api/hooks"]!;
        var subscribe = path["post"]!;

        subscribe["x-ms-trigger"]!.GetValue<string>().ShouldBe("single");
        subscribe["summary"]!.GetValue<string>().ShouldBe("When a ticket event occurs");
        subscribe["responses"]!["201"]!["schema"]!["$ref"]!.GetValue<string>().ShouldBe("#/definitions/HookResponse");
        var payload = path["x-ms-notification-content"]!["schema"]!["$ref"]!.GetValue<string>();
        payload.ShouldBe("#/definitions/WebhookPayload");
        document["definitions"]!["WebhookPayload"]!["properties"]!.AsObject().Select(p => p.Key)
            .ShouldBe(["id", "event", "type", "occurredAt", "ticketId", "ticket", "data"], ignoreOrder: true);

        var request = document["definitions"]!["CreateHookRequest"]!;
        var callback = request["properties"]!["notificationUrl"]!;
        callback["x-ms-notification-url"]!.GetValue<bool>().ShouldBeTrue();
        callback["x-ms-visibility"]!.GetValue<string>().ShouldBe("internal");
        request["properties"]!["event"]!["enum"]!.AsArray().Select(e => e!.GetValue<string>()).ShouldBe(WebhookEvents.All);
        Operation(document, "/api/hooks/{id}", "delete")["x-ms-visibility"]!.GetValue<string>().ShouldBe("internal");
    }

    [Fact]
    public async Task Required_fields_are_the_ones_the_validators_require()
    {
        var document = await DocumentAsync();

        Required(document, "CreateHookRequest").ShouldBe(["notificationUrl", "event"], ignoreOrder: true);
        Required(document, "CreateTicketRequest").ShouldContain("subject");
        Required(document, "CreateTicketRequest").ShouldNotContain("tags");
    }

    [Fact]
    public async Task Nullable_references_keep_their_schema_in_swagger_2_0()
    {
        var document = await DocumentAsync();

        document["definitions"]!["CreateHookRequest"]!["properties"]!["filters"]!["$ref"]!.GetValue<string>().ShouldBe("#/definitions/WebhookFilters");
        document.ToJsonString().ShouldNotContain("\"allOf\":[{\"x-nullable\":true}]");
    }

    [Fact]
    public async Task Parameters_and_fields_carry_labels_and_visibility_for_flow_makers()
    {
        var document = await DocumentAsync();

        var getTicket = Operation(document, "/api/tickets/{id}", "get")["parameters"]![0]!;
        getTicket["x-ms-summary"]!.GetValue<string>().ShouldBe("Ticket id");
        getTicket["x-ms-visibility"]!.GetValue<string>().ShouldBe("important");
        var view = Operation(document, "/api/tickets", "get")["parameters"]!.AsArray().Single(p => p!["name"]!.GetValue<string>() == "view")!;
        view["x-ms-visibility"]!.GetValue<string>().ShouldBe("advanced");
        document["definitions"]!["CreateTicketRequest"]!["properties"]!["contactId"]!["x-ms-summary"]!.GetValue<string>().ShouldBe("Contact id");
        Operation(document, "/api/portal/tickets", "get")["x-ms-visibility"]!.GetValue<string>().ShouldBe("internal");
        Operation(document, "/api/graph/notifications", "post")["x-ms-visibility"]!.GetValue<string>().ShouldBe("internal");
        Operation(document, "/api/tickets/{id}", "get")["responses"]!["200"]!["schema"]!["$ref"]!.GetValue<string>().ShouldBe("#/definitions/TicketResponse");
    }

    [Fact]
    public void The_connector_properties_sign_in_with_entra_id_for_the_scope_the_document_declares()
    {
        var properties = JsonNode.Parse(File.ReadAllText(Path.Combine(SystemTests.RepositoryRoot(), "connector", "apiProperties.json")))!["properties"]!;
        var oauth = properties["connectionParameters"]!["token"]!;

        oauth["type"]!.GetValue<string>().ShouldBe("oauthSetting");
        var settings = oauth["oAuthSettings"]!;
        settings["identityProvider"]!.GetValue<string>().ShouldBe("aad");
        var resource = settings["customParameters"]!["resourceUri"]!["value"]!.GetValue<string>();
        settings["scopes"]!.AsArray().Select(s => s!.GetValue<string>()).ShouldBe([Api.Hosting.ApiSecurity.Scope(resource)]);
        settings["properties"]!["AzureActiveDirectoryResourceId"]!.GetValue<string>().ShouldBe(resource);
        settings["customParameters"]!["loginUri"]!["value"]!.GetValue<string>().ShouldBe("https://login.microsoftonline.com");
    }

    private async Task<JsonNode> DocumentAsync() => await (await _app.CreateClient().GetAsync("/api/openapi/v2.json")).Json();

    private static IEnumerable<(string Method, string Path, JsonNode Operation)> Operations(JsonNode document) =>
        from path in document["paths"]!.AsObject()
        from entry in path.Value!.AsObject()
        where !entry.Key.StartsWith("x-", StringComparison.Ordinal)
        select (entry.Key, path.Key, entry.Value!);

    private static JsonNode Operation(JsonNode document, string path, string method) => document["paths"]![path]![method]!;

    private static string OperationId(JsonNode document, string path, string method) => Operation(document, path, method)["operationId"]!.GetValue<string>();

    private static string[] Required(JsonNode document, string definition) =>
        document["definitions"]![definition]!["required"]?.AsArray().Select(r => r!.GetValue<string>()).ToArray() ?? [];

    private static async Task<(int ExitCode, string Output)> SwaggerCliAsync(string file)
    {
        var folder = Path.Combine(SystemTests.RepositoryRoot(), "tools", "openapi-validator");
        await NpmInstall.EnsureAsync(folder, "@apidevtools/swagger-cli");
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { Path.Combine("node_modules", "@apidevtools", "swagger-cli", "bin", "swagger-cli.js"), "validate", file })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + await errors);
    }

    [GeneratedRegex("^(List|Get|Create|Update|Delete|Put|Post|Mark|Start|Take|Wait|Reopen|Assign|Escalate|Resolve|Close|Subscribe|Unsubscribe|Search|Answer|Render|Upload|Download|Release|Drop|Redrive|Confirm|Stop|Discard|Record|Complete|Open|Receive|Merge|Unmerge|Undo|Restore|Purge|Approve|Reject|Cancel|Decide|Request|Move|Split|Send|Import|Export|Erase|Pause|Resume|Set|Remove|Add|Show|Negotiate|Convert|Reschedule|Preview|Read)[A-Z]")]
    private static partial Regex VerbFirst();
}
