using System.Net;
using Helpdesk.Api.Tests.Events;
using Helpdesk.Api.Tests.Infrastructure;

namespace Helpdesk.Api.Tests.Hosting;

/// <summary>
/// The probes a platform asks: live (the process answers) and ready (store, schema, queue and
/// Graph subscriptions), a bare status for anyone and each check's reason for an admin.
/// </summary>
public sealed class HealthProbeTests
{
    [Fact]
    public async Task Live_and_ready_answer_anyone_with_the_status_alone()
    {
        using var app = new HelpdeskApp();

        var live = await app.CreateClient().GetAsync("/api/health/live");
        var ready = await app.CreateClient().GetAsync("/api/health/ready");

        live.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await live.Json()).ToJsonString().ShouldBe("""{"status":"healthy"}""");
        ready.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await ready.Json()).ToJsonString().ShouldBe("""{"status":"healthy"}""");
        ready.Headers.CacheControl!.NoStore.ShouldBeTrue();
    }

    [Fact]
    public async Task An_admin_sees_each_ready_check_and_a_non_admin_does_not()
    {
        using var app = new HelpdeskApp();

        var admin = await (await app.Admin.GetAsync("/api/health/ready")).Json();
        var agent = await (await app.ClientFor("agent").GetAsync("/api/health/ready")).Json();

        admin["status"]!.GetValue<string>().ShouldBe("healthy");
        admin["checks"]!.AsArray().Select(c => c!["name"]!.GetValue<string>()).ShouldBe(["store", "schema", "queue", "graph-subscriptions"], ignoreOrder: true);
        admin["checks"]!.AsArray().ShouldAllBe(c => c!["status"]!.GetValue<string>() == "healthy" && c["description"]!.GetValue<string>().Length > 0);
        agent.AsObject().Select(p => p.Key).ShouldBe(["status"]);
    }

    [Fact]
    public async Task A_queue_nothing_delivers_makes_ready_fail_until_it_moves_again_while_live_stays_up()
    {
        var failing = true;
        using var app = new EventsApp(new AuditBehaviour { BeforeEffect = (_, _) => failing ? throw new InvalidOperationException("down") : Task.CompletedTask });
        await app.ClientFor("agent").OpenTicketAsync();
        await app.PumpAsync();
        app.Clock.Advance(TimeSpan.FromMinutes(5));
        var waiting = await app.CreateClient().GetAsync("/api/health/ready");

        app.Clock.Advance(TimeSpan.FromMinutes(11));
        var stuck = await app.CreateClient().GetAsync("/api/health/ready");
        var stuckForAdmin = await app.Admin.GetAsync("/api/health/ready");
        var live = await app.CreateClient().GetAsync("/api/health/live");
        failing = false;
        await app.PumpAsync();
        var moving = await app.CreateClient().GetAsync("/api/health/ready");

        waiting.StatusCode.ShouldBe(HttpStatusCode.OK, "a message backing off for minutes is not stuck");
        stuck.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        (await stuck.Json()).ToJsonString().ShouldBe("""{"status":"unhealthy"}""");
        await stuckForAdmin.ShouldBeProblem(503);
        var problem = await stuckForAdmin.Json();
        problem["type"]!.GetValue<string>().ShouldBe("urn:helpdesk:problem:not-ready");
        problem["health"]!.GetValue<string>().ShouldBe("unhealthy");
        problem["detail"]!.GetValue<string>().ShouldContain($"queue {EventsApp.Queue}: 1 message(s) waiting");
        problem["checks"]!.AsArray().Single(c => c!["name"]!.GetValue<string>() == "queue")!["status"]!.GetValue<string>().ShouldBe("unhealthy");
        live.StatusCode.ShouldBe(HttpStatusCode.OK);
        moving.StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}
