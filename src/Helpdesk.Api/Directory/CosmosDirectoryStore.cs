using System.Net;
using System.Text;
using Helpdesk.Api.Common;
using Helpdesk.Api.Storage.Cosmos;
using Microsoft.Azure.Cosmos;

namespace Helpdesk.Api.Directory;

/// <summary>
/// Directory entries in the <c>directory</c> container, one logical partition per kind (a
/// directory is small and always listed by kind), guarded by ETag. Unique emails and domains are
/// claims in the <c>keys</c> container (<see cref="CosmosUniqueKeys"/>): claimed before the entry
/// is written, released after the entry stops using them.
/// </summary>
public sealed class CosmosDirectoryStore(CosmosContainers containers, CosmosSequence sequence, CosmosUniqueKeys keys, CosmosRetry retry) : IDirectoryStore
{
    public async Task<Versioned<T>?> FindAsync<T>(DirectoryKind<T> kind, string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(kind);
        var read = await ReadAsync(kind, id, cancellationToken);
        return read is null ? null : new Versioned<T>(read.Value.Document.Entry, read.Value.Document.Version);
    }

    public async Task<T?> FindByKeyAsync<T>(DirectoryKind<T> kind, string key, CancellationToken cancellationToken)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(kind);
        var owner = await keys.FindOwnerAsync(kind.Name, key, cancellationToken);
        if (owner is null)
        {
            return null;
        }

        var read = await ReadAsync(kind, owner, cancellationToken);
        return read is { } found && kind.Keys(found.Document.Entry).Contains(key, StringComparer.Ordinal) ? found.Document.Entry : null;
    }

    public async Task<Page<Versioned<T>>> ListAsync<T>(DirectoryKind<T> kind, string? text, int limit, string? cursor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(kind);
        var sql = new StringBuilder("SELECT TOP @top c.seq, c.version, c.entry FROM c WHERE c.kind = @kind AND c.seq > @after");
        if (!string.IsNullOrWhiteSpace(text))
        {
            sql.Append(" AND CONTAINS(c.search, @q)");
        }

        sql.Append(" ORDER BY c.seq");
        var query = new QueryDefinition(sql.ToString())
            .WithParameter("@top", limit + 1)
            .WithParameter("@kind", kind.Name)
            .WithParameter("@after", cursor is null ? 0 : Paging.DecodeKey(cursor));
        if (!string.IsNullOrWhiteSpace(text))
        {
            query.WithParameter("@q", text.Trim().ToLowerInvariant());
        }

        var container = await containers.GetAsync(CosmosContainers.Directory, cancellationToken);
        var rows = await CosmosQueries.TakeAsync<Row<T>>(container, query, limit + 1, new PartitionKey(kind.Name), retry, cancellationToken);
        var items = rows.Take(limit).Select(r => new Versioned<T>(r.Entry, r.Version)).ToArray();
        return new Page<Versioned<T>>(items, rows.Count > limit ? Paging.EncodeKey(rows[limit - 1].Seq) : null);
    }

    public async Task CreateAsync<T>(DirectoryKind<T> kind, T entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(kind);
        var id = kind.Id(entry);
        var seq = await sequence.NextAsync($"order:{kind.Name}", cancellationToken);
        var document = DirectoryDocument<T>.Of(kind, entry, seq, 1);
        var container = await containers.GetAsync(CosmosContainers.Directory, cancellationToken);
        var partition = new PartitionKey(kind.Name);
        try
        {
            await retry.RunAsync(ct => container.CreateItemAsync(document, partition, cancellationToken: ct), cancellationToken);
        }
        catch (CosmosException e) when (e.StatusCode == HttpStatusCode.Conflict)
        {
            throw new UniqueConstraintException("id", $"A {kind.Name} with id '{id}' already exists.");
        }

        // The entry exists before its keys are claimed, so whoever finds a claim finds its owner
        // too: a claim is never mistaken for one left behind while its owner is still being written.
        try
        {
            await ClaimAllAsync(kind, id, KeysOf(kind, entry), cancellationToken);
        }
        catch (UniqueConstraintException)
        {
            using var deleted = await container.DeleteItemStreamAsync(document.Id, partition, cancellationToken: CancellationToken.None);
            throw;
        }
    }

    public async Task<long> ReplaceAsync<T>(DirectoryKind<T> kind, T entry, long expectedVersion, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(kind);
        var id = kind.Id(entry);
        var current = await ReadAsync(kind, id, cancellationToken);
        if (current is not { } stored || stored.Document.Version != expectedVersion)
        {
            throw Conflict(kind, expectedVersion);
        }

        var oldKeys = KeysOf(kind, stored.Document.Entry);
        var newKeys = KeysOf(kind, entry);
        var added = await ClaimAllAsync(kind, id, newKeys.Except(oldKeys, StringComparer.Ordinal).ToArray(), cancellationToken);
        var document = DirectoryDocument<T>.Of(kind, entry, stored.Document.Seq, expectedVersion + 1);
        var container = await containers.GetAsync(CosmosContainers.Directory, cancellationToken);
        try
        {
            await retry.RunAsync(
                ct => container.ReplaceItemAsync(document, id, new PartitionKey(kind.Name), new ItemRequestOptions { IfMatchEtag = stored.ETag }, ct),
                cancellationToken);
        }
        catch (CosmosException e) when (e.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.NotFound)
        {
            await ReleaseAllAsync(kind, id, added, cancellationToken);
            throw Conflict(kind, expectedVersion);
        }

        await ReleaseAllAsync(kind, id, oldKeys.Except(newKeys, StringComparer.Ordinal).ToArray(), cancellationToken);
        return expectedVersion + 1;
    }

    /// <summary>Claims every key or none: on a taken key the ones claimed so far are released.</summary>
    private async Task<IReadOnlyList<string>> ClaimAllAsync<T>(DirectoryKind<T> kind, string id, IReadOnlyList<string> wanted, CancellationToken cancellationToken)
    {
        var claimed = new List<string>();
        foreach (var key in wanted)
        {
            if (!await keys.ClaimAsync(kind.Name, key, id, (owner, ct) => HoldsAsync(kind, owner, key, ct), cancellationToken))
            {
                await ReleaseAllAsync(kind, id, claimed, cancellationToken);
                throw new UniqueConstraintException(kind.KeyField, $"'{key}' is already used by another {kind.Name}.");
            }

            claimed.Add(key);
        }

        return claimed;
    }

    private async Task ReleaseAllAsync<T>(DirectoryKind<T> kind, string id, IEnumerable<string> claimed, CancellationToken cancellationToken)
    {
        foreach (var key in claimed)
        {
            await keys.ReleaseAsync(kind.Name, key, id, cancellationToken);
        }
    }

    private async Task<bool> HoldsAsync<T>(DirectoryKind<T> kind, string ownerId, string key, CancellationToken cancellationToken) =>
        await ReadAsync(kind, ownerId, cancellationToken) is { } owner && kind.Keys(owner.Document.Entry).Contains(key, StringComparer.Ordinal);

    private static string[] KeysOf<T>(DirectoryKind<T> kind, T entry) => kind.Keys(entry).Distinct(StringComparer.Ordinal).ToArray();

    private async Task<(DirectoryDocument<T> Document, string ETag)?> ReadAsync<T>(DirectoryKind<T> kind, string id, CancellationToken cancellationToken)
    {
        var container = await containers.GetAsync(CosmosContainers.Directory, cancellationToken);
        try
        {
            var read = await retry.RunAsync(ct => container.ReadItemAsync<DirectoryDocument<T>>(CosmosIds.Safe(id), new PartitionKey(kind.Name), cancellationToken: ct), cancellationToken);
            return (read.Resource, read.ETag);
        }
        catch (CosmosException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private static ConcurrencyConflictException Conflict<T>(DirectoryKind<T> kind, long expectedVersion) =>
        new($"The {kind.Name} was changed by someone else since version {expectedVersion}.");

    private sealed record Row<T>(long Seq, long Version, T Entry);
}

internal sealed record DirectoryDocument<T>(string Id, string Kind, long Seq, long Version, string Search, T Entry)
{
    public static DirectoryDocument<T> Of(DirectoryKind<T> kind, T entry, long seq, long version) =>
        new(CosmosIds.Safe(kind.Id(entry)), kind.Name, seq, version, kind.SearchText(entry).ToLowerInvariant(), entry);
}
