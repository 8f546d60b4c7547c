using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Helpdesk.Api.Tests.Packaging;

/// <summary>
/// The alerts infra-bicep deploys (docs/telemetry.md), as the compiled template deploys them for
/// the example parameters: one action group e-mailing <c>alertEmail</c>, and the five rules, each
/// on its signal and wired to that group.
/// </summary>
public sealed partial class InfraBicepAlertTests
{
    private const string MailDeadLettered = "helpdesk.mail.dead_lettered";
    private const string GraphSubscriptionSecondsToExpiry = "helpdesk.graph.subscription.seconds_to_expiry";

    private static ArmDeployment Deployment => InfraBicepTests.ManagedIdentity;

    private static ArmResource ActionGroup(ArmDeployment deployment) => deployment.Single("Microsoft.Insights/actionGroups");

    private static ArmResource Insights(ArmDeployment deployment) => deployment.Single("Microsoft.Insights/components");

    private static ArmResource LogRule(ArmDeployment deployment, string name) =>
        deployment.OfType("Microsoft.Insights/scheduledQueryRules").Where(r => r.Name.EndsWith("-" + name, StringComparison.Ordinal)).ShouldHaveSingleItem(name);

    /// <summary>The one condition of a log search rule.</summary>
    private static JsonNode Condition(ArmResource rule) => rule.Properties!["criteria"]!["allOf"]!.AsArray().ShouldHaveSingleItem()!;

    private static string Query(ArmResource rule) => Condition(rule)["query"]!.GetValue<string>();

    [Fact]
    public void One_action_group_e_mails_the_alert_email_parameter()
    {
        var group = ActionGroup(Deployment);
        var receiver = group.Properties!["emailReceivers"]!.AsArray().ShouldHaveSingleItem()!;

        BicepCli.Main["parameters"]!["alertEmail"]!.AsObject().ContainsKey("defaultValue").ShouldBeFalse("alertEmail is required");
        receiver["emailAddress"]!.GetValue<string>().ShouldBe("oncall@contoso.example");
        receiver["useCommonAlertSchema"]!.GetValue<bool>().ShouldBeTrue();
        group.Properties!["enabled"]!.GetValue<bool>().ShouldBeTrue();
        group.Properties!["groupShortName"]!.GetValue<string>().Length.ShouldBeInRange(1, 12);
        group.Json["location"]!.GetValue<string>().ShouldBe("global");

        var other = InfraBicepTests.Deploy(p => p["alertEmail"] = "support-leads@contoso.example");
        ActionGroup(other).Properties!["emailReceivers"]![0]!["emailAddress"]!.GetValue<string>().ShouldBe("support-leads@contoso.example");
    }

    [Fact]
    public void Five_alert_rules_are_deployed_enabled_and_each_notifies_the_action_group()
    {
        var group = ActionGroup(Deployment).Id;
        var metricRules = Deployment.OfType("Microsoft.Insights/metricAlerts").ToList();
        var logRules = Deployment.OfType("Microsoft.Insights/scheduledQueryRules").ToList();

        metricRules.Count.ShouldBe(1);
        logRules.Select(r => r.Name["helpdesk-dev-".Length..]).ShouldBe(
            ["mail-dead-letters", "sla-scan-not-run", "server-error-rate", "graph-subscription-expiring"], ignoreOrder: true);
        foreach (var rule in metricRules)
        {
            rule.Properties!["enabled"]!.GetValue<bool>().ShouldBeTrue(rule.Name);
            rule.Properties!["actions"]!.AsArray().Select(a => a!["actionGroupId"]!.GetValue<string>()).ShouldBe([group], rule.Name);
        }

        foreach (var rule in logRules)
        {
            rule.Properties!["enabled"]!.GetValue<bool>().ShouldBeTrue(rule.Name);
            rule.Properties!["actions"]!["actionGroups"]!.AsArray().Select(a => a!.GetValue<string>()).ShouldBe([group], rule.Name);
            rule.Properties!["scopes"]!.AsArray().Select(s => s!.GetValue<string>()).ShouldBe([Insights(Deployment).Id], rule.Name);
            rule.Properties!["autoMitigate"]!.GetValue<bool>().ShouldBeTrue(rule.Name);
            rule.Json["kind"]!.GetValue<string>().ShouldBe("LogAlert");
            Condition(rule)["failingPeriods"]!.ToJsonString().ShouldBe("""{"numberOfEvaluationPeriods":1,"minFailingPeriodsToAlert":1}""");
        }
    }

    [Fact]
    public void A_message_in_any_service_bus_dead_letter_queue_alerts_per_queue()
    {
        var rule = Deployment.Single("Microsoft.Insights/metricAlerts");
        var criteria = rule.Properties!["criteria"]!;
        var criterion = criteria["allOf"]!.AsArray().ShouldHaveSingleItem()!;

        rule.Properties!["scopes"]!.AsArray().Select(s => s!.GetValue<string>()).ShouldBe([Deployment.Single("Microsoft.ServiceBus/namespaces").Id]);
        criteria["odata.type"]!.GetValue<string>().ShouldBe("Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria");
        criterion["metricNamespace"]!.GetValue<string>().ShouldBe("Microsoft.ServiceBus/namespaces");
        criterion["metricName"]!.GetValue<string>().ShouldBe("DeadletteredMessages");
        criterion["dimensions"]!.ToJsonString().ShouldBe("""[{"name":"EntityName","operator":"Include","values":["*"]}]""");
        criterion["timeAggregation"]!.GetValue<string>().ShouldBe("Maximum");
        criterion["operator"]!.GetValue<string>().ShouldBe("GreaterThan");
        criterion["threshold"]!.GetValue<long>().ShouldBe(0);
        rule.Json["location"]!.GetValue<string>().ShouldBe("global");
    }

    [Fact]
    public void Mail_dead_letters_alert_on_the_sum_of_the_counter_over_15_minutes_above_zero()
    {
        var rule = LogRule(Deployment, "mail-dead-letters");
        var condition = Condition(rule);

        Query(rule).ShouldBe($"customMetrics | where name == \"{MailDeadLettered}\" | project timestamp, deadLettered = valueSum");
        condition["timeAggregation"]!.GetValue<string>().ShouldBe("Total");
        condition["metricMeasureColumn"]!.GetValue<string>().ShouldBe("deadLettered");
        condition["operator"]!.GetValue<string>().ShouldBe("GreaterThan");
        condition["threshold"]!.GetValue<long>().ShouldBe(0);
        rule.Properties!["windowSize"]!.GetValue<string>().ShouldBe("PT15M");
        rule.Properties!["evaluationFrequency"]!.GetValue<string>().ShouldBe("PT5M");
    }

    [Fact]
    public void No_sla_scan_request_in_5_minutes_alerts_and_the_timer_runs_more_often_than_that()
    {
        var rule = LogRule(Deployment, "sla-scan-not-run");
        var condition = Condition(rule);
        var timer = PackageFiles.Functions().Single(f => f.Name == "ScanSlaBreaches").Trigger;

        Query(rule).ShouldBe("requests | where name == \"ScanSlaBreaches\"");
        condition["timeAggregation"]!.GetValue<string>().ShouldBe("Count");
        condition["metricMeasureColumn"].ShouldBeNull();
        condition["operator"]!.GetValue<string>().ShouldBe("LessThan");
        condition["threshold"]!.GetValue<long>().ShouldBe(1);
        rule.Properties!["windowSize"]!.GetValue<string>().ShouldBe("PT5M");
        rule.Properties!["evaluationFrequency"]!.GetValue<string>().ShouldBe("PT5M");
        rule.Properties!["severity"]!.GetValue<long>().ShouldBe(1);

        // The request is the host's log of the timer function of that name: it must fire at
        // least once a minute or two so that a 5-minute window always holds a run.
        FunctionDefinition.Type(timer).ShouldBe("timerTrigger");
        var minutes = FunctionDefinition.Text(timer, "schedule")!.Split(' ')[1];
        minutes.ShouldMatch(@"^(\*|\*/[12])$", "ScanSlaBreaches runs at least every 2 minutes");
    }

    [Fact]
    public void The_5xx_rate_alerts_above_the_threshold_parameter_with_a_minimum_of_requests()
    {
        var rule = LogRule(Deployment, "server-error-rate");
        var condition = Condition(rule);

        Query(rule).ShouldBe("requests | summarize total = count(), failed = countif(toint(resultCode) between (500 .. 599)) | where total >= 20 | project serverErrorPercent = 100.0 * failed / total");
        condition["timeAggregation"]!.GetValue<string>().ShouldBe("Maximum");
        condition["metricMeasureColumn"]!.GetValue<string>().ShouldBe("serverErrorPercent");
        condition["operator"]!.GetValue<string>().ShouldBe("GreaterThan");
        condition["threshold"]!.GetValue<long>().ShouldBe(5, "5% by default");
        rule.Properties!["windowSize"]!.GetValue<string>().ShouldBe("PT5M");

        var tuned = LogRule(InfraBicepTests.Deploy(p =>
        {
            p["serverErrorRatePercent"] = 10;
            p["serverErrorMinimumRequests"] = 50;
        }), "server-error-rate");
        Condition(tuned)["threshold"]!.GetValue<long>().ShouldBe(10);
        Query(tuned).ShouldContain("| where total >= 50 |");
        Should.Throw<ArmEvaluationException>(() => InfraBicepTests.Deploy(p => p["serverErrorRatePercent"] = 0));
    }

    [Fact]
    public void A_graph_subscription_expiring_within_the_hour_alerts_per_mailbox()
    {
        var rule = LogRule(Deployment, "graph-subscription-expiring");
        var condition = Condition(rule);

        Query(rule).ShouldBe($"customMetrics | where name == \"{GraphSubscriptionSecondsToExpiry}\" | project timestamp, mailbox = tostring(customDimensions.mailbox), secondsToExpiry = valueMin");
        condition["timeAggregation"]!.GetValue<string>().ShouldBe("Minimum");
        condition["metricMeasureColumn"]!.GetValue<string>().ShouldBe("secondsToExpiry");
        condition["dimensions"]!.ToJsonString().ShouldBe("""[{"name":"mailbox","operator":"Include","values":["*"]}]""");
        condition["operator"]!.GetValue<string>().ShouldBe("LessThan");
        condition["threshold"]!.GetValue<long>().ShouldBe(3600);
        rule.Properties!["windowSize"]!.GetValue<string>().ShouldBe("PT15M");
    }

    [Fact]
    public void The_log_rules_query_with_their_own_identity_which_may_only_read_application_insights()
    {
        var insights = Insights(Deployment);
        var appIdentity = InfraBicepTests.AppIdentityId(Deployment);
        var rules = Deployment.OfType("Microsoft.Insights/scheduledQueryRules").ToList();
        var identities = rules.Select(r => r.Json["identity"]!["userAssignedIdentities"]!.AsObject().ShouldHaveSingleItem().Key).Distinct().ToList();

        rules.ShouldAllBe(r => r.Json["identity"]!["type"]!.GetValue<string>() == "UserAssigned");
        var alertsIdentity = identities.ShouldHaveSingleItem();
        alertsIdentity.ShouldNotBe(appIdentity);
        Deployment.OfType("Microsoft.ManagedIdentity/userAssignedIdentities").Select(i => i.Id).ShouldBe([appIdentity, alertsIdentity], ignoreOrder: true);
        InfraBicepTests.RoleAssignments(Deployment).Where(a => a.Principal == InfraBicepTests.PrincipalOf(alertsIdentity))
            .Select(a => (a.Scope, a.Role))
            .ShouldBe([(insights.Id, "43d0d8ad-25c7-4714-9337-8ba259a9fe05")], "Monitoring Reader on Application Insights, nothing else");

        // The rules wait for that role assignment, so their first evaluation may read.
        var monitoring = BicepCli.Main["resources"]!.AsArray().Single(r => r!["name"]!.GetValue<string>() == "monitoring")!["properties"]!["template"]!;
        var compiledRule = monitoring["resources"]!.AsArray().Single(r => r!["type"]!.GetValue<string>() == "Microsoft.Insights/scheduledQueryRules")!;
        compiledRule["dependsOn"]!.AsArray().ShouldContain(d => d!.GetValue<string>().Contains("Microsoft.Authorization/roleAssignments", StringComparison.Ordinal));
    }

    [Fact]
    public void Application_insights_and_its_workspace_take_no_key_and_queries_need_only_resource_permissions()
    {
        var workspace = Deployment.Single("Microsoft.OperationalInsights/workspaces");

        Insights(Deployment).Properties!["DisableLocalAuth"]!.GetValue<bool>().ShouldBeTrue();
        Insights(Deployment).Properties!["WorkspaceResourceId"]!.GetValue<string>().ShouldBe(workspace.Id);
        workspace.Properties!["features"]!["disableLocalAuth"]!.GetValue<bool>().ShouldBeTrue();
        workspace.Properties!["features"]!["enableLogAccessUsingOnlyResourcePermissions"]!.GetValue<bool>().ShouldBeTrue();
    }

    [Fact]
    public void Docs_telemetry_md_lists_every_metric_and_request_name_the_alert_queries_read()
    {
        var doc = File.ReadAllText(PackageFiles.PathOf("docs", "telemetry.md"));
        var names = Deployment.OfType("Microsoft.Insights/scheduledQueryRules")
            .SelectMany(r => QueriedName().Matches(Query(r)).Select(m => m.Groups["name"].Value))
            .ToList();

        names.ShouldBe([MailDeadLettered, "ScanSlaBreaches", GraphSubscriptionSecondsToExpiry], ignoreOrder: true);
        foreach (var name in names)
        {
            doc.ShouldContain($"`{name}`");
        }

        doc.ShouldContain("`mailbox`");
        doc.ShouldContain("`DeadletteredMessages`");
        doc.ShouldContain("`alertEmail`");
    }

    [GeneratedRegex("""name == "(?<name>[^"]+)"\s*(\||$)""")]
    private static partial Regex QueriedName();
}
