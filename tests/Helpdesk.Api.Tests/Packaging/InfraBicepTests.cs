using System.Text.RegularExpressions;
using Helpdesk.Api.Events;
using Helpdesk.Api.Storage.Cosmos;

namespace Helpdesk.Api.Tests.Packaging;

/// <summary>
/// infra-bicep/ checked without a Bicep compiler: modules exist and get their parameters, every
/// parameter is used, and the queues, containers and settings agree with function.json, the app
/// and local.settings.sample.json. No keys or connection strings anywhere.
/// </summary>
public sealed partial class InfraBicepTests
{
    private static string Main => File.ReadAllText(PackageFiles.PathOf("infra-bicep", "main.bicep"));

    private static string Module(string name) => File.ReadAllText(PackageFiles.PathOf("infra-bicep", "modules", name + ".bicep"));

    private static string[] BicepFiles() =>
        System.IO.Directory.GetFiles(PackageFiles.PathOf("infra-bicep"), "*.bicep", SearchOption.AllDirectories);

    /// <summary>The declared parameters of a Bicep file and whether each has a default.</summary>
    private static Dictionary<string, bool> Parameters(string bicep) =>
        ParamDeclaration().Matches(bicep).ToDictionary(m => m.Groups["name"].Value, m => m.Groups["default"].Success, StringComparer.Ordinal);

    /// <summary>The keys of main.bicep's app-setting objects (<c>Name: value</c> lines inside them).</summary>
    private static HashSet<string> AppSettings() =>
        SettingLine().Matches(Main).Select(m => m.Groups["name"].Value).ToHashSet(StringComparer.Ordinal);

    [Fact]
    public void Every_module_main_bicep_references_exists_and_gets_every_parameter_it_needs()
    {
        var modules = ModuleBlock().Matches(Main).ToList();

        modules.ShouldNotBeEmpty();
        foreach (var module in modules)
        {
            var path = PackageFiles.PathOf("infra-bicep", module.Groups["path"].Value);
            File.Exists(path).ShouldBeTrue($"{module.Groups["path"].Value} is missing");
            var passed = PassedParam().Matches(module.Groups["params"].Value).Select(m => m.Groups["name"].Value).ToHashSet(StringComparer.Ordinal);
            foreach (var (parameter, hasDefault) in Parameters(File.ReadAllText(path)))
            {
                if (!hasDefault)
                {
                    passed.ShouldContain(parameter, $"{module.Groups["path"].Value} needs {parameter}");
                }
            }

            passed.ShouldBeSubsetOf(Parameters(File.ReadAllText(path)).Keys, $"{module.Groups["path"].Value} gets a parameter it does not declare");
        }

        System.IO.Directory.GetFiles(PackageFiles.PathOf("infra-bicep", "modules"), "*.bicep")
            .Select(f => "modules/" + Path.GetFileName(f))
            .ShouldBeSubsetOf(modules.Select(m => m.Groups["path"].Value), "every module is deployed");
    }

    [Fact]
    public void Every_parameter_of_every_bicep_file_is_used()
    {
        foreach (var file in BicepFiles())
        {
            var text = File.ReadAllText(file);
            foreach (var parameter in Parameters(text).Keys)
            {
                Regex.Count(text, $@"\b{Regex.Escape(parameter)}\b").ShouldBeGreaterThan(1, $"{Path.GetFileName(file)}: parameter {parameter} is never used");
            }
        }
    }

    [Fact]
    public void The_example_parameters_are_parameters_of_main_bicep_and_cover_the_required_ones()
    {
        var example = PackageFiles.Json("infra-bicep", "main.parameters.json")["parameters"]!.AsObject().Select(p => p.Key).ToList();
        var parameters = Parameters(Main);

        example.ShouldBeSubsetOf(parameters.Keys);
        parameters.Where(p => !p.Value).Select(p => p.Key).ShouldBeSubsetOf(example);
    }

    [Fact]
    public void Every_queue_of_the_app_and_of_function_json_is_declared_with_dead_lettering()
    {
        var declared = QueueList().Match(Main).Groups["items"].Value
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(q => q.Trim('\''))
            .ToList();
        var used = PackageFiles.Functions().SelectMany(f => f.Bindings).Select(b => FunctionDefinition.Text(b, "queueName")).OfType<string>();

        declared.ShouldBe([QueueNames.Notifications, QueueNames.Approvals, QueueNames.Webhooks, Helpdesk.Api.Satisfaction.SendSatisfactionSurvey.Queue, Helpdesk.Api.Calendar.CalendarSetup.Queue], ignoreOrder: true);
        used.ShouldBeSubsetOf(declared);
        var serviceBus = Module("servicebus");
        serviceBus.ShouldContain("maxDeliveryCount: maxDeliveryCount");
        serviceBus.ShouldContain("deadLetteringOnMessageExpiration: true");
        serviceBus.ShouldContain("name: 'Standard'");
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
        Module("cosmos").ShouldContain("loadJsonContent('cosmos-containers.json')");
        Module("cosmos").ShouldContain("name: 'leases'\n  partitionKey: '/id'");
    }

    [Fact]
    public void Cosmos_is_serverless_by_default_and_grants_the_app_data_access_only()
    {
        var cosmos = Module("cosmos");

        cosmos.ShouldContain("EnableServerless");
        cosmos.ShouldContain("disableLocalAuth: true");
        cosmos.ShouldContain("00000000-0000-0000-0000-000000000002", Case.Sensitive, "Cosmos DB Built-in Data Contributor");
    }

    [Fact]
    public void Every_container_function_json_reads_is_declared()
    {
        var declared = CosmosContainers.Definitions().Select(c => c.Id).Append("leases").ToHashSet(StringComparer.Ordinal);
        foreach (var trigger in PackageFiles.Functions().Select(f => f.Trigger).Where(t => FunctionDefinition.Type(t) == "cosmosDBTrigger"))
        {
            declared.ShouldContain(FunctionDefinition.Text(trigger, "containerName"));
            declared.ShouldContain(FunctionDefinition.Text(trigger, "leaseContainerName"));
        }
    }

    [Fact]
    public void Every_connection_of_function_json_is_identity_based_in_azure_and_listed_in_the_sample_settings()
    {
        var settings = AppSettings();
        var sample = PackageFiles.SampleSettings();

        foreach (var connection in PackageFiles.Functions().SelectMany(f => f.Connections()).Distinct())
        {
            settings.ShouldContain(s => s == $"{connection}__fullyQualifiedNamespace" || s == $"{connection}__accountEndpoint", $"no endpoint setting for {connection}");
            settings.ShouldContain($"{connection}__credential");
            settings.ShouldContain($"{connection}__clientId");
            sample.ShouldContain(s => s.StartsWith(connection + "__", StringComparison.Ordinal), $"local.settings.sample.json has no {connection}__ setting");
        }

        Main.ShouldContain("AzureWebJobsStorage__credential: 'managedidentity'");
    }

    [Fact]
    public void Every_setting_function_json_expands_is_set_in_azure_and_in_the_sample_settings()
    {
        var expressions = PackageFiles.Functions().SelectMany(f => f.SettingExpressions()).Distinct().ToList();

        expressions.ShouldBeSubsetOf(AppSettings());
        expressions.ShouldBeSubsetOf(PackageFiles.SampleSettings());
    }

    [Fact]
    public void Every_app_setting_of_azure_is_in_the_sample_unless_it_belongs_to_the_platform_or_the_identity()
    {
        var platform = new Regex("^(FUNCTIONS_|AZURE_|APPLICATIONINSIGHTS_|AzureWebJobsStorage__)|__(credential|clientId)$");

        AppSettings().Where(s => !platform.IsMatch(s)).ShouldBeSubsetOf(PackageFiles.SampleSettings());
    }

    [Fact]
    public void The_function_app_is_flex_consumption_with_the_custom_runtime_and_an_always_ready_http_instance()
    {
        var app = Module("functionapp");

        app.ShouldContain("tier: 'FlexConsumption'");
        app.ShouldContain("runtime: { name: 'custom', version: '1.0' }");
        app.ShouldContain("alwaysReady: [ { name: 'http', instanceCount: alwaysReadyHttpInstances } ]");
        app.ShouldContain("type: 'UserAssigned'");
        Main.ShouldContain("Jobs__RunInProcess: 'false'", Case.Sensitive, "the host fires the timers in Azure");
        Main.ShouldContain("Storage__Cosmos__CreateIfMissing: 'false'", Case.Sensitive, "the containers belong to the Bicep");
    }

    [Fact]
    public void Browser_origins_come_from_one_parameter_answered_by_the_app_with_no_platform_cors_overriding_it()
    {
        Main.ShouldContain("param allowedOrigins array = []");
        Main.ShouldContain("Http__AllowedOrigins: join(allowedOrigins, ',')");
        Module("functionapp").ShouldContain("cors: {\n        allowedOrigins: []", Case.Sensitive, "the host's CORS would replace the app's and hide ETag, Location and Retry-After");
    }

    [Fact]
    public void No_keys_or_connection_strings_anywhere()
    {
        foreach (var file in BicepFiles())
        {
            var text = File.ReadAllText(file);
            text.ShouldNotContain("listKeys", Case.Insensitive);
            text.ShouldNotContain("AccountKey", Case.Insensitive);
            text.ShouldNotContain("SharedAccessKey", Case.Insensitive);
        }

        Module("cosmos").ShouldContain("disableLocalAuth: true");
        Module("servicebus").ShouldContain("disableLocalAuth: true");
        Module("storage").ShouldContain("allowSharedKeyAccess: false");
        Module("monitoring").ShouldContain("DisableLocalAuth: true");
    }

    [GeneratedRegex(@"^param (?<name>\w+) [\w\[\]]+(?<default> =)?", RegexOptions.Multiline)]
    private static partial Regex ParamDeclaration();

    [GeneratedRegex(@"^module \w+ '(?<path>[^']+)' = (?:if \([^)]*\) )?\{(?<body>.*?)\n  params: \{(?<params>.*?)\n  \}\n\}", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex ModuleBlock();

    [GeneratedRegex(@"^    (?<name>\w+):", RegexOptions.Multiline)]
    private static partial Regex PassedParam();

    [GeneratedRegex(@"^  (?<name>[A-Za-z_][A-Za-z0-9_]*__\w+|FUNCTIONS_\w+|AZURE_\w+|APPLICATIONINSIGHTS_\w+): ", RegexOptions.Multiline)]
    private static partial Regex SettingLine();

    [GeneratedRegex(@"^var queueNames = \[(?<items>[^\]]*)\]", RegexOptions.Multiline)]
    private static partial Regex QueueList();
}
