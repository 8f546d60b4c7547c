using System.Net;
using Azure.Core;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Microsoft.Kiota.Http.HttpClientLibrary.Extensions;
using Microsoft.Kiota.Http.HttpClientLibrary.Middleware.Options;
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

    /// <summary>
    /// Microsoft Graph (mail and calendar), through <c>Microsoft.Extensions.Http.Resilience</c> in
    /// place of the Graph SDK's own retry handler: a 429 is retried on every method (Graph did not
    /// do the work), after the Retry-After Graph sends; a 5xx, a 408, a timed-out attempt or a
    /// broken connection only on a method Graph may repeat (GET, PUT, DELETE), since a repeated POST
    /// could create a second draft or subscription. A request marked with the SDK's
    /// <see cref="RetryHandlerOption"/> at <c>MaxRetry = 0</c> (a send: its retry belongs to the
    /// outbound queue, which first checks whether the first attempt went out) is never repeated here.
    /// </summary>
    public static IHttpClientBuilder AddGraphResilience(this IHttpClientBuilder client) =>
        client.AddHttpResilience(
            "graph",
            options => new HttpRetryStrategyOptions
            {
                MaxRetryAttempts = 3,
                Delay = options.GraphRetryDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldRetryAfterHeader = true,
                ShouldHandle = args => ValueTask.FromResult(GraphMayRepeat(args.Outcome, args.Context.GetRequestMessage())),
            },
            attemptTimeout: TimeSpan.FromSeconds(60),
            totalTimeout: TimeSpan.FromMinutes(3));

    /// <summary>
    /// Outbound webhooks: two quick retries of a transient failure (Retry-After honoured) before the
    /// delivery fails back to the <c>webhooks</c> queue, whose backoff retries it for 24 hours.
    /// Receivers drop repeats by the event id each POST carries, so a repeated POST is harmless.
    /// </summary>
    public static IHttpClientBuilder AddWebhookResilience(this IHttpClientBuilder client) =>
        client.AddHttpResilience(
            "webhooks",
            options => new HttpRetryStrategyOptions
            {
                MaxRetryAttempts = 2,
                Delay = options.WebhookRetryDelay,
                MaxDelay = TimeSpan.FromSeconds(10),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldRetryAfterHeader = true,
            },
            attemptTimeout: TimeSpan.FromSeconds(10),
            totalTimeout: TimeSpan.FromSeconds(30));

    /// <summary>
    /// The SMS provider: like the webhooks, two quick retries of a transient failure (Retry-After
    /// honoured) before the delivery fails back to the <c>notifications</c> queue, which tries it
    /// again with its own backoff. Each POST carries its SMS id (<c>Idempotency-Key</c>), so a
    /// provider that did receive an attempt whose answer was lost drops the repeat.
    /// </summary>
    public static IHttpClientBuilder AddSmsResilience(this IHttpClientBuilder client) =>
        client.AddHttpResilience(
            "sms",
            options => new HttpRetryStrategyOptions
            {
                MaxRetryAttempts = 2,
                Delay = options.SmsRetryDelay,
                MaxDelay = TimeSpan.FromSeconds(10),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldRetryAfterHeader = true,
            },
            attemptTimeout: TimeSpan.FromSeconds(10),
            totalTimeout: TimeSpan.FromSeconds(30));

    /// <summary>
    /// An HTTP pipeline of a total timeout, the retry and a per-attempt timeout, on the wall clock:
    /// the waits are the network's and the remote's Retry-After, never the helpdesk's business
    /// time, which tests move by hand. No circuit breaker: every caller is a queue consumer (mail,
    /// calendar, webhooks) whose queue already spaces its attempts with its own backoff, and a
    /// breaker would also refuse an admin's re-drive of a dead letter for its break duration. A
    /// timed-out attempt ends in Polly's <see cref="Polly.Timeout.TimeoutRejectedException"/>,
    /// which the consumers count as a failed delivery (not as their own cancellation).
    /// </summary>
    private static IHttpClientBuilder AddHttpResilience(this IHttpClientBuilder client, string name, Func<ResilienceOptions, HttpRetryStrategyOptions> retry, TimeSpan attemptTimeout, TimeSpan totalTimeout)
    {
        client.Services.AddOptions<ResilienceOptions>().BindConfiguration(ResilienceOptions.Section);
        client.AddResilienceHandler(
            name,
            (pipeline, context) =>
            {
                pipeline.TimeProvider = TimeProvider.System;
                pipeline
                    .AddTimeout(totalTimeout)
                    .AddRetry(retry(context.ServiceProvider.GetRequiredService<IOptions<ResilienceOptions>>().Value))
                    .AddTimeout(attemptTimeout);
            });
        return client;
    }

    private static bool GraphMayRepeat(Polly.Outcome<HttpResponseMessage> outcome, HttpRequestMessage? request)
    {
        if (request?.GetRequestOption<RetryHandlerOption>() is { MaxRetry: 0 })
        {
            return false;
        }

        if (outcome.Result?.StatusCode == HttpStatusCode.TooManyRequests)
        {
            return true;
        }

        return request?.Method is { } method && (method == HttpMethod.Get || method == HttpMethod.Put || method == HttpMethod.Delete)
            && HttpClientResiliencePredicates.IsTransient(outcome);
    }
}

/// <summary>The first waits of the HTTP retries (section <c>Resilience</c>); each later wait doubles, jittered.</summary>
public sealed class ResilienceOptions
{
    public const string Section = "Resilience";

    /// <summary>Before a transient Graph failure is tried again (a 429 waits for Graph's Retry-After instead).</summary>
    public TimeSpan GraphRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Before a failed webhook POST is tried again within the same delivery.</summary>
    public TimeSpan WebhookRetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Before a failed POST to the SMS provider is tried again within the same delivery.</summary>
    public TimeSpan SmsRetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);
}
