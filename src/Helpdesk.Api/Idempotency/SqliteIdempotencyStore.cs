using Helpdesk.Api.Storage;
using Helpdesk.Api.Storage.Sqlite;

namespace Helpdesk.Api.Idempotency;

internal sealed class SqliteIdempotencyStore(SqliteDatabase database) : IIdempotencyStore
{
    /// <summary>How long a key is remembered.</summary>
    internal static readonly TimeSpan Retention = TimeSpan.FromHours(24);

    /// <summary>A reservation older than this belongs to a request that died; a retry may take it over.</summary>
    internal static readonly TimeSpan AbandonedAfter = TimeSpan.FromMinutes(2);

    public async Task<IdempotencyBegin> BeginAsync(string scope, string key, string requestHash, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenWriterAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction();
        await using (var purge = connection.Command("DELETE FROM idempotency WHERE created_at < $expired", transaction, ("$expired", SqliteTime.Format(now - Retention))))
        {
            await purge.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var read = connection.Command(
            "SELECT request_hash, created_at, completed, response FROM idempotency WHERE scope = $scope AND key = $key",
            transaction,
            ("$scope", scope),
            ("$key", key)))
        await using (var reader = await read.ExecuteReaderAsync(cancellationToken))
        {
            if (await reader.ReadAsync(cancellationToken))
            {
                var sameBody = reader.GetString(0) == requestHash;
                var completed = reader.GetInt64(2) == 1;
                var abandoned = !completed && string.CompareOrdinal(reader.GetString(1), SqliteTime.Format(now - AbandonedAfter)) < 0;
                if (!sameBody)
                {
                    return new IdempotencyBegin(IdempotencyOutcome.Mismatch);
                }

                if (completed)
                {
                    return new IdempotencyBegin(IdempotencyOutcome.Replay, StoreJson.Deserialize<StoredResponse>(reader.GetString(3)));
                }

                if (!abandoned)
                {
                    return new IdempotencyBegin(IdempotencyOutcome.InProgress);
                }
            }
        }

        await using var reserve = connection.Command(
            """
            INSERT INTO idempotency (scope, key, request_hash, created_at) VALUES ($scope, $key, $hash, $now)
            ON CONFLICT (scope, key) DO UPDATE SET request_hash = excluded.request_hash, created_at = excluded.created_at, completed = 0, response = NULL
            """,
            transaction,
            ("$scope", scope),
            ("$key", key),
            ("$hash", requestHash),
            ("$now", SqliteTime.Format(now)));
        await reserve.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new IdempotencyBegin(IdempotencyOutcome.Started);
    }

    public async Task CompleteAsync(string scope, string key, StoredResponse response, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenWriterAsync(cancellationToken);
        await using var command = connection.Command(
            "UPDATE idempotency SET completed = 1, response = $response WHERE scope = $scope AND key = $key",
            null,
            ("$scope", scope),
            ("$key", key),
            ("$response", StoreJson.Serialize(response)));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task AbandonAsync(string scope, string key, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenWriterAsync(cancellationToken);
        await using var command = connection.Command(
            "DELETE FROM idempotency WHERE scope = $scope AND key = $key AND completed = 0",
            null,
            ("$scope", scope),
            ("$key", key));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
