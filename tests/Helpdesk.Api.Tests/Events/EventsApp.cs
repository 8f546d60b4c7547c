using Helpdesk.Api.Events;
using Helpdesk.Api.Storage.Sqlite;
using Helpdesk.Api.Tests.Infrastructure;
using Helpdesk.Domain.Tickets;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Helpdesk.Api.Tests.Events;

/// <summary>
/// The app with one extra queue, <c>audit</c>, whose consumer (<see cref="AuditConsumer"/>) writes
/// one row per event it applies. Two instances built on the same data folder are the same
/// helpdesk before and after a restart; the <see cref="AuditBehaviour"/> is the world outside
/// that survives the restart.
/// </summary>
internal sealed class EventsApp(AuditBehaviour behaviour, string? sharedDataFolder = null) : HelpdeskApp
{
    public const string Queue = "audit";
    public const string Function = "AuditEvents";

    public static readonly QueuePolicy Policy = new(MaxAttempts: 3, BaseDelay: TimeSpan.FromSeconds(10), MaxDelay: TimeSpan.FromMinutes(1), VisibilityTimeout: TimeSpan.FromMinutes(2));

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        if (sharedDataFolder is not null)
        {
            builder.UseSetting("Storage:DataFolder", sharedDataFolder);
        }

        builder.ConfigureServices(services => services
            .AddSingleton(behaviour)
            .AddSqliteMigration("9900-test-audit", "CREATE TABLE audit_effects (seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL, type TEXT NOT NULL);")
            .AddQueueConsumer<AuditConsumer>(Queue, Function, "audit.record", type => type is TicketEventTypes.Created or TicketEventTypes.Resolved, Policy));
    }

    /// <summary>One sweep of the standalone runner: relay, then deliver what is due.</summary>
    public async Task<int> PumpAsync(CancellationToken cancellationToken = default)
    {
        await using var scope = Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<EventPump>().RunOnceAsync(cancellationToken);
    }

    /// <summary>The events the consumer applied, in order, as recorded in the store.</summary>
    public async Task<List<string>> EffectsAsync()
    {
        var database = Services.GetRequiredService<SqliteDatabase>();
        await using var connection = await database.OpenAsync(CancellationToken.None);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT type FROM audit_effects ORDER BY seq";
        await using var reader = await command.ExecuteReaderAsync();
        var effects = new List<string>();
        while (await reader.ReadAsync())
        {
            effects.Add(reader.GetString(0));
        }

        return effects;
    }

    /// <summary>Outbox rows the relay has not published yet.</summary>
    public async Task<long> UnpublishedAsync()
    {
        var database = Services.GetRequiredService<SqliteDatabase>();
        await using var connection = await database.OpenAsync(CancellationToken.None);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM outbox WHERE published_at IS NULL";
        return (long)(await command.ExecuteScalarAsync())!;
    }

    public static string NewDataFolder() => Path.Combine(Path.GetTempPath(), "helpdesk-tests", Guid.NewGuid().ToString("N"));
}

/// <summary>What the audit consumer does on each delivery; tests script failures and crashes here.</summary>
internal sealed class AuditBehaviour
{
    private readonly Lock _gate = new();
    private readonly List<string> _deliveries = [];

    /// <summary>Called before the effect; throw to fail the delivery.</summary>
    public Func<int, CancellationToken, Task> BeforeEffect { get; set; } = (_, _) => Task.CompletedTask;

    /// <summary>Called after the effect committed, before the queue hears of it.</summary>
    public Func<int, CancellationToken, Task> AfterEffect { get; set; } = (_, _) => Task.CompletedTask;

    /// <summary>
    /// Released each time a delivery reaches <see cref="HangUntilKilled"/>: only then has everything
    /// before the hang happened (the effect committed, for a hang after it), so a test may kill the worker.
    /// </summary>
    public SemaphoreSlim Hanging { get; } = new(0);

    public IReadOnlyList<string> Deliveries
    {
        get
        {
            lock (_gate)
            {
                return [.. _deliveries];
            }
        }
    }

    public int Record(string eventId)
    {
        lock (_gate)
        {
            _deliveries.Add(eventId);
            return _deliveries.Count;
        }
    }

    /// <summary>Blocks until the delivery is cancelled: the process dies while holding the message.</summary>
    public async Task HangUntilKilled(CancellationToken cancellationToken)
    {
        Hanging.Release();
        await Task.Delay(Timeout.Infinite, cancellationToken);
    }
}

/// <summary>A consumer written the way real ones must be: its effect and its processed mark commit together.</summary>
internal sealed class AuditConsumer(AuditBehaviour behaviour, SqliteDatabase database, ProcessedEvents processed) : IEventConsumer
{
    public async Task HandleAsync(EventMessage message, CancellationToken cancellationToken)
    {
        var delivery = behaviour.Record(message.EventId);
        await behaviour.BeforeEffect(delivery, cancellationToken);

        await using (var connection = await database.OpenAsync(cancellationToken))
        await using (var transaction = connection.BeginTransaction())
        {
            if (await processed.TryMarkAsync(connection, transaction, EventsApp.Function, message.EventId, cancellationToken))
            {
                await using var insert = connection.CreateCommand();
                insert.Transaction = transaction;
                insert.CommandText = "INSERT INTO audit_effects (event_id, type) VALUES ($id, $type)";
                insert.Parameters.AddWithValue("$id", message.EventId);
                insert.Parameters.AddWithValue("$type", message.Type);
                await insert.ExecuteNonQueryAsync(cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
        }

        await behaviour.AfterEffect(delivery, cancellationToken);
    }
}
