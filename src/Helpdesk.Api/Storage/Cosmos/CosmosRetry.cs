using System.Net;
using Microsoft.Azure.Cosmos;
using Polly;
using Polly.Retry;

namespace Helpdesk.Api.Storage.Cosmos;

/// <summary>
/// The outer retry around the SDK's own: the SDK already retries 429s (up to
/// <see cref="CosmosClientOptions.MaxRetryAttemptsOnRateLimitedRequests"/>), but a burst can
/// outlast it, and a 503 from a gateway failover is not retried for writes. A few more attempts,
/// each after the server's retry-after (or a short backoff), turn those into slow successes;
/// past <see cref="MaxAttempts"/> the error surfaces. A Polly pipeline, like every retry of the app.
/// </summary>
public sealed class CosmosRetry(TimeProvider clock)
{
    public const int MaxAttempts = 4;
    private static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(5);

    private readonly ResiliencePipeline _pipeline = new ResiliencePipelineBuilder { TimeProvider = clock }
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<CosmosException>(e => IsTransient(e.StatusCode)),
            MaxRetryAttempts = MaxAttempts - 1,
            BackoffType = DelayBackoffType.Exponential,
            Delay = TimeSpan.FromMilliseconds(100),
            MaxDelay = MaxWait,
            DelayGenerator = args => ValueTask.FromResult(args.Outcome.Exception is CosmosException { RetryAfter: { } after } ? (TimeSpan?)(after < MaxWait ? after : MaxWait) : null),
        })
        .Build();

    public async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> operation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(operation);
        return await _pipeline.ExecuteAsync(async ct => await operation(ct), cancellationToken);
    }

    public Task RunAsync(Func<CancellationToken, Task> operation, CancellationToken cancellationToken) =>
        RunAsync(
            async ct =>
            {
                await operation(ct);
                return true;
            },
            cancellationToken);

    /// <summary>
    /// Replaces a document partitioned by its own id if it still has <paramref name="etag"/>:
    /// false when someone else changed or deleted it first (the caller reads it again and decides).
    /// </summary>
    public async Task<bool> TryReplaceAsync<T>(Container container, T document, string id, string etag, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(container);
        try
        {
            await RunAsync(
                ct => container.ReplaceItemAsync(document, id, new PartitionKey(id), new ItemRequestOptions { IfMatchEtag = etag, EnableContentResponseOnWrite = false }, ct),
                cancellationToken);
            return true;
        }
        catch (CosmosException e) when (e.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    /// <summary>
    /// A failure after which the write may or may not have been applied: the request timed out,
    /// or the gateway answered that it could not finish (a 503 after the SDK's retries, a 408, a
    /// 410). The caller must look at the stored document before judging the write lost; a
    /// cancellation asked for by <paramref name="cancellationToken"/> is the caller's own, not a lost answer.
    /// </summary>
    public static bool IsLostAnswer(Exception exception, CancellationToken cancellationToken) => exception switch
    {
        CosmosOperationCanceledException => !cancellationToken.IsCancellationRequested,
        CosmosException e => e.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.ServiceUnavailable or HttpStatusCode.Gone,
        HttpRequestException => true,
        _ => false,
    };

    private static bool IsTransient(HttpStatusCode status) =>
        status is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable;
}
