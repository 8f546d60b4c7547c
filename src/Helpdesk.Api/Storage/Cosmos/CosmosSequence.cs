using System.Net;
using Microsoft.Azure.Cosmos;

namespace Helpdesk.Api.Storage.Cosmos;

/// <summary>
/// Counters (ticket numbers per period, the ordering key of tickets and directory entries): one
/// document per key in the <c>counters</c> container, advanced by a server-side Patch increment,
/// so concurrent callers never read the same value and no read-modify-write loop is needed.
/// </summary>
public sealed class CosmosSequence(CosmosContainers containers, CosmosRetry retry)
{
    public Task<long> NextAsync(string key, CancellationToken cancellationToken) => ReserveAsync(key, 1, cancellationToken);

    public async Task<long> ReserveAsync(string key, int count, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        var container = await containers.GetAsync(CosmosContainers.Counters, cancellationToken);
        var id = CosmosIds.Safe(key);
        var last = await retry.RunAsync(ct => AdvanceAsync(container, id, count, ct), cancellationToken);
        return last - count + 1;
    }

    private static async Task<long> AdvanceAsync(Container container, string id, int count, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                var patched = await container.PatchItemAsync<Counter>(id, new PartitionKey(id), [PatchOperation.Increment("/value", count)], cancellationToken: cancellationToken);
                return patched.Resource.Value;
            }
            catch (CosmosException e) when (e.StatusCode == HttpStatusCode.NotFound)
            {
                try
                {
                    await container.CreateItemAsync(new Counter(id, count), new PartitionKey(id), cancellationToken: cancellationToken);
                    return count;
                }
                catch (CosmosException created) when (created.StatusCode == HttpStatusCode.Conflict)
                {
                    // Another caller created the counter first: increment theirs.
                }
            }
        }
    }

    private sealed record Counter(string Id, long Value);
}
