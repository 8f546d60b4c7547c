using System.Net;
using Helpdesk.Api.Storage.Cosmos;
using Microsoft.Azure.Cosmos;

namespace Helpdesk.Api.Tests.Cosmos;

/// <summary>
/// The outer retry on 429/503. The test server never throttles, so these drive the policy with
/// the SDK's own exception type, as the SDK throws it once its internal retries are spent.
/// </summary>
public sealed class CosmosRetryTests
{
    private readonly CosmosRetry _retry = new(TimeProvider.System);

    [Fact]
    public async Task A_throttled_operation_is_retried_until_it_succeeds()
    {
        var calls = 0;

        var result = await _retry.RunAsync(
            _ => ++calls < 3 ? throw Throttled(HttpStatusCode.TooManyRequests) : Task.FromResult("done"),
            default);

        result.ShouldBe("done");
        calls.ShouldBe(3);
    }

    [Fact]
    public async Task An_unavailable_service_is_retried_too()
    {
        var calls = 0;

        await _retry.RunAsync(
            _ => ++calls < 2 ? throw Throttled(HttpStatusCode.ServiceUnavailable) : Task.CompletedTask,
            default);

        calls.ShouldBe(2);
    }

    [Fact]
    public async Task Throttling_that_outlasts_the_attempts_surfaces()
    {
        var calls = 0;

        var error = await Should.ThrowAsync<CosmosException>(() => _retry.RunAsync<int>(
            _ =>
            {
                calls++;
                throw Throttled(HttpStatusCode.TooManyRequests);
            },
            default));

        error.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        calls.ShouldBe(CosmosRetry.MaxAttempts);
    }

    [Theory]
    [InlineData(HttpStatusCode.NotFound)]
    [InlineData(HttpStatusCode.PreconditionFailed)]
    [InlineData(HttpStatusCode.Conflict)]
    [InlineData(HttpStatusCode.BadRequest)]
    public async Task Other_failures_are_not_retried(HttpStatusCode status)
    {
        var calls = 0;

        await Should.ThrowAsync<CosmosException>(() => _retry.RunAsync<int>(
            _ =>
            {
                calls++;
                throw new CosmosException("no", status, 0, "activity", 1);
            },
            default));

        calls.ShouldBe(1);
    }

    private static ThrottledException Throttled(HttpStatusCode status) => new(status);

    /// <summary>The SDK's exception carrying the server's retry-after, kept short for the test.</summary>
    private sealed class ThrottledException(HttpStatusCode status) : CosmosException("throttled", status, 3200, "activity", 1)
    {
        public override TimeSpan? RetryAfter => TimeSpan.FromMilliseconds(10);
    }
}
