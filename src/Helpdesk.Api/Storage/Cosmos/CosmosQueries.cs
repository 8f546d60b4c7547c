using Microsoft.Azure.Cosmos;

namespace Helpdesk.Api.Storage.Cosmos;

internal static class CosmosQueries
{
    /// <summary>Reads up to <paramref name="count"/> rows of a query, following the SDK's continuation pages.</summary>
    public static async Task<IReadOnlyList<T>> TakeAsync<T>(Container container, QueryDefinition query, int count, PartitionKey? partitionKey, CosmosRetry retry, CancellationToken cancellationToken)
    {
        var options = new QueryRequestOptions { MaxItemCount = count, PartitionKey = partitionKey };
        using var iterator = container.GetItemQueryIterator<T>(query, requestOptions: options);
        var rows = new List<T>(count);
        while (rows.Count < count && iterator.HasMoreResults)
        {
            var page = await retry.RunAsync(iterator.ReadNextAsync, cancellationToken);
            rows.AddRange(page.Take(count - rows.Count));
        }

        return rows;
    }
}
