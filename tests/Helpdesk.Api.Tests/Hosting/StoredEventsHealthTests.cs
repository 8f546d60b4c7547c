using System.Net;
using Helpdesk.Api.Events;
using Helpdesk.Api.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Helpdesk.Api.Tests.Hosting;

/// <summary>
/// Ready also watches the first stop of an event: stored with its write (the SQLite outbox, a
/// Cosmos DB ticket document) and relayed to the queues by the pump. A relay that stopped leaves
/// every queue empty, so only the stored events show it.
/// </summary>
public sealed class StoredEventsHealthTests
{
    [Fact]
    public async Task Events_nothing_relays_make_ready_fail_until_the_relay_runs_again()
    {
        using var app = new HelpdeskApp();
        await app.ClientFor("agent").OpenTicketAsync();
        app.Clock.Advance(TimeSpan.FromMinutes(5));
        var waiting = await app.CreateClient().GetAsync("/api/health/ready");

        app.Clock.Advance(TimeSpan.FromMinutes(11));
        var stuck = await app.CreateClient().GetAsync("/api/health/ready");
        var stuckForAdmin = await app.Admin.GetAsync("/api/health/ready");
        await using (var scope = app.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<EventPump>().RunOnceAsync(CancellationToken.None);
        }

        var relayed = await app.CreateClient().GetAsync("/api/health/ready");

        waiting.StatusCode.ShouldBe(HttpStatusCode.OK, "an event waits for the next sweep, not for minutes");
        stuck.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        await stuckForAdmin.ShouldBeProblem(503);
        var problem = await stuckForAdmin.Json();
        problem["detail"]!.GetValue<string>().ShouldContain("stored events: one waiting 16 min to be relayed to the queues");
        problem["checks"]!.AsArray().Single(c => c!["name"]!.GetValue<string>() == "queue")!["status"]!.GetValue<string>().ShouldBe("unhealthy");
        relayed.StatusCode.ShouldBe(HttpStatusCode.OK, "every event relayed and its messages due now, not stuck");
    }
}
