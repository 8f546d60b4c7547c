using Helpdesk.Api.Common;
using Helpdesk.Api.Storage;
using Helpdesk.Api.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Helpdesk.Api.Directory;

internal sealed class SqliteDirectoryStore(SqliteDatabase database) : IDirectoryStore
{
    public async Task<Versioned<T>?> FindAsync<T>(DirectoryKind<T> kind, string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command("SELECT version, doc FROM directory WHERE kind = $kind AND id = $id", null, ("$kind", kind.Name), ("$id", id));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new Versioned<T>(StoreJson.Deserialize<T>(reader.GetString(1)), reader.GetInt64(0))
            : null;
    }

    public async Task<T?> FindByKeyAsync<T>(DirectoryKind<T> kind, string key, CancellationToken cancellationToken)
        where T : class
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command(
            "SELECT d.doc FROM directory_keys k JOIN directory d ON d.kind = k.kind AND d.id = k.id WHERE k.kind = $kind AND k.key = $key",
            null,
            ("$kind", kind.Name),
            ("$key", key));
        return await command.ExecuteScalarAsync(cancellationToken) is string doc ? StoreJson.Deserialize<T>(doc) : null;
    }

    public async Task<Page<Versioned<T>>> ListAsync<T>(DirectoryKind<T> kind, string? text, int limit, string? cursor, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command(
            """
            SELECT seq, version, doc FROM directory
            WHERE kind = $kind AND seq > $after AND ($q IS NULL OR instr(search, $q) > 0)
            ORDER BY seq LIMIT $limit
            """,
            null,
            ("$kind", kind.Name),
            ("$after", cursor is null ? 0 : Paging.DecodeKey(cursor)),
            ("$q", string.IsNullOrWhiteSpace(text) ? null : text.Trim().ToLowerInvariant()),
            ("$limit", limit + 1));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var items = new List<Versioned<T>>();
        long last = 0;
        while (items.Count < limit && await reader.ReadAsync(cancellationToken))
        {
            last = reader.GetInt64(0);
            items.Add(new Versioned<T>(StoreJson.Deserialize<T>(reader.GetString(2)), reader.GetInt64(1)));
        }

        var hasMore = items.Count == limit && await reader.ReadAsync(cancellationToken);
        return new Page<Versioned<T>>(items, hasMore ? Paging.EncodeKey(last) : null);
    }

    public async Task CreateAsync<T>(DirectoryKind<T> kind, T entry, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenWriterAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction();
        await using (var insert = connection.Command(
            "INSERT INTO directory (kind, id, version, search, doc) VALUES ($kind, $id, 1, $search, $doc)",
            transaction,
            ("$kind", kind.Name),
            ("$id", kind.Id(entry)),
            ("$search", kind.SearchText(entry).ToLowerInvariant()),
            ("$doc", StoreJson.Serialize(entry))))
        {
            try
            {
                await insert.ExecuteNonQueryAsync(cancellationToken);
            }
            catch (SqliteException e) when (e.IsUniqueViolation())
            {
                throw new UniqueConstraintException("id", $"A {kind.Name} with id '{kind.Id(entry)}' already exists.");
            }
        }

        await WriteKeysAsync(connection, transaction, kind, entry, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<long> ReplaceAsync<T>(DirectoryKind<T> kind, T entry, long expectedVersion, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenWriterAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction();
        await using (var update = connection.Command(
            "UPDATE directory SET version = version + 1, search = $search, doc = $doc WHERE kind = $kind AND id = $id AND version = $expected",
            transaction,
            ("$kind", kind.Name),
            ("$id", kind.Id(entry)),
            ("$search", kind.SearchText(entry).ToLowerInvariant()),
            ("$doc", StoreJson.Serialize(entry)),
            ("$expected", expectedVersion)))
        {
            if (await update.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                throw new ConcurrencyConflictException($"The {kind.Name} was changed by someone else since version {expectedVersion}.");
            }
        }

        await using (var clear = connection.Command("DELETE FROM directory_keys WHERE kind = $kind AND id = $id", transaction, ("$kind", kind.Name), ("$id", kind.Id(entry))))
        {
            await clear.ExecuteNonQueryAsync(cancellationToken);
        }

        await WriteKeysAsync(connection, transaction, kind, entry, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return expectedVersion + 1;
    }

    private static async Task WriteKeysAsync<T>(SqliteConnection connection, SqliteTransaction transaction, DirectoryKind<T> kind, T entry, CancellationToken cancellationToken)
    {
        foreach (var key in kind.Keys(entry).Distinct(StringComparer.Ordinal))
        {
            await using var insert = connection.Command(
                "INSERT INTO directory_keys (kind, key, id) VALUES ($kind, $key, $id)",
                transaction,
                ("$kind", kind.Name),
                ("$key", key),
                ("$id", kind.Id(entry)));
            try
            {
                await insert.ExecuteNonQueryAsync(cancellationToken);
            }
            catch (SqliteException e) when (e.IsUniqueViolation())
            {
                throw new UniqueConstraintException(kind.KeyField, $"'{key}' is already used by another {kind.Name}.");
            }
        }
    }
}
