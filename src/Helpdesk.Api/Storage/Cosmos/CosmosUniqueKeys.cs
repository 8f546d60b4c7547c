using System.Net;
using Microsoft.Azure.Cosmos;

namespace Helpdesk.Api.Storage.Cosmos;

/// <summary>
/// Uniqueness across partitions (ticket numbers, contact emails, account domains). Cosmos DB
/// unique-key policies only hold within one logical partition, so each unique value gets a
/// claim document in the <c>keys</c> container whose id is the value: creating it is the atomic
/// "insert if absent". A claim is made before the owner is written and released after the owner
/// lets go of the value; a claim left behind by a write that failed in between is taken over
/// once its recorded owner is found not to hold the value.
/// </summary>
public sealed class CosmosUniqueKeys(CosmosContainers containers, CosmosRetry retry)
{
    /// <summary>Returns false when another owner holds the value.</summary>
    public async Task<bool> ClaimAsync(string kind, string key, string ownerId, Func<string, CancellationToken, Task<bool>> ownerHolds, CancellationToken cancellationToken)
    {
        var container = await containers.GetAsync(CosmosContainers.Keys, cancellationToken);
        var claim = new KeyClaim(IdOf(kind, key), kind, key, ownerId);
        var partition = new PartitionKey(claim.Id);
        while (true)
        {
            try
            {
                await retry.RunAsync(ct => container.CreateItemAsync(claim, partition, cancellationToken: ct), cancellationToken);
                return true;
            }
            catch (CosmosException e) when (e.StatusCode == HttpStatusCode.Conflict)
            {
                // Someone holds a claim: ours, a live one, or one left behind.
            }

            var existing = await ReadAsync(container, claim.Id, cancellationToken);
            if (existing is null)
            {
                continue;
            }

            if (existing.Value.Claim.OwnerId == ownerId)
            {
                return true;
            }

            if (await ownerHolds(existing.Value.Claim.OwnerId, cancellationToken))
            {
                return false;
            }

            try
            {
                await retry.RunAsync(ct => container.ReplaceItemAsync(claim, claim.Id, partition, new ItemRequestOptions { IfMatchEtag = existing.Value.ETag }, ct), cancellationToken);
                return true;
            }
            catch (CosmosException e) when (e.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.NotFound)
            {
                // The claim moved under us: look again.
            }
        }
    }

    public async Task<string?> FindOwnerAsync(string kind, string key, CancellationToken cancellationToken)
    {
        var container = await containers.GetAsync(CosmosContainers.Keys, cancellationToken);
        return (await ReadAsync(container, IdOf(kind, key), cancellationToken))?.Claim.OwnerId;
    }

    /// <summary>Releases the value if <paramref name="ownerId"/> still holds its claim.</summary>
    public async Task ReleaseAsync(string kind, string key, string ownerId, CancellationToken cancellationToken)
    {
        var container = await containers.GetAsync(CosmosContainers.Keys, cancellationToken);
        var id = IdOf(kind, key);
        var existing = await ReadAsync(container, id, cancellationToken);
        if (existing is null || existing.Value.Claim.OwnerId != ownerId)
        {
            return;
        }

        try
        {
            await retry.RunAsync(ct => container.DeleteItemAsync<KeyClaim>(id, new PartitionKey(id), new ItemRequestOptions { IfMatchEtag = existing.Value.ETag }, ct), cancellationToken);
        }
        catch (CosmosException e) when (e.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.NotFound)
        {
            // Someone else took the claim over or released it already: nothing of ours is left.
        }
    }

    /// <summary>Hands the value from <paramref name="fromOwner"/> to <paramref name="toOwner"/>; nothing when another owner holds it (or nobody).</summary>
    public async Task TransferAsync(string kind, string key, string fromOwner, string toOwner, CancellationToken cancellationToken)
    {
        var container = await containers.GetAsync(CosmosContainers.Keys, cancellationToken);
        var id = IdOf(kind, key);
        while (await ReadAsync(container, id, cancellationToken) is { } existing && existing.Claim.OwnerId == fromOwner)
        {
            try
            {
                await retry.RunAsync(ct => container.ReplaceItemAsync(existing.Claim with { OwnerId = toOwner }, id, new PartitionKey(id), new ItemRequestOptions { IfMatchEtag = existing.ETag }, ct), cancellationToken);
                return;
            }
            catch (CosmosException e) when (e.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.NotFound)
            {
                // The claim moved under us: look again.
            }
        }
    }

    private async Task<(KeyClaim Claim, string ETag)?> ReadAsync(Container container, string id, CancellationToken cancellationToken)
    {
        try
        {
            var read = await retry.RunAsync(ct => container.ReadItemAsync<KeyClaim>(id, new PartitionKey(id), cancellationToken: ct), cancellationToken);
            return (read.Resource, read.ETag);
        }
        catch (CosmosException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private static string IdOf(string kind, string key) => CosmosIds.Safe($"{kind}:{key}");

    private sealed record KeyClaim(string Id, string Kind, string Key, string OwnerId);
}
