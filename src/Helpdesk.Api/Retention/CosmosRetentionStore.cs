using System.Globalization;
using System.Text;
using Helpdesk.Api.Storage.Cosmos;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;
using Microsoft.Azure.Cosmos;

namespace Helpdesk.Api.Retention;

/// <summary>
/// The retention rules' tickets on Cosmos DB: ticket documents (soft-deleted ones are of type
/// <c>deletedTicket</c>) by their indexed status and last change; the type is only in the
/// unindexed snapshot, so the query may scan what the indexed filters leave: it runs from an
/// hourly timer and an admin's preview, never on a user's request path.
/// </summary>
internal sealed class CosmosRetentionStore(CosmosContainers containers, CosmosRetry retry) : IRetentionStore
{
    public async Task<IReadOnlyList<RetentionCandidate>> CandidatesAsync(RetentionScope scope, long afterSeq, int limit, CancellationToken cancellationToken)
    {
        var (where, parameters) = Where(scope);
        var query = new QueryDefinition($"SELECT TOP @top c.seq, c.id, c.number, c.snapshot.subject, c.accountId, c.snapshot.type, c.updatedAt, c.type AS kind FROM c WHERE {where} AND c.seq > @after ORDER BY c.seq")
            .WithParameter("@top", limit)
            .WithParameter("@after", afterSeq);
        foreach (var (name, value) in parameters)
        {
            query = query.WithParameter(name, value);
        }

        var rows = await ReadAsync<Row>(query, limit, cancellationToken);
        return [.. rows.Select(r => new RetentionCandidate(
            r.Seq,
            r.Id,
            r.Number,
            r.Subject ?? string.Empty,
            r.AccountId,
            r.Type,
            DateTimeOffset.Parse(r.UpdatedAt, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal),
            r.Kind == "deletedTicket"))];
    }

    public async Task<long> CountAsync(RetentionScope scope, CancellationToken cancellationToken)
    {
        var (where, parameters) = Where(scope);
        var query = new QueryDefinition($"SELECT VALUE COUNT(1) FROM c WHERE {where}");
        foreach (var (name, value) in parameters)
        {
            query = query.WithParameter(name, value);
        }

        return (await ReadAsync<long>(query, int.MaxValue, cancellationToken)).Sum();
    }

    private async Task<List<T>> ReadAsync<T>(QueryDefinition query, int limit, CancellationToken cancellationToken)
    {
        var container = await containers.GetAsync(CosmosContainers.Tickets, cancellationToken);
        using var iterator = container.GetItemQueryIterator<T>(query, requestOptions: new QueryRequestOptions { EnableScanInQuery = true });
        var rows = new List<T>();
        while (rows.Count < limit && iterator.HasMoreResults)
        {
            rows.AddRange(await retry.RunAsync(iterator.ReadNextAsync, cancellationToken));
        }

        return rows.Count > limit ? rows[..limit] : rows;
    }

    private static (string Where, List<(string, object?)> Parameters) Where(RetentionScope scope)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var sql = new StringBuilder("(c.type = 'ticket' OR c.type = 'deletedTicket') AND c.status = @closed AND c.updatedAt < @before AND (NOT IS_DEFINED(c.snapshot.mergedInto) OR IS_NULL(c.snapshot.mergedInto))");
        var parameters = new List<(string, object?)> { ("@closed", Names.Of(TicketStatus.Closed)), ("@before", TicketDocument.Time(scope.ClosedBefore)) };
        if (scope.AccountId is not null)
        {
            sql.Append(" AND c.accountId = @account");
            parameters.Add(("@account", scope.AccountId));
        }

        if (scope.Type is not null)
        {
            sql.Append(" AND IS_STRING(c.snapshot.type) AND LOWER(c.snapshot.type) = @type");
            parameters.Add(("@type", scope.Type.ToLowerInvariant()));
        }

        // IS_STRING first: a comparison with a missing or null field is undefined in Cosmos DB SQL,
        // and NOT undefined would drop the ticket instead of keeping it.
        for (var i = 0; i < scope.Except.Count; i++)
        {
            var (account, type) = (scope.Except[i].AccountId, scope.Except[i].Type);
            var name = string.Create(CultureInfo.InvariantCulture, $"@x{i}");
            sql.Append(" AND NOT (")
                .Append(account is null ? "true" : $"(IS_STRING(c.accountId) AND c.accountId = {name}a)")
                .Append(" AND ")
                .Append(type is null ? "true" : $"(IS_STRING(c.snapshot.type) AND LOWER(c.snapshot.type) = {name}t)")
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

    private sealed record Row(long Seq, string Id, string Number, string? Subject, string? AccountId, string? Type, string UpdatedAt, string Kind);
}
