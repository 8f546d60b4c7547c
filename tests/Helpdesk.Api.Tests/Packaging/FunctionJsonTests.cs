using System.Text.RegularExpressions;

namespace Helpdesk.Api.Tests.Packaging;

/// <summary>Each function.json is one the Functions host accepts for a custom handler.</summary>
public sealed partial class FunctionJsonTests
{
    private static readonly HashSet<string> Triggers = new(StringComparer.Ordinal) { "httpTrigger", "timerTrigger", "serviceBusTrigger", "cosmosDBTrigger", "signalRTrigger" };
    private static readonly HashSet<string> Inputs = new(StringComparer.Ordinal) { "signalRConnectionInfo" };
    private static readonly HashSet<string> Outputs = new(StringComparer.Ordinal) { "http", "serviceBus", "signalR" };

    public static TheoryData<string> FunctionNames() => [.. PackageFiles.Functions().Select(f => f.Name)];

    private static FunctionDefinition Function(string name) => PackageFiles.Functions().Single(f => f.Name == name);

    [Fact]
    public void The_package_defines_the_http_api_and_the_background_functions()
    {
        var names = PackageFiles.Functions().Select(f => f.Name).ToList();

        names.ShouldContain("Api");
        names.ShouldContain("RelayOutbox");
        names.ShouldContain("ScanSlaBreaches");
        names.ShouldAllBe(n => ValidFunctionName().IsMatch(n));
    }

    [Theory]
    [MemberData(nameof(FunctionNames))]
    public void A_function_has_exactly_one_trigger_and_only_bindings_the_host_knows(string name)
    {
        var function = Function(name);

        function.Bindings.ShouldNotBeEmpty();
        function.Bindings.ShouldAllBe(b => b["name"] != null && FunctionDefinition.Text(b, "name")!.Length > 0);
        function.Bindings.Select(b => FunctionDefinition.Text(b, "name")).ShouldBeUnique();
        function.Bindings.Count(b => FunctionDefinition.Direction(b) == "in" && FunctionDefinition.Type(b).EndsWith("Trigger", StringComparison.Ordinal)).ShouldBe(1);
        Triggers.ShouldContain(FunctionDefinition.Type(function.Trigger));
        function.Bindings.Where(b => FunctionDefinition.Direction(b) == "in" && !FunctionDefinition.Type(b).EndsWith("Trigger", StringComparison.Ordinal)).ShouldAllBe(b => Inputs.Contains(FunctionDefinition.Type(b)));
        function.Outputs.ShouldAllBe(b => Outputs.Contains(FunctionDefinition.Type(b)));
    }

    [Theory]
    [MemberData(nameof(FunctionNames))]
    public void Http_is_proxied_and_envelope_functions_have_no_http_output(string name)
    {
        var function = Function(name);

        if (FunctionDefinition.Type(function.Trigger) == "httpTrigger" && function.IsEnvelopeHttp)
        {
            // An HTTP function with an input binding (negotiate's connection info) gets the envelope and answers its http output.
            function.Outputs.ShouldContain(b => FunctionDefinition.Type(b) == "http");
            function.Trigger["route"]!.GetValue<string>().ShouldNotContain("{*", Case.Sensitive, "a route of its own, more specific than the proxied catch-all");
            function.Trigger["authLevel"]!.GetValue<string>().ShouldBe("anonymous", "the app checks its own Entra ID tokens");
        }
        else if (FunctionDefinition.Type(function.Trigger) == "httpTrigger")
        {
            // enableProxyingHttpRequest only forwards functions with exactly one httpTrigger in and one http out.
            function.Bindings.Count.ShouldBe(2);
            function.Outputs.Single()["type"]!.GetValue<string>().ShouldBe("http");
            function.Trigger["route"]!.GetValue<string>().ShouldBe("{*route}");
            function.Trigger["authLevel"]!.GetValue<string>().ShouldBe("anonymous", "the app checks its own Entra ID tokens");
        }
        else
        {
            function.Outputs.ShouldAllBe(b => FunctionDefinition.Type(b) != "http");
        }
    }

    [Theory]
    [MemberData(nameof(FunctionNames))]
    public void SignalR_bindings_use_the_chat_hub_and_the_identity_based_connection(string name)
    {
        foreach (var binding in Function(name).Bindings.Where(b => FunctionDefinition.Type(b).StartsWith("signalR", StringComparison.Ordinal)))
        {
            FunctionDefinition.Text(binding, "hubName").ShouldBe("chat");
            FunctionDefinition.Text(binding, "connectionStringSetting").ShouldBe("AzureSignalRConnectionString", "AzureSignalRConnectionString__serviceUri names the service; the app's managed identity signs in");
        }
    }

    [Theory]
    [MemberData(nameof(FunctionNames))]
    public void A_timer_has_a_six_field_schedule_and_never_runs_on_startup(string name)
    {
        var trigger = Function(name).Trigger;
        if (FunctionDefinition.Type(trigger) != "timerTrigger")
        {
            return;
        }

        trigger["schedule"]!.GetValue<string>().Split(' ', StringSplitOptions.RemoveEmptyEntries).Length.ShouldBe(6);
        trigger["runOnStartup"]!.GetValue<bool>().ShouldBeFalse();
        FunctionDefinition.Text(trigger, "name").ShouldBe("timer");
    }

    [Theory]
    [MemberData(nameof(FunctionNames))]
    public void Service_bus_bindings_name_a_queue_and_an_identity_connection(string name)
    {
        foreach (var binding in Function(name).Bindings.Where(b => FunctionDefinition.Type(b).StartsWith("serviceBus", StringComparison.Ordinal)))
        {
            FunctionDefinition.Text(binding, "queueName").ShouldNotBeNullOrWhiteSpace();
            FunctionDefinition.Text(binding, "connection").ShouldBe("ServiceBus");
            binding["topicName"].ShouldBeNull();
        }
    }

    [Theory]
    [MemberData(nameof(FunctionNames))]
    public void The_change_feed_reads_a_lease_container_that_infrastructure_creates(string name)
    {
        var trigger = Function(name).Trigger;
        if (FunctionDefinition.Type(trigger) != "cosmosDBTrigger")
        {
            return;
        }

        FunctionDefinition.Text(trigger, "connection").ShouldBe("Cosmos");
        FunctionDefinition.Text(trigger, "databaseName").ShouldNotBeNullOrWhiteSpace();
        FunctionDefinition.Text(trigger, "containerName").ShouldNotBeNullOrWhiteSpace();
        FunctionDefinition.Text(trigger, "leaseContainerName").ShouldBe("leases");
        trigger["createLeaseContainerIfNotExists"]!.GetValue<bool>().ShouldBeFalse("a managed identity cannot create containers through the data plane");
        Function(name).Json["retry"].ShouldNotBeNull("without a retry policy a failed change-feed batch is never retried");
    }

    [Theory]
    [MemberData(nameof(FunctionNames))]
    public void A_retry_policy_is_one_the_host_accepts(string name)
    {
        if (Function(name).Json["retry"]?.AsObject() is not { } retry)
        {
            return;
        }

        var strategy = retry["strategy"]!.GetValue<string>();
        strategy.ShouldBeOneOf("fixedDelay", "exponentialBackoff");
        retry["maxRetryCount"]!.GetValue<int>().ShouldBeGreaterThanOrEqualTo(-1);
        if (strategy == "fixedDelay")
        {
            TimeSpan.Parse(retry["delayInterval"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture).ShouldBeGreaterThan(TimeSpan.Zero);
        }
        else
        {
            var minimum = TimeSpan.Parse(retry["minimumInterval"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
            var maximum = TimeSpan.Parse(retry["maximumInterval"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
            minimum.ShouldBeGreaterThan(TimeSpan.Zero);
            maximum.ShouldBeGreaterThanOrEqualTo(minimum);
        }
    }

    [Fact]
    public void Host_json_keeps_service_bus_completion_to_the_host_and_a_flex_timeout()
    {
        var host = PackageFiles.Json("host.json");

        host["customHandler"]!["description"]!["defaultExecutablePath"]!.GetValue<string>().ShouldBe("app/Helpdesk.Api");
        TimeSpan.Parse(host["functionTimeout"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture).ShouldBeLessThanOrEqualTo(TimeSpan.FromMinutes(30));
        host["extensions"]!["serviceBus"]!["autoCompleteMessages"]!.GetValue<bool>().ShouldBeTrue("a custom handler has no message actions");
    }

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_-]{0,126}$")]
    private static partial Regex ValidFunctionName();
}
