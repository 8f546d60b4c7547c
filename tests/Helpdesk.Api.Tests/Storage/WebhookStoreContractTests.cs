using Helpdesk.Api.Events;
using Helpdesk.Api.Storage.Sqlite;
using Helpdesk.Api.Webhooks;
using Helpdesk.Domain.Common;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Helpdesk.Api.Tests.Storage;

/// <summary>
/// One contract for the webhook store on every engine: subscriptions, the records of served
/// hooks, and their retention purge, which never drops the record of an event still on the queue.
/// </summary>
public abstract class WebhookStoreContractTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "helpdesk-tests", Guid.NewGuid().ToString("N"));

    protected FakeTimeProvider Clock { get; } = new(T0);

    protected IWebhookStore Store { get; private set; } = null!;

    /// <summary>The local queue the purge consults (SQLite on both engines, as standalone).</summary>
    protected LocalQueue Queue { get; private set; } = null!;

    protected SqliteDatabase Database { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Database = new SqliteDatabase(_folder);
        Database.Migrate([.. SqliteSchema.All, EventsSchema.Queue, SqliteWebhookStore.Migration, SqliteWebhookStore.RetentionIndex]);
        Queue = new LocalQueue(Database, Clock, Helpdesk.Api.Common.ClaimOwner.ThisProcess);
        Store = await OpenAsync();
    }

    /// <summary>A store over this test's fresh storage.</summary>
    protected abstract Task<IWebhookStore> OpenAsync();

    public virtual Task DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        if (System.IO.Directory.Exists(_folder))
        {
            System.IO.Directory.Delete(_folder, recursive: true);
        }

        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_subscription_reads_back_and_is_listed_under_its_event_in_the_order_of_subscribing()
    {
        var hooks = Enumerable.Range(0, 6).Select(i => Hook(i == 2 ? "ticket.resolved" : "ticket.created", i == 0 ? new WebhookFilters(Priority: "urgent", TeamId: "team_1") : null)).ToArray();
        foreach (var hook in hooks)
        {
            await Store.CreateAsync(hook, default);
        }

        (await Store.FindAsync(hooks[0].Id, default)).ShouldBe(hooks[0]);
        (await Store.ForEventAsync("ticket.created", default)).Select(h => h.Id).ShouldBe(hooks.Where(h => h.Event == "ticket.created").Select(h => h.Id), "made in the same millisecond, listed in the order made");
        (await Store.ForEventAsync("sla.breached", default)).ShouldBeEmpty();
    }

    [Fact]
    public async Task A_deleted_subscription_is_gone_and_deleting_it_again_says_so()
    {
        var hook = Hook("ticket.updated");
        await Store.CreateAsync(hook, default);

        (await Store.DeleteAsync(hook.Id, default)).ShouldBeTrue();

        (await Store.DeleteAsync(hook.Id, default)).ShouldBeFalse();
        (await Store.FindAsync(hook.Id, default)).ShouldBeNull();
        (await Store.FindAsync("hook_missing", default)).ShouldBeNull();
        (await Store.ForEventAsync("ticket.updated", default)).ShouldBeEmpty();
    }

    [Fact]
    public async Task A_served_hook_is_recorded_once_per_event()
    {
        await Store.RecordAsync("evt-1", "hook_a", "delivered", T0, default);
        await Store.RecordAsync("evt-1", "hook_a", "removed", T0.AddMinutes(1), default);

        (await Store.WasServedAsync("evt-1", "hook_a", default)).ShouldBeTrue();
        (await Store.WasServedAsync("evt-1", "hook_b", default)).ShouldBeFalse();
        (await Store.WasServedAsync("evt-2", "hook_a", default)).ShouldBeFalse();
    }

    [Fact]
    public async Task The_purge_drops_old_records_but_keeps_new_ones_and_those_whose_event_is_still_queued()
    {
        await Store.RecordAsync("evt-old", "hook_a", "delivered", T0, default);
        await Store.RecordAsync("evt-old", "hook_b", "removed", T0, default);
        await Store.RecordAsync("evt-queued", "hook_a", "delivered", T0, default);
        await Store.RecordAsync("evt-new", "hook_a", "delivered", T0.AddDays(5), default);
        await Queue.EnqueueAsync(QueueNames.Webhooks, new EventMessage("evt-queued", "ticket.created", null, "evt-queued", T0, Actor.System("sla"), new Dictionary<string, string?>()), default);

        var purged = await Store.PurgeServedAsync(T0.AddDays(1), default);

        purged.ShouldBe(2);
        (await Store.WasServedAsync("evt-old", "hook_a", default)).ShouldBeFalse();
        (await Store.WasServedAsync("evt-old", "hook_b", default)).ShouldBeFalse();
        (await Store.WasServedAsync("evt-queued", "hook_a", default)).ShouldBeTrue();
        (await Store.WasServedAsync("evt-new", "hook_a", default)).ShouldBeTrue();
        (await Store.PurgeServedAsync(T0.AddDays(1), default)).ShouldBe(0);
    }

    private WebhookSubscription Hook(string eventName, WebhookFilters? filters = null) =>
        new(Helpdesk.Api.Common.Ids.New("hook", Clock), "https://flows.example.test/" + Guid.NewGuid().ToString("N"), eventName, filters ?? new WebhookFilters(), "c2VjcmV0", "ada@helpdesk.test", Clock.GetUtcNow());
}

/// <summary>The webhook store contract on the embedded SQLite store.</summary>
public sealed class SqliteWebhookStoreContractTests : WebhookStoreContractTests
{
    protected override Task<IWebhookStore> OpenAsync() => Task.FromResult<IWebhookStore>(new SqliteWebhookStore(Database));
}
