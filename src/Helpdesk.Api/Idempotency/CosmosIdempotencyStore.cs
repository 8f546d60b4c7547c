using System.Net;
using Helpdesk.Api.Storage.Cosmos;
using Microsoft.Azure.Cosmos;

namespace Helpdesk.Api.Idempotency;

/// <summary>
/// Idempotency keys in the <c>idempotency</c> container, one document per scope and key (id = a
/// hash of both, which contain characters ids may not). The container's TTL deletes a key a day
/// after it was reserved; until then the retention is also checked against the request's time,
/// so the rule does not depend on when the background TTL purge runs.
/// </summary>
public sealed class CosmosIdempotencyStore(CosmosContainers containers, CosmosRetry retry) : IIdempotencyStore
{
    internal static readonly TimeSpan Retention = IdempotentRequest.Retention;

    /// <summary>A reservation older than this belongs to a request that died; a retry may take it over.</summary>
    internal static readonly TimeSpan AbandonedAfter = TimeSpan.FromMinutes(2);

    public async Task<IdempotencyBegin> BeginAsync(string scope, string key, string requestHash, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var container = await containers.GetAsync(CosmosContainers.Idempotency, cancellationToken);
        var id = IdOf(scope, key);
        var reservation = new IdempotencyDocument(id, requestHash, now, Completed: false, Response: null, (int)Retention.TotalSeconds);
        while (true)
        {
            var existing = await ReadAsync(container, id, cancellationToken);
            try
            {
                if (existing is null)
                {
                    await retry.RunAsync(ct => container.CreateItemAsync(reservation, new PartitionKey(id), cancellationToken: ct), cancellationToken);
                    return new IdempotencyBegin(IdempotencyOutcome.Started);
                }

                var (stored, etag) = existing.Value;
                var expired = stored.CreatedAt < now - Retention;
                if (!expired)
                {
                    if (stored.RequestHash != requestHash)
                    {
                        return new IdempotencyBegin(IdempotencyOutcome.Mismatch);
                    }

                    if (stored.Completed)
                    {
                        return new IdempotencyBegin(IdempotencyOutcome.Replay, stored.Response);
                    }

                    if (stored.CreatedAt >= now - AbandonedAfter)
                    {
                        return new IdempotencyBegin(IdempotencyOutcome.InProgress);
                    }
                }

                await retry.RunAsync(ct => container.ReplaceItemAsync(reservation, id, new PartitionKey(id), new ItemRequestOptions { IfMatchEtag = etag }, ct), cancellationToken);
                return new IdempotencyBegin(expired ? IdempotencyOutcome.Started : IdempotencyOutcome.TakenOver);
            }
            catch (CosmosException e) when (e.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.PreconditionFailed or HttpStatusCode.NotFound)
            {
                // Another request reserved or released the key in between: decide again on what is stored now.
            }
        }
    }

    public async Task CompleteAsync(string scope, string key, StoredResponse response, CancellationToken cancellationToken)
    {
        var container = await containers.GetAsync(CosmosContainers.Idempotency, cancellationToken);
        var id = IdOf(scope, key);
        try
        {
            await retry.RunAsync(
                ct => container.PatchItemAsync<IdempotencyDocument>(id, new PartitionKey(id), [PatchOperation.Set("/completed", true), PatchOperation.Set("/response", response)], cancellationToken: ct),
                cancellationToken);
        }
        catch (CosmosException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            // The reservation expired while the request ran: there is nothing left to complete.
        }
    }

    public async Task AbandonAsync(string scope, string key, CancellationToken cancellationToken)
    {
        var container = await containers.GetAsync(CosmosContainers.Idempotency, cancellationToken);
        var id = IdOf(scope, key);
        if (await ReadAsync(container, id, cancellationToken) is not { } existing || existing.Document.Completed)
        {
            return;
        }

        try
        {
            await retry.RunAsync(ct => container.DeleteItemAsync<IdempotencyDocument>(id, new PartitionKey(id), new ItemRequestOptions { IfMatchEtag = existing.ETag }, ct), cancellationToken);
        }
        catch (CosmosException e) when (e.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.NotFound)
        {
            // Completed or taken over meanwhile: not ours to free any more.
        }
    }

    private async Task<(IdempotencyDocument Document, string ETag)?> ReadAsync(Container container, string id, CancellationToken cancellationToken)
    {
        try
        {
            var read = await retry.RunAsync(ct => container.ReadItemAsync<IdempotencyDocument>(id, new PartitionKey(id), cancellationToken: ct), cancellationToken);
            return (read.Resource, read.ETag);
        }
        catch (CosmosException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private static string IdOf(string scope, string key) => CosmosIds.Hash($"{scope}\n{key}");

    private sealed record IdempotencyDocument(string Id, string RequestHash, DateTimeOffset CreatedAt, bool Completed, StoredResponse? Response, int Ttl);
}
