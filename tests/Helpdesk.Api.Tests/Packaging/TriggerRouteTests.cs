using Helpdesk.Api.Events;
using Helpdesk.Api.Tests.Infrastructure;
using Helpdesk.Api.Triggers;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Helpdesk.Api.Tests.Packaging;

/// <summary>The functions of the package and the routes of the app describe the same set of triggers.</summary>
public sealed class TriggerRouteTests(HelpdeskApp app) : IClassFixture<HelpdeskApp>
{
    private IReadOnlyList<string> Routes() =>
        [.. app.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .Select(e => "/" + e.RoutePattern.RawText!.TrimStart('/'))];

    /// <summary>Routes outside /api other than the readiness probe: the envelope routes the host POSTs to.</summary>
    private HashSet<string> TriggerRoutes() =>
        Routes().Where(r => r != "/" && !r.StartsWith("/api/", StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);

    [Fact]
    public void Every_function_json_has_a_route_of_the_app_and_every_trigger_route_has_a_function_json()
    {
        var functions = PackageFiles.Functions();
        var envelopeFunctions = functions.Where(f => FunctionDefinition.Type(f.Trigger) != "httpTrigger" || f.IsEnvelopeHttp).Select(f => "/" + f.Name).ToHashSet(StringComparer.Ordinal);

        envelopeFunctions.ShouldBe(TriggerRoutes(), ignoreOrder: true);
        functions.Count(f => FunctionDefinition.Type(f.Trigger) == "httpTrigger" && !f.IsEnvelopeHttp).ShouldBe(1, "one proxied catch-all serves the whole API");
        Routes().ShouldContain(r => r.StartsWith("/api/", StringComparison.Ordinal));
    }

    [Fact]
    public void Scheduled_jobs_are_timer_functions()
    {
        foreach (var job in app.Services.GetServices<ScheduledJobRegistration>())
        {
            FunctionDefinition.Type(PackageFiles.Functions().Single(f => f.Name == job.FunctionName).Trigger).ShouldBe("timerTrigger");
        }
    }

    [Fact]
    public void Queue_consumers_listen_on_their_queue_with_the_binding_the_app_reads()
    {
        foreach (var consumer in app.Services.GetServices<QueueConsumerRegistration>())
        {
            var trigger = PackageFiles.Functions().Single(f => f.Name == consumer.FunctionName).Trigger;

            FunctionDefinition.Type(trigger).ShouldBe("serviceBusTrigger");
            FunctionDefinition.Text(trigger, "queueName").ShouldBe(consumer.Queue);
            FunctionDefinition.Text(trigger, "name").ShouldBe(QueueTriggers.MessageBinding);
        }
    }

    [Fact]
    public void The_relay_reads_the_documents_binding_and_names_each_output_after_its_queue()
    {
        var relay = PackageFiles.Functions().Single(f => f.Name == QueueTriggers.RelayFunction);
        var queues = new[] { QueueNames.Notifications, QueueNames.Approvals, QueueNames.Webhooks, Helpdesk.Api.Satisfaction.SendSatisfactionSurvey.Queue, Helpdesk.Api.Calendar.CalendarSetup.Queue, Helpdesk.Api.Realtime.PushChat.Queue, Helpdesk.Api.Mail.SendPrivateMessage.Queue };

        FunctionDefinition.Text(relay.Trigger, "name").ShouldBe(QueueTriggers.DocumentsBinding);
        relay.Outputs.ShouldNotBeEmpty();
        foreach (var output in relay.Outputs)
        {
            var queue = FunctionDefinition.Text(output, "queueName")!;
            queues.ShouldContain(queue);
            FunctionDefinition.Text(output, "name").ShouldBe(QueueTriggers.OutputBinding(queue));
        }
    }
}
