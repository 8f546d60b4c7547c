using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Helpdesk.Api.Events;
using Helpdesk.Api.Storage.Cosmos;

namespace Helpdesk.Api.Tests.Packaging;

/// <summary>
/// infra-bicep/ compiled and linted with the real Bicep CLI (warnings fail), then the compiled ARM
/// template evaluated for the example parameters (<see cref="ArmDeployment"/>): the resources it
/// deploys, their role assignments, queues, containers and app settings, checked against
/// function.json, the app and local.settings.sample.json. No keys or connection strings anywhere.
/// </summary>
public sealed partial class InfraBicepTests
{
    private static readonly Lazy<ArmDeployment> s_managedIdentity = new(() => Deploy());
    private static readonly Lazy<ArmDeployment> s_clientSecret = new(() => Deploy(p =>
    {
        p["graphAuthentication"] = "clientSecret";
        p["graphClientId"] = "11111111-1111-1111-1111-111111111111";
        p["graphClientSecret"] = "a-secret";
    }));

    /// <summary>main.bicep deployed with main.parameters.json (Graph through the managed identity).</summary>
    internal static ArmDeployment ManagedIdentity => s_managedIdentity.Value;

    /// <summary>main.bicep deployed with main.parameters.json and Graph through an app registration's secret.</summary>
    internal static ArmDeployment ClientSecret => s_clientSecret.Value;

    internal static ArmDeployment[] BothGraphModes => [ManagedIdentity, ClientSecret];

    /// <summary>main.parameters.json's values, changed by <paramref name="change"/>, deployed.</summary>
    internal static ArmDeployment Deploy(Action<Dictionary<string, JsonNode?>>? change = null)
    {
        var parameters = ExampleParameters();
        change?.Invoke(parameters);
        return ArmDeployment.Evaluate(BicepCli.Main, parameters);
    }

    private static Dictionary<string, JsonNode?> ExampleParameters() =>
        PackageFiles.Json("infra-bicep", "main.parameters.json")["parameters"]!.AsObject()
            .ToDictionary(p => p.Key, p => p.Value!["value"]?.DeepClone(), StringComparer.Ordinal);

    private static string[] BicepFiles() =>
        System.IO.Directory.GetFiles(PackageFiles.PathOf("infra-bicep"), "*.bicep", SearchOption.AllDirectories);

    /// <summary>The function app's identity (the one user-assigned identity of the site).</summary>
    internal static string AppIdentityId(ArmDeployment deployment) =>
        Site(deployment).Json["identity"]!["userAssignedIdentities"]!.AsObject().ShouldHaveSingleItem().Key;

    internal static string PrincipalOf(string identityId) => $"<reference({identityId}).principalId>";

    internal static string ClientIdOf(string identityId) => $"<reference({identityId}).clientId>";

    private static ArmResource Site(ArmDeployment deployment) => deployment.Single("Microsoft.Web/sites");

    /// <summary>The app settings of the deployed function app, exactly as the site gets them.</summary>
    private static Dictionary<string, string> AppSettings(ArmDeployment deployment) =>
        Site(deployment).Properties!["siteConfig"]!["appSettings"]!.AsArray()
            .ToDictionary(s => s!["name"]!.GetValue<string>(), s => s!["value"]!.GetValue<string>(), StringComparer.Ordinal);

    [Fact]
    public void Bicep_builds_every_file_without_an_error_or_a_warning()
    {
        var build = BicepCli.Build;

        build.ExitCode.ShouldBe(0, build.Output);
        build.Diagnostics.ShouldBeEmpty(string.Join('\n', build.Diagnostics));
        foreach (var file in BicepFiles())
        {
            var relative = Path.GetRelativePath(PackageFiles.PathOf("infra-bicep"), file);
            BicepCli.CompiledFile(relative)["$schema"]!.GetValue<string>().ShouldContain("deploymentTemplate.json");
        }
    }

    [Fact]
    public void Bicep_lints_every_file_without_an_error_or_a_warning()
    {
        var lint = BicepCli.Lint;

        lint.ExitCode.ShouldBe(0, lint.Output);
        lint.Diagnostics.ShouldBeEmpty(string.Join('\n', lint.Diagnostics));
        lint.Output.ShouldContain("\"version\": \"2.1.0\"", Case.Sensitive, "bicep lint wrote its SARIF report");
    }

    [Fact]
    public async Task The_lint_check_sees_a_warning_that_leaves_bicep_lint_exit_code_at_zero()
    {
        var folder = Path.Combine(Path.GetTempPath(), "helpdesk-bicep-lint", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(folder);
        try
        {
            await File.WriteAllTextAsync(Path.Combine(folder, "unused.bicep"), "param unused string\noutput answer int = 42\n");

            var lint = await BicepCli.LintAsync(folder, "*.bicep");

            lint.ExitCode.ShouldBe(0, lint.Output);
            var diagnostic = lint.Diagnostics.ShouldHaveSingleItem(lint.Output);
            diagnostic.Rule.ShouldBe("no-unused-params");
            diagnostic.Level.ShouldBe("warning");
            diagnostic.File.ShouldEndWith("unused.bicep");
        }
        finally
        {
            System.IO.Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Every_module_file_is_deployed_by_a_module_declaration()
    {
        var referenced = BicepFiles()
            .SelectMany(file => ModuleDeclaration().Matches(File.ReadAllText(file))
                .Select(m => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, m.Groups["path"].Value))))
            .ToHashSet(StringComparer.Ordinal);

        System.IO.Directory.GetFiles(PackageFiles.PathOf("infra-bicep", "modules"), "*.bicep")
            .Select(Path.GetFullPath)
            .ShouldBeSubsetOf(referenced, "every module is deployed");
        ManagedIdentity.Modules.Select(m => m.Name).ShouldBe(
            ["identity", "alertsIdentity", "monitoring", "storage", "cosmos", "serviceBus", "signalR", "console", "functionApp"], ignoreOrder: true);
        ClientSecret.Modules.Select(m => m.Name).ShouldContain("keyVault");
    }

    [Fact]
    public void The_example_parameters_are_parameters_of_main_bicep_and_cover_the_required_ones()
    {
        var example = PackageFiles.Json("infra-bicep", "main.parameters.json")["parameters"]!.AsObject().Select(p => p.Key).ToList();
        var parameters = BicepCli.Main["parameters"]!.AsObject();

        example.ShouldBeSubsetOf(parameters.Select(p => p.Key));
        parameters.Where(p => !p.Value!.AsObject().ContainsKey("defaultValue")).Select(p => p.Key).ShouldBeSubsetOf(example);
        Should.Throw<ArmEvaluationException>(() => Deploy(p => p["graphAuthentication"] = "password")).Message.ShouldContain("not an allowed value");
    }

    [Fact]
    public void Every_queue_of_the_app_and_of_function_json_is_deployed_with_dead_lettering()
    {
        var used = PackageFiles.Functions().SelectMany(f => f.Bindings).Select(b => FunctionDefinition.Text(b, "queueName")).OfType<string>();
        var deployment = ManagedIdentity;
        var namespaceResource = deployment.Single("Microsoft.ServiceBus/namespaces");
        var queues = deployment.OfType("Microsoft.ServiceBus/namespaces/queues").ToList();
        var declared = queues.Select(q => q.Name.Split('/')[1]).ToList();

        declared.ShouldBe([QueueNames.Notifications, QueueNames.Approvals, QueueNames.Webhooks, Helpdesk.Api.Satisfaction.SendSatisfactionSurvey.Queue, Helpdesk.Api.Calendar.CalendarSetup.Queue, Helpdesk.Api.Realtime.PushChat.Queue, Helpdesk.Api.Mail.SendPrivateMessage.Queue], ignoreOrder: true);
        used.ShouldBeSubsetOf(declared);
        namespaceResource.Json["sku"]!["name"]!.GetValue<string>().ShouldBe("Standard");
        foreach (var queue in queues)
        {
            queue.Name.ShouldStartWith(namespaceResource.Name + "/");
            queue.Properties!["maxDeliveryCount"]!.GetValue<long>().ShouldBe(10, queue.Name);
            queue.Properties!["deadLetteringOnMessageExpiration"]!.GetValue<bool>().ShouldBeTrue(queue.Name);
            queue.Properties!["requiresSession"]!.GetValue<bool>().ShouldBeFalse(queue.Name);
        }

        Deploy(p => p["maxDeliveryCount"] = 3).OfType("Microsoft.ServiceBus/namespaces/queues")
            .ShouldAllBe(q => q.Properties!["maxDeliveryCount"]!.GetValue<long>() == 3);
    }

    [Fact]
    public void Cosmos_deploys_the_containers_the_code_defines()
    {
        var path = PackageFiles.PathOf("infra-bicep", "modules", "cosmos-containers.json");
        var expected = BicepContainers.Of(CosmosContainers.Definitions());
        if (Environment.GetEnvironmentVariable("HELPDESK_WRITE_BICEP_CONTAINERS") == "1")
        {
            File.WriteAllText(path, expected);
        }

        File.ReadAllText(path).ReplaceLineEndings("\n").ShouldBe(
            expected,
            "infra-bicep/modules/cosmos-containers.json must declare what CosmosContainers.Definitions() does (containers made by the app where CreateIfMissing is on); "
            + "regenerate it: HELPDESK_WRITE_BICEP_CONTAINERS=1 dotnet test tests/Helpdesk.Api.Tests --filter Cosmos_deploys_the_containers_the_code_defines");

        // What the compiled template deploys: each container of the file with its partition key,
        // indexing policy and TTL (absent when off), plus the change feed's leases, in the database.
        var deployment = ManagedIdentity;
        var database = deployment.Single("Microsoft.DocumentDB/databaseAccounts/sqlDatabases");
        var deployed = deployment.OfType("Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers")
            .ToDictionary(c => c.Properties!["resource"]!["id"]!.GetValue<string>(), StringComparer.Ordinal);
        deployed.Keys.ShouldBe([.. CosmosContainers.Definitions().Select(c => c.Id), "leases"], ignoreOrder: true);
        foreach (var container in JsonNode.Parse(expected)!.AsArray().Append(new JsonObject { ["name"] = "leases", ["partitionKey"] = "/id", ["defaultTtl"] = null }))
        {
            var name = container!["name"]!.GetValue<string>();
            var resource = deployed[name].Properties!["resource"]!;
            deployed[name].Name.ShouldBe($"{database.Name}/{name}");
            resource["partitionKey"]!["paths"]!.AsArray().Single()!.GetValue<string>().ShouldBe(container["partitionKey"]!.GetValue<string>(), name);
            resource["partitionKey"]!["version"]!.GetValue<long>().ShouldBe(2);
            JsonNode.DeepEquals(resource["defaultTtl"], container["defaultTtl"]).ShouldBeTrue($"{name}: defaultTtl {resource["defaultTtl"]} is not {container["defaultTtl"]}");
            if (container["indexingPolicy"] is { } policy)
            {
                JsonNode.DeepEquals(resource["indexingPolicy"], policy).ShouldBeTrue($"{name}: indexing policy differs");
            }
        }
    }

    [Fact]
    public void Cosmos_is_serverless_by_default_autoscale_otherwise_and_grants_the_app_data_access_only()
    {
        var deployment = ManagedIdentity;
        var account = deployment.Single("Microsoft.DocumentDB/databaseAccounts");
        var assignment = deployment.Single("Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments");

        account.Properties!["capabilities"]!.AsArray().Select(c => c!["name"]!.GetValue<string>()).ShouldBe(["EnableServerless"]);
        account.Properties!["disableLocalAuth"]!.GetValue<bool>().ShouldBeTrue();
        assignment.Properties!["roleDefinitionId"]!.GetValue<string>().ShouldBe(account.Id + "/sqlRoleDefinitions/00000000-0000-0000-0000-000000000002", "Cosmos DB Built-in Data Contributor");
        assignment.Properties!["scope"]!.GetValue<string>().ShouldBe(account.Id);
        assignment.Properties!["principalId"]!.GetValue<string>().ShouldBe(PrincipalOf(AppIdentityId(deployment)));

        var provisioned = Deploy(p => p["cosmosServerless"] = false);
        provisioned.Single("Microsoft.DocumentDB/databaseAccounts").Properties!["capabilities"]!.AsArray().ShouldBeEmpty();
        provisioned.Single("Microsoft.DocumentDB/databaseAccounts/sqlDatabases").Properties!["options"]!["autoscaleSettings"]!["maxThroughput"]!.GetValue<long>().ShouldBe(4000);
    }

    [Fact]
    public void The_signalr_service_is_serverless_without_keys_and_the_app_pushes_through_it()
    {
        var deployment = ManagedIdentity;
        var service = deployment.Single("Microsoft.SignalRService/signalR");
        var settings = AppSettings(deployment);

        service.Properties!["disableLocalAuth"]!.GetValue<bool>().ShouldBeTrue("the bindings sign in with the app's identity");
        service.Properties!["features"]!.AsArray().ShouldContain(f => f!["flag"]!.GetValue<string>() == "ServiceMode" && f["value"]!.GetValue<string>() == "Serverless");
        settings["AzureSignalRConnectionString__serviceUri"].ShouldStartWith("https://");
        settings["Realtime__Service"].ShouldBe("AzureSignalR");
        service.Properties!["upstream"]!["templates"]!.AsArray().ShouldBeEmpty("no upstream before the host made its signalr_extension key");

        var upstream = Deploy(p => p["signalrExtensionKey"] = "extension-key").Single("Microsoft.SignalRService/signalR").Properties!["upstream"]!["templates"]!.AsArray().ShouldHaveSingleItem()!;
        upstream["urlTemplate"]!.GetValue<string>().ShouldBe($"https://{Site(deployment).Name}.azurewebsites.net/runtime/webhooks/signalr?code=extension-key", "the Function App's SignalR webhook, which runs the signalRTrigger functions");
        (upstream["hubPattern"]!.GetValue<string>(), upstream["categoryPattern"]!.GetValue<string>(), upstream["eventPattern"]!.GetValue<string>()).ShouldBe(("chat", "messages", "*"), "the clients' hub method invocations; the webhook dispatches them by event to the signalRTrigger functions");
        upstream["auth"]!["type"]!.GetValue<string>().ShouldBe("None", "the webhook checks the system key in the URL");
    }

    [Fact]
    public void The_app_identity_gets_exactly_its_role_assignments_each_on_its_resource()
    {
        // Azure built-in roles the app's identity needs, on the resource each one is scoped to.
        (string ScopeType, string Role)[] app =
        [
            ("Microsoft.Storage/storageAccounts", "b7e6dc6d-f1e8-4753-8033-0f276bb0955b"), // Storage Blob Data Owner
            ("Microsoft.Storage/storageAccounts", "974c5e8b-45b9-4653-ba55-5f855dd0fb88"), // Storage Queue Data Contributor
            ("Microsoft.Storage/storageAccounts", "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3"), // Storage Table Data Contributor
            ("Microsoft.ServiceBus/namespaces", "69a216fc-b8fb-44d8-bc22-1f3c2cd27a39"), // Azure Service Bus Data Sender
            ("Microsoft.ServiceBus/namespaces", "4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0"), // Azure Service Bus Data Receiver
            ("Microsoft.Insights/components", "3913510d-42f4-4e42-8a64-420c390055eb"), // Monitoring Metrics Publisher
            ("Microsoft.SignalRService/signalR", "420fcaa2-552c-430f-98ca-3264be4806c7"), // SignalR App Server
            ("Microsoft.SignalRService/signalR", "fd53cd77-2268-407a-8f46-7e7863d0f521"), // SignalR REST API Owner
        ];
        (string ScopeType, string Role) keyVaultSecretsUser = ("Microsoft.KeyVault/vaults", "4633458b-17de-408a-b874-0445c86b69e6");

        foreach (var (deployment, expected) in new[] { (ManagedIdentity, app), (ClientSecret, [.. app, keyVaultSecretsUser]) })
        {
            var principal = PrincipalOf(AppIdentityId(deployment));
            var assignments = RoleAssignments(deployment).Where(a => a.Principal == principal).ToList();

            assignments.Select(a => (a.ScopeType, a.Role)).ShouldBe(expected, ignoreOrder: true);
            foreach (var assignment in assignments)
            {
                assignment.Scope.ShouldBe(deployment.Single(assignment.ScopeType).Id);
            }
        }
    }

    /// <summary>Every role assignment deployed: its scope (and the scope's type), the role's GUID and the principal.</summary>
    internal static List<(string Scope, string ScopeType, string Role, string Principal)> RoleAssignments(ArmDeployment deployment)
    {
        var list = new List<(string, string, string, string)>();
        foreach (var assignment in deployment.OfType("Microsoft.Authorization/roleAssignments"))
        {
            var scope = assignment.Json["scope"]!.GetValue<string>();
            var scopeResource = deployment.Resources.Single(r => string.Equals(r.Id, scope, StringComparison.OrdinalIgnoreCase));
            var role = assignment.Properties!["roleDefinitionId"]!.GetValue<string>();
            role.ShouldStartWith($"/subscriptions/{ArmDeployment.SubscriptionId}/providers/Microsoft.Authorization/roleDefinitions/");
            assignment.Properties!["principalType"]!.GetValue<string>().ShouldBe("ServicePrincipal");
            list.Add((scope, scopeResource.Type, role.Split('/')[^1], assignment.Properties!["principalId"]!.GetValue<string>()));
        }

        return list;
    }

    [Fact]
    public void Every_connection_of_function_json_is_identity_based_in_azure_and_listed_in_the_sample_settings()
    {
        var sample = PackageFiles.SampleSettings();
        foreach (var deployment in BothGraphModes)
        {
            var settings = AppSettings(deployment);
            var clientId = ClientIdOf(AppIdentityId(deployment));
            foreach (var connection in PackageFiles.Functions().SelectMany(f => f.Connections()).Append("AzureWebJobsStorage").Distinct())
            {
                settings.Keys.ShouldContain(s => s == $"{connection}__fullyQualifiedNamespace" || s == $"{connection}__accountEndpoint" || s == $"{connection}__accountName" || s == $"{connection}__serviceUri", $"no endpoint setting for {connection}");
                settings[$"{connection}__credential"].ShouldBe("managedidentity");
                settings[$"{connection}__clientId"].ShouldBe(clientId);
                settings.Keys.ShouldNotContain(connection, $"{connection} must not be a connection string in Azure");
                sample.ShouldContain(s => s.StartsWith(connection, StringComparison.Ordinal), $"local.settings.sample.json has no {connection} setting");
            }

            settings["AZURE_CLIENT_ID"].ShouldBe(clientId);
            settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"].ShouldBe($"ClientId={clientId};Authorization=AAD");
            settings["ServiceBus__fullyQualifiedNamespace"].ShouldBe(deployment.Single("Microsoft.ServiceBus/namespaces").Name + ".servicebus.windows.net");
        }
    }

    [Fact]
    public void Every_setting_function_json_expands_is_set_in_azure_and_in_the_sample_settings()
    {
        var expressions = PackageFiles.Functions().SelectMany(f => f.SettingExpressions()).Distinct().ToList();

        expressions.ShouldNotBeEmpty();
        expressions.ShouldBeSubsetOf(AppSettings(ManagedIdentity).Keys);
        expressions.ShouldBeSubsetOf(PackageFiles.SampleSettings());
    }

    [Fact]
    public void Every_app_setting_of_azure_is_in_the_sample_unless_it_belongs_to_the_platform_or_the_identity()
    {
        var platform = new Regex("^(FUNCTIONS_|AZURE_|APPLICATIONINSIGHTS_|AzureWebJobsStorage__)|__(credential|clientId)$");

        foreach (var deployment in BothGraphModes)
        {
            AppSettings(deployment).Keys.Where(s => !platform.IsMatch(s)).ShouldBeSubsetOf(PackageFiles.SampleSettings());
        }
    }

    [Fact]
    public void The_graph_secret_is_a_key_vault_reference_only_with_client_secret_authentication()
    {
        var identity = AppSettings(ManagedIdentity);
        var secret = AppSettings(ClientSecret);
        var vault = ClientSecret.Single("Microsoft.KeyVault/vaults/secrets");

        identity["Mail__Graph__Authentication"].ShouldBe("managedIdentity");
        identity["Mail__Graph__ClientId"].ShouldBe(ClientIdOf(AppIdentityId(ManagedIdentity)));
        identity.Keys.ShouldNotContain("Mail__Graph__ClientSecret");
        ManagedIdentity.OfType("Microsoft.KeyVault/vaults").ShouldBeEmpty();

        secret["Mail__Graph__Authentication"].ShouldBe("clientSecret");
        secret["Mail__Graph__ClientId"].ShouldBe("11111111-1111-1111-1111-111111111111");
        secret["Mail__Graph__ClientSecret"].ShouldBe($"@Microsoft.KeyVault(SecretUri=<reference({vault.Id}).secretUri>)");
        Site(ClientSecret).Properties!["keyVaultReferenceIdentity"]!.GetValue<string>().ShouldBe(AppIdentityId(ClientSecret));
        ClientSecret.Single("Microsoft.KeyVault/vaults").Properties!["enableRbacAuthorization"]!.GetValue<bool>().ShouldBeTrue();
    }

    [Fact]
    public void The_function_app_is_flex_consumption_with_the_custom_runtime_and_an_always_ready_http_instance()
    {
        var deployment = ManagedIdentity;
        var site = Site(deployment);
        var config = site.Properties!["functionAppConfig"]!;
        var settings = AppSettings(deployment);

        deployment.Single("Microsoft.Web/serverfarms").Json["sku"]!["tier"]!.GetValue<string>().ShouldBe("FlexConsumption");
        site.Properties!["serverFarmId"]!.GetValue<string>().ShouldBe(deployment.Single("Microsoft.Web/serverfarms").Id);
        site.Json["identity"]!["type"]!.GetValue<string>().ShouldBe("UserAssigned");
        site.Properties!["httpsOnly"]!.GetValue<bool>().ShouldBeTrue();
        config["runtime"]!.ToJsonString().ShouldBe("""{"name":"custom","version":"1.0"}""");
        config["scaleAndConcurrency"]!["alwaysReady"]!.ToJsonString().ShouldBe("""[{"name":"http","instanceCount":1}]""");
        config["deployment"]!["storage"]!["authentication"]!["userAssignedIdentityResourceId"]!.GetValue<string>().ShouldBe(AppIdentityId(deployment));
        deployment.OfType("Microsoft.Web/sites/basicPublishingCredentialsPolicies").Select(p => (p.Name.Split('/')[1], p.Properties!["allow"]!.GetValue<bool>()))
            .ShouldBe([("ftp", false), ("scm", false)], ignoreOrder: true);
        settings["Jobs__RunInProcess"].ShouldBe("false", "the host fires the timers in Azure");
        settings["Storage__Cosmos__CreateIfMissing"].ShouldBe("false", "the containers belong to the Bicep");
        settings["Storage__Provider"].ShouldBe("cosmos");
        settings["Mail__NotificationUrl"].ShouldBe($"https://{site.Name}.azurewebsites.net/api/graph/notifications");
    }

    [Fact]
    public void Browser_origins_come_from_one_parameter_answered_by_the_app_with_no_platform_cors_overriding_it()
    {
        var two = Deploy(p =>
        {
            p["allowedOrigins"] = new JsonArray("https://helpdesk.contoso.example", "https://m.contoso.example");
            p["deployConsole"] = false;
        });
        var none = Deploy(p =>
        {
            p.Remove("allowedOrigins");
            p["deployConsole"] = false;
        });

        AppSettings(two)["Http__AllowedOrigins"].ShouldBe("https://helpdesk.contoso.example,https://m.contoso.example");
        AppSettings(none)["Http__AllowedOrigins"].ShouldBe(string.Empty);
        Site(two).Properties!["siteConfig"]!["cors"]!["allowedOrigins"]!.AsArray().ShouldBeEmpty("the host's CORS would replace the app's and hide ETag, Location and Retry-After");
    }

    [Fact]
    public void The_console_is_a_static_web_app_whose_origin_the_api_and_the_signalr_service_answer()
    {
        var deployment = Deploy(p => p["allowedOrigins"] = new JsonArray("https://helpdesk.contoso.example"));
        var console = deployment.Single("Microsoft.Web/staticSites");
        var origin = $"https://<reference({console.Id}).defaultHostname>";

        console.Properties!["provider"]!.GetValue<string>().ShouldBe("None", "the files come from package.sh --console and the SWA CLI, not a repository build");
        console.Json["sku"]!["name"]!.GetValue<string>().ShouldBe("Free");
        deployment.OfType("Microsoft.Web/staticSites/linkedBackends").ShouldBeEmpty("a linked backend would put the console's sign-in in front of Graph and Power Automate");
        AppSettings(deployment)["Http__AllowedOrigins"].ShouldBe("https://helpdesk.contoso.example," + origin);
        deployment.Single("Microsoft.SignalRService/signalR").Properties!["cors"]!["allowedOrigins"]!.AsArray()
            .Select(o => o!.GetValue<string>()).ShouldBe(["https://helpdesk.contoso.example", origin]);
        deployment.Outputs["consoleUrl"]!.GetValue<string>().ShouldBe(origin);

        var without = Deploy(p => p["deployConsole"] = false);
        without.OfType("Microsoft.Web/staticSites").ShouldBeEmpty();
        AppSettings(without)["Http__AllowedOrigins"].ShouldBe("https://helpdesk.contoso.example");
        without.Outputs["consoleUrl"]!.GetValue<string>().ShouldBe(string.Empty);
    }

    [Fact]
    public void No_keys_or_connection_strings_anywhere_and_local_auth_off_on_every_service()
    {
        string[] forbidden = ["listKeys", "listConnectionStrings", "listAccountSas", "listServiceSas", "AccountKey", "SharedAccessKey"];
        foreach (var file in BicepFiles())
        {
            var text = File.ReadAllText(file);
            forbidden.ShouldAllBe(word => !text.Contains(word, StringComparison.OrdinalIgnoreCase), Path.GetFileName(file));
        }

        var compiled = BicepCli.Main.ToJsonString();
        forbidden.ShouldAllBe(word => !compiled.Contains(word, StringComparison.OrdinalIgnoreCase), "compiled main.json");

        foreach (var deployment in BothGraphModes)
        {
            deployment.Single("Microsoft.DocumentDB/databaseAccounts").Properties!["disableLocalAuth"]!.GetValue<bool>().ShouldBeTrue();
            deployment.Single("Microsoft.ServiceBus/namespaces").Properties!["disableLocalAuth"]!.GetValue<bool>().ShouldBeTrue();
            deployment.Single("Microsoft.Storage/storageAccounts").Properties!["allowSharedKeyAccess"]!.GetValue<bool>().ShouldBeFalse();
            deployment.Single("Microsoft.Insights/components").Properties!["DisableLocalAuth"]!.GetValue<bool>().ShouldBeTrue();
            deployment.Single("Microsoft.OperationalInsights/workspaces").Properties!["features"]!["disableLocalAuth"]!.GetValue<bool>().ShouldBeTrue();
            AppSettings(deployment).Values.ShouldAllBe(v => !v.Contains("AccountKey=", StringComparison.OrdinalIgnoreCase) && !v.Contains("SharedAccessKey", StringComparison.OrdinalIgnoreCase));
        }
    }

    [GeneratedRegex(@"^module \w+ '(?<path>[^']+)'", RegexOptions.Multiline)]
    private static partial Regex ModuleDeclaration();
}
