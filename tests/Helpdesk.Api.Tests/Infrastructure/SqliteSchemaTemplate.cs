using System.Collections.Concurrent;
using Helpdesk.Api.Storage;
using Helpdesk.Api.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Tests.Infrastructure;

/// <summary>
/// The SQLite schema, made once per test process for each set of migrations and copied into
/// every test app's data folder before the app opens it: an app's start then finds every
/// migration applied instead of running them all (34 transactions, each synced to disk). The
/// product's own start is unchanged: it opens the file and migrates as always, so a migration
/// the copy lacks still runs. A folder that already holds a database (a test that prepared
/// one, apps sharing a folder) is left alone. The migrations themselves run for real in the
/// first app of a process (which makes the template) and in the SQLite store tests.
/// </summary>
internal static class SqliteSchemaTemplate
{
    private const string FileName = "helpdesk.db";

    private static readonly string Root = Path.Combine(Path.GetTempPath(), "helpdesk-tests", "schema-templates", Guid.NewGuid().ToString("N"));
    private static readonly ConcurrentDictionary<string, Lazy<string>> Templates = new(StringComparer.Ordinal);

    /// <summary>Registers the app's database as the product does, opened on a copy of the template.</summary>
    public static void Use(IServiceCollection services) =>
        services.Replace(ServiceDescriptor.Singleton(sp =>
        {
            var folder = sp.GetRequiredService<IOptions<StorageOptions>>().Value.ResolvedDataFolder;
            var migrations = sp.GetServices<SqliteMigration>().ToList();
            CopyInto(folder, migrations);
            var database = new SqliteDatabase(folder);
            database.Migrate(migrations);
            return database;
        }));

    private static void CopyInto(string folder, IReadOnlyList<SqliteMigration> migrations)
    {
        var target = Path.Combine(folder, FileName);
        if (File.Exists(target))
        {
            return;
        }

        var key = string.Join('\n', migrations.Select(m => m.Name).Order(StringComparer.Ordinal));
        var template = Templates.GetOrAdd(key, _ => new Lazy<string>(() => Make(migrations))).Value;
        System.IO.Directory.CreateDirectory(folder);
        File.Copy(template, target);
    }

    /// <summary>Migrates a fresh database, then writes it out whole into one file (no WAL beside it).</summary>
    private static string Make(IReadOnlyList<SqliteMigration> migrations)
    {
        var folder = Path.Combine(Root, Guid.NewGuid().ToString("N"));
        using (var database = new SqliteDatabase(folder))
        {
            database.Migrate(migrations);
        }

        var template = Path.Combine(folder, "template.db");
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(folder, FileName), Pooling = false }.ToString());
        connection.Open();
        using var vacuum = connection.CreateCommand();
        vacuum.CommandText = "VACUUM INTO $path";
        vacuum.Parameters.AddWithValue("$path", template);
        vacuum.ExecuteNonQuery();
        return template;
    }
}
