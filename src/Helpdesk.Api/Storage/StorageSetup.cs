using Helpdesk.Api.Storage.Cosmos;
using Helpdesk.Api.Storage.Sqlite;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Storage;

public static class StorageSetup
{
    /// <summary>
    /// The engine selected by <c>Storage:Provider</c>: SQLite (the embedded default) or Cosmos DB,
    /// with its plumbing (connection, schema, containers, retries). Each capability registers its
    /// own stores for both engines (<see cref="StoreSelection"/>). The SQLite database is
    /// registered either way, for the local queue and outbox of the standalone runner.
    /// </summary>
    public static IServiceCollection AddStorage(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<StorageOptions>().Bind(configuration.GetSection(StorageOptions.Section))
            .Validate(o => o.IsSqlite || o.IsCosmos, "Storage:Provider must be 'sqlite' or 'cosmos'.")
            .ValidateOnStart();
        services.AddSingleton(sp =>
        {
            var database = new SqliteDatabase(sp.GetRequiredService<IOptions<StorageOptions>>().Value.ResolvedDataFolder);
            database.Migrate(sp.GetServices<SqliteMigration>());
            return database;
        });
        foreach (var migration in SqliteSchema.All)
        {
            services.AddSingleton(migration);
        }

        services.AddHealthChecks()
            .AddCheck<StoreReachableCheck>("store", tags: [HealthTags.Ready])
            .AddCheck<SchemaCurrentCheck>("schema", tags: [HealthTags.Ready]);
        var selected = configuration.GetSection(StorageOptions.Section).Get<StorageOptions>() ?? new StorageOptions();
        return selected.IsCosmos
            ? services.AddCosmosStorage(configuration)
            : services.AddSingleton<IStoreHealth, SqliteStoreHealth>();
    }
}

/// <summary>The tags of the health checks: those tagged <see cref="Ready"/> decide <c>/api/health/ready</c>.</summary>
public static class HealthTags
{
    public const string Ready = "ready";
}

/// <summary>Picks a capability's store for the configured <c>Storage:Provider</c>.</summary>
public static class StoreSelection
{
    /// <summary>A factory for the SQLite or the Cosmos DB implementation, built with its dependencies.</summary>
    public static Func<IServiceProvider, TService> Of<TService, TSqlite, TCosmos>()
        where TService : class
        where TSqlite : TService
        where TCosmos : TService =>
        sp => IsCosmos(sp)
            ? ActivatorUtilities.CreateInstance<TCosmos>(sp)
            : ActivatorUtilities.CreateInstance<TSqlite>(sp);

    /// <summary>The registered SQLite or Cosmos DB service, for stores one instance serves under several interfaces.</summary>
    public static Func<IServiceProvider, TService> Registered<TService, TSqlite, TCosmos>()
        where TService : class
        where TSqlite : class, TService
        where TCosmos : class, TService =>
        sp => IsCosmos(sp) ? sp.GetRequiredService<TCosmos>() : sp.GetRequiredService<TSqlite>();

    /// <summary>
    /// A Cosmos DB store that serves several interfaces (or a store's helper), built on first use.
    /// Its dependencies (the client, the containers) exist only when <c>Storage:Provider</c> is
    /// cosmos, so it is registered through a factory: the Development host validates every
    /// constructor-registered service at start and would refuse to start on SQLite.
    /// </summary>
    public static IServiceCollection AddCosmosSingleton<TCosmos>(this IServiceCollection services)
        where TCosmos : class =>
        services.AddSingleton(sp => ActivatorUtilities.CreateInstance<TCosmos>(sp));

    private static bool IsCosmos(IServiceProvider services) => services.GetRequiredService<IOptions<StorageOptions>>().Value.IsCosmos;
}

/// <summary>Answers whether the store can serve requests, for the health routes.</summary>
public interface IStoreHealth
{
    Task<bool> IsHealthyAsync(CancellationToken cancellationToken);

    /// <summary>What the running code needs of the store and does not find there: migrations not applied, containers missing.</summary>
    Task<IReadOnlyList<string>> MissingSchemaAsync(CancellationToken cancellationToken);
}

internal sealed class SqliteStoreHealth(SqliteDatabase database, IEnumerable<SqliteMigration> migrations) : IStoreHealth
{
    public async Task<bool> IsHealthyAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command("SELECT 1");
        return await command.ExecuteScalarAsync(cancellationToken) is 1L;
    }

    public async Task<IReadOnlyList<string>> MissingSchemaAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command("SELECT name FROM schema_migrations");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var applied = new HashSet<string>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            applied.Add(reader.GetString(0));
        }

        return [.. migrations.Select(m => m.Name).Where(name => !applied.Contains(name)).Select(name => $"migration {name}")];
    }
}

/// <summary>Ready needs the store to answer.</summary>
internal sealed class StoreReachableCheck(IStoreHealth store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        await store.IsHealthyAsync(cancellationToken)
            ? HealthCheckResult.Healthy("The store answers.")
            : HealthCheckResult.Unhealthy("The store answered, but not as expected.");
}

/// <summary>Ready needs the schema the code expects: every SQLite migration applied, every Cosmos DB container there.</summary>
internal sealed class SchemaCurrentCheck(IStoreHealth store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        await store.MissingSchemaAsync(cancellationToken) is { Count: > 0 } missing
            ? HealthCheckResult.Unhealthy($"Missing: {string.Join(", ", missing)}.")
            : HealthCheckResult.Healthy("The schema is current.");
}
