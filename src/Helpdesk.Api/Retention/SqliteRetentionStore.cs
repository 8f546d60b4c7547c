using System.Globalization;
using System.Text;
using Helpdesk.Api.Storage.Sqlite;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Retention;

/// <summary>The retention rules' tickets on SQLite: closed rows of the tickets table, deleted ones too.</summary>
internal sealed class SqliteRetentionStore(SqliteDatabase database) : IRetentionStore
{
    public async Task<IReadOnlyList<RetentionCandidate>> CandidatesAsync(RetentionScope scope, long afterSeq, int limit, CancellationToken cancellationToken)
    {
        var (where, parameters) = Where(scope);
        parameters.Add(("$after", afterSeq));
        parameters.Add(("$limit", limit));
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command(
            $"SELECT seq, id, number, json_extract(doc, '$.subject'), account_id, json_extract(doc, '$.type'), updated_at, deleted FROM tickets WHERE {where} AND seq > $after ORDER BY seq LIMIT $limit",
            null,
            [.. parameters]);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<RetentionCandidate>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new RetentionCandidate(
                reader.GetInt64(0),
                reader.GetString(1),
                reader.GetString(2),
                reader.IsDBNull(3) ? string.Empty : reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetString(5),
                DateTimeOffset.Parse(reader.GetString(6), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal),
                reader.GetInt64(7) == 1));
        }

        return rows;
    }

    public async Task<long> CountAsync(RetentionScope scope, CancellationToken cancellationToken)
    {
        var (where, parameters) = Where(scope);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command($"SELECT COUNT(*) FROM tickets WHERE {where}", null, [.. parameters]);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static (string Where, List<(string, object?)> Parameters) Where(RetentionScope scope)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var sql = new StringBuilder("status = $closed AND updated_at < $before AND json_extract(doc, '$.mergedInto') IS NULL");
        var parameters = new List<(string, object?)> { ("$closed", Names.Of(TicketStatus.Closed)), ("$before", SqliteTime.Format(scope.ClosedBefore)) };
        if (scope.AccountId is not null)
        {
            sql.Append(" AND account_id = $account");
            parameters.Add(("$account", scope.AccountId));
        }

        if (scope.Type is not null)
        {
            sql.Append(" AND lower(json_extract(doc, '$.type')) = $type");
            parameters.Add(("$type", scope.Type.ToLowerInvariant()));
        }

        for (var i = 0; i < scope.Except.Count; i++)
        {
            var (account, type) = (scope.Except[i].AccountId, scope.Except[i].Type);
            var name = string.Create(CultureInfo.InvariantCulture, $"$x{i}");
            sql.Append(" AND NOT (")
                .Append(account is null ? "1" : $"account_id IS {name}a")
                .Append(" AND ")
                .Append(type is null ? "1" : $"lower(json_extract(doc, '$.type')) IS {name}t")
                .Append(')');
            if (account is not null)
            {
                parameters.Add(($"{name}a", account));
            }

            if (type is not null)
            {
                parameters.Add(($"{name}t", type.ToLowerInvariant()));
            }
        }

        return (sql.ToString(), parameters);
    }
}
