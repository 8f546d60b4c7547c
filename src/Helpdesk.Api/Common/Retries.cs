using Azure.Core;
using Polly;
using Polly.Retry;

namespace Helpdesk.Api.Common;

/// <summary>The retry policies of the app, named and configured once.</summary>
public static class Retries
{
    /// <summary>
    /// A write that lost a race (something else changed the ticket or the item since it was read,
    /// or took the ticket number it drew) is tried again on fresh data: commands state an intent
    /// ("resolve", "add this message") and check their preconditions again on each attempt, so a
    /// stale If-Match is still refused. A short jittered pause lets the winner's write settle.
    /// </summary>
    public static ResiliencePipeline Write { get; } = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder()
                .Handle<ConcurrencyConflictException>()
                .Handle<UniqueConstraintException>(e => e.Field == "number"),
            MaxRetryAttempts = 4,
            Delay = TimeSpan.FromMilliseconds(5),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
        })
        .Build();

    /// <summary>
    /// Blob Storage requests retry inside the Azure SDK's own pipeline (it knows which answers
    /// are transient, honours Retry-After and jitters its exponential back-off); configured here.
    /// </summary>
    public static void Blob(RetryOptions retry)
    {
        ArgumentNullException.ThrowIfNull(retry);
        retry.Mode = RetryMode.Exponential;
        retry.MaxRetries = 3;
        retry.Delay = TimeSpan.FromMilliseconds(200);
        retry.MaxDelay = TimeSpan.FromSeconds(10);
    }
}
