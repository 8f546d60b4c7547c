using System.Net;
using Helpdesk.Api.Tests.Infrastructure;
using Helpdesk.Domain.Tickets;
using Microsoft.Extensions.DependencyInjection;

namespace Helpdesk.Api.Tests.Events;

/// <summary>
/// The relay and the local queue: every stored event reaches its consumer, failures come back
/// after a backoff, exhausted messages are dead-lettered, and a process killed at any point
/// between the write and the consumer's effect neither loses the event nor applies it twice.
/// </summary>
public sealed class EventQueueTests : IDisposable
{
    private readonly string _folder = EventsApp.NewDataFolder();

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (System.IO.Directory.Exists(_folder))
        {
            System.IO.Directory.Delete(_folder, recursive: true);
        }
    }

    [Fact]
    public async Task A_stored_event_reaches_its_consumer_once()
    {
        var behaviour = new AuditBehaviour();
        using var app = new EventsApp(behaviour);
        await app.ClientFor("agent").OpenTicketAsync();

        await app.PumpAsync();
        await app.PumpAsync();

        behaviour.Deliveries.Count.ShouldBe(1);
        (await app.EffectsAsync()).ShouldBe([TicketEventTypes.Created]);
        (await app.UnpublishedAsync()).ShouldBe(0);
    }

    [Fact]
    public async Task Events_no_consumer_wants_are_published_without_a_message()
    {
        using var app = new EventsApp(new AuditBehaviour());
        var agent = app.ClientFor("agent");
        var ticket = await agent.OpenTicketAsync();
        (await agent.PostAsync($"/api/tickets/{ticket["id"]}/start", null)).EnsureSuccessStatusCode();

        await app.PumpAsync();

        (await app.EffectsAsync()).ShouldBe([TicketEventTypes.Created]);
        (await app.UnpublishedAsync()).ShouldBe(0);
    }

    [Fact]
    public async Task An_event_stored_just_before_the_process_died_is_delivered_after_the_restart()
    {
        var behaviour = new AuditBehaviour();
        using (var before = new EventsApp(behaviour, _folder))
        {
            await before.ClientFor("agent").OpenTicketAsync();
        }

        using var after = new EventsApp(behaviour, _folder);
        await after.PumpAsync();
        await after.PumpAsync();

        (await after.EffectsAsync()).ShouldBe([TicketEventTypes.Created]);
        behaviour.Deliveries.Count.ShouldBe(1);
    }

    [Fact]
    public async Task A_failed_delivery_comes_back_after_the_backoff_and_not_before()
    {
        var behaviour = new AuditBehaviour
        {
            BeforeEffect = (delivery, _) => delivery == 1 ? throw new InvalidOperationException("mail server down") : Task.CompletedTask,
        };
        using var app = new EventsApp(behaviour);
        await app.ClientFor("agent").OpenTicketAsync();

        await app.PumpAsync();
        await app.PumpAsync();
        behaviour.Deliveries.Count.ShouldBe(1);
        (await app.EffectsAsync()).ShouldBeEmpty();

        app.Clock.Advance(EventsApp.Policy.BaseDelay);
        await app.PumpAsync();

        behaviour.Deliveries.Count.ShouldBe(2);
        (await app.EffectsAsync()).ShouldBe([TicketEventTypes.Created]);
    }

    [Fact]
    public void Backoff_doubles_with_each_failure_up_to_the_maximum()
    {
        var policy = EventsApp.Policy;

        policy.DelayAfter(1).ShouldBe(TimeSpan.FromSeconds(10));
        policy.DelayAfter(2).ShouldBe(TimeSpan.FromSeconds(20));
        policy.DelayAfter(3).ShouldBe(TimeSpan.FromSeconds(40));
        policy.DelayAfter(4).ShouldBe(TimeSpan.FromMinutes(1));
        policy.DelayAfter(40).ShouldBe(TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task A_message_that_keeps_failing_is_dead_lettered_and_a_redrive_delivers_it()
    {
        var failing = true;
        var behaviour = new AuditBehaviour
        {
            BeforeEffect = (_, _) => failing ? throw new InvalidOperationException("recipient unknown") : Task.CompletedTask,
        };
        using var app = new EventsApp(behaviour);
        var ticket = await app.ClientFor("agent").OpenTicketAsync();

        for (var i = 0; i < 5; i++)
        {
            await app.PumpAsync();
            app.Clock.Advance(TimeSpan.FromMinutes(5));
        }

        behaviour.Deliveries.Count.ShouldBe(EventsApp.Policy.MaxAttempts);
        var list = await (await app.Admin.GetAsync("/api/admin/dead-letters?queue=audit")).Json();
        var letter = list["items"]!.AsArray().ShouldHaveSingleItem()!;
        letter["queue"]!.GetValue<string>().ShouldBe("audit");
        letter["type"]!.GetValue<string>().ShouldBe(TicketEventTypes.Created);
        letter["ticketId"]!.GetValue<string>().ShouldBe(ticket["id"]!.GetValue<string>());
        letter["attempts"]!.GetValue<int>().ShouldBe(3);
        letter["lastError"]!.GetValue<string>().ShouldContain("recipient unknown");

        failing = false;
        var redrive = await app.Admin.PostAsync($"/api/admin/dead-letters/{letter["id"]}/redrive", null);
        redrive.StatusCode.ShouldBe(HttpStatusCode.OK);
        await app.PumpAsync();

        (await app.EffectsAsync()).ShouldBe([TicketEventTypes.Created]);
        (await (await app.Admin.GetAsync("/api/admin/dead-letters")).Json())["items"]!.AsArray().ShouldBeEmpty();
        await (await app.Admin.PostAsync($"/api/admin/dead-letters/{letter["id"]}/redrive", null)).ShouldBeProblem(404);
    }

    [Fact]
    public async Task A_worker_killed_while_holding_a_message_loses_it_to_the_next_after_the_visibility_timeout()
    {
        var behaviour = new AuditBehaviour();
        behaviour.BeforeEffect = (delivery, ct) => delivery == 1 ? behaviour.HangUntilKilled(ct) : Task.CompletedTask;
        using (var before = new EventsApp(behaviour, _folder))
        {
            await before.ClientFor("agent").OpenTicketAsync();
            using var kill = new CancellationTokenSource();
            var pumping = before.PumpAsync(kill.Token);
            await behaviour.Hanging.WaitAsync();
            await kill.CancelAsync();
            await Should.ThrowAsync<OperationCanceledException>(pumping);
        }

        using var after = new EventsApp(behaviour, _folder);
        await after.PumpAsync();
        behaviour.Deliveries.Count.ShouldBe(1, "the message stays hidden until the visibility timeout");

        after.Clock.Advance(EventsApp.Policy.VisibilityTimeout);
        await after.PumpAsync();

        behaviour.Deliveries.Count.ShouldBe(2);
        (await after.EffectsAsync()).ShouldBe([TicketEventTypes.Created]);
    }

    [Fact]
    public async Task A_message_a_dead_process_of_this_host_held_is_delivered_at_the_next_start_up_not_after_the_visibility_timeout()
    {
        var behaviour = new AuditBehaviour();
        using var app = new EventsApp(behaviour);
        await app.ClientFor("agent").OpenTicketAsync();
        await app.PumpAsync();
        await app.ClientFor("agent").OpenTicketAsync();
        await using (var scope = app.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<Helpdesk.Api.Events.OutboxRelay>().RelayPendingAsync(CancellationToken.None);
        }

        var dead = ActivatorUtilities.CreateInstance<Helpdesk.Api.Events.LocalQueue>(app.Services, Common.ClaimOwnerTests.DeadProcess());
        (await dead.LeaseNextAsync(new Dictionary<string, Helpdesk.Api.Events.QueuePolicy> { [EventsApp.Queue] = EventsApp.Policy }, CancellationToken.None)).ShouldNotBeNull();

        await app.PumpAsync();
        var whileHeld = behaviour.Deliveries.Count;
        (await app.Services.GetRequiredService<Helpdesk.Api.Common.StaleClaimRecovery>().RecoverAsync(CancellationToken.None)).ShouldBe(1);
        await app.PumpAsync();

        whileHeld.ShouldBe(1, "the dead process's lease holds until the recovery");
        (await app.EffectsAsync()).ShouldBe([TicketEventTypes.Created, TicketEventTypes.Created]);
    }

    [Fact]
    public async Task A_worker_killed_after_the_effect_but_before_completing_does_not_apply_it_twice()
    {
        var behaviour = new AuditBehaviour();
        behaviour.AfterEffect = (delivery, ct) => delivery == 1 ? behaviour.HangUntilKilled(ct) : Task.CompletedTask;
        using (var before = new EventsApp(behaviour, _folder))
        {
            await before.ClientFor("agent").OpenTicketAsync();
            using var kill = new CancellationTokenSource();
            var pumping = before.PumpAsync(kill.Token);
            await behaviour.Hanging.WaitAsync();
            await kill.CancelAsync();
            await Should.ThrowAsync<OperationCanceledException>(pumping);
        }

        using var after = new EventsApp(behaviour, _folder);
        after.Clock.Advance(EventsApp.Policy.VisibilityTimeout);
        await after.PumpAsync();
        await after.PumpAsync();

        behaviour.Deliveries.Count.ShouldBe(1, "the redelivery finds the event processed and completes it without calling the consumer");
        (await after.EffectsAsync()).ShouldBe([TicketEventTypes.Created]);
    }

    [Fact]
    public async Task A_worker_killed_every_time_ends_in_the_dead_letters()
    {
        var behaviour = new AuditBehaviour();
        behaviour.BeforeEffect = (_, ct) => behaviour.HangUntilKilled(ct);
        using var app = new EventsApp(behaviour);
        await app.ClientFor("agent").OpenTicketAsync();

        for (var i = 0; i < EventsApp.Policy.MaxAttempts; i++)
        {
            using var kill = new CancellationTokenSource();
            var pumping = app.PumpAsync(kill.Token);
            await behaviour.Hanging.WaitAsync();
            await kill.CancelAsync();
            await Should.ThrowAsync<OperationCanceledException>(pumping);
            app.Clock.Advance(EventsApp.Policy.VisibilityTimeout);
        }

        await app.PumpAsync();
        behaviour.Deliveries.Count.ShouldBe(EventsApp.Policy.MaxAttempts);
        var list = await (await app.Admin.GetAsync("/api/admin/dead-letters")).Json();
        list["items"]!.AsArray().ShouldHaveSingleItem()!["lastError"]!.GetValue<string>().ShouldContain("attempt");
    }

    [Fact]
    public async Task Dead_letters_are_for_admins_only()
    {
        using var app = new EventsApp(new AuditBehaviour());

        (await app.CreateClient().GetAsync("/api/admin/dead-letters")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await app.ClientFor("agent").GetAsync("/api/admin/dead-letters")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await app.ClientFor("supervisor").PostAsync("/api/admin/dead-letters/1/redrive", null)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Unknown_dead_letters_and_bad_limits_are_refused()
    {
        using var app = new EventsApp(new AuditBehaviour());

        await (await app.Admin.GetAsync("/api/admin/dead-letters/42")).ShouldBeProblem(404);
        await (await app.Admin.GetAsync("/api/admin/dead-letters/not-a-number")).ShouldBeProblem(404);
        await (await app.Admin.PostAsync("/api/admin/dead-letters/42/redrive", null)).ShouldBeProblem(404);
        await (await app.Admin.GetAsync("/api/admin/dead-letters?limit=0")).ShouldBeProblem(400, "limit");
        await (await app.Admin.GetAsync("/api/admin/dead-letters?cursor=garbage")).ShouldBeProblem(400, "cursor");
    }
}
