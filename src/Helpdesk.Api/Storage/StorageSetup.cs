using Helpdesk.Api.Common;
using Helpdesk.Api.Directory;
using Helpdesk.Api.Storage.Sqlite;
using Helpdesk.Api.Tickets;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Storage;

public static class StorageSetup
{
    /// <summary>Registers the store selected by <c>Storage:Provider</c>; SQLite is the embedded default.</summary>
    public static IServiceCollection AddStorage(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<StorageOptions>().Bind(configuration.GetSection(StorageOptions.Section))
            .Validate(o => string.Equals(o.Provider, "sqlite", StringComparison.OrdinalIgnoreCase), "Storage:Provider must be 'sqlite' (the only store built in so far).")
            .ValidateOnStart();
        services.AddSingleton(sp =>
        {
            var database = new SqliteDatabase(sp.GetRequiredService<IOptions<StorageOptions>>().Value.ResolvedDataFolder);
            database.Migrate(sp.GetServices<SqliteMigration>());
            return database;
        });
        services.AddSingleton(SqliteSchema.Foundation);
        services.AddSingleton(SqliteSchema.TicketSchedule);
        services.TryAddSingleton<ITicketScheduler, DueDateScheduler>();
        services.AddSingleton<SqliteTicketStore>();
        services.AddSingleton<ITicketStore>(sp => sp.GetRequiredService<SqliteTicketStore>());
        services.AddSingleton<ITicketNumberSequence>(sp => sp.GetRequiredService<SqliteTicketStore>());
        services.AddSingleton<IDirectoryStore, SqliteDirectoryStore>();
        services.AddSingleton<IIdempotencyStore, SqliteIdempotencyStore>();
        services.AddSingleton<IStoreHealth, SqliteStoreHealth>();
        return services;
    }
}

/// <summary>Answers whether the store can serve requests, for the health route.</summary>
public interface IStoreHealth
{
    Task<bool> IsHealthyAsync(CancellationToken cancellationToken);
}

internal sealed class SqliteStoreHealth(SqliteDatabase database) : IStoreHealth
{
    public async Task<bool> IsHealthyAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command("SELECT 1");
        return await command.ExecuteScalarAsync(cancellationToken) is 1L;
    }
}
