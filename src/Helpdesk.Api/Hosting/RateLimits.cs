using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Helpdesk.Api.Common;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Hosting;

/// <summary>How many requests a caller may make per minute (<c>RateLimits</c> settings, README's table).</summary>
public sealed class RateLimitOptions
{
    public const string Section = "RateLimits";

    /// <summary>Requests per minute per signed-in user (the token's subject), on every route of /api.</summary>
    public int PerUserPerMinute { get; set; } = 600;

    /// <summary>Requests per minute per client address from callers without a token.</summary>
    public int PerAddressPerMinute { get; set; } = 120;

    /// <summary>
    /// Requests per minute per client address on the anonymous routes anyone on the internet can
    /// reach with a link or a webhook: survey answers, approval links, Graph's notifications.
    /// </summary>
    public int AnonymousLinksPerMinute { get; set; } = 30;
}

/// <summary>
/// Rate limits per caller with ASP.NET Core's rate limiter: each signed-in user, or each client
/// address for callers without a token, has a fixed window of requests per minute on /api; the
/// anonymous link and webhook routes (<see cref="RateLimitPolicies.AnonymousLinks"/>) have a stricter window of
/// their own per address instead. A refused request is a 429 problem+json with Retry-After. The trigger
/// routes the Functions host calls (outside /api) and the console's files are never limited.
/// </summary>
public static class RateLimits
{
    public static IServiceCollection AddHelpdeskRateLimits(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<RateLimitOptions>().Bind(configuration.GetSection(RateLimitOptions.Section))
            .Validate(o => o.PerUserPerMinute > 0 && o.PerAddressPerMinute > 0 && o.AnonymousLinksPerMinute > 0, "RateLimits: every limit is a number of requests per minute above 0.")
            .ValidateOnStart();
        services.AddRateLimiter(_ => { });
        services.AddSingleton<IConfigureOptions<RateLimiterOptions>, ConfigureLimiter>();
        return services;
    }

    /// <summary>Declares the 429 answer on every operation of <paramref name="api"/>.</summary>
    public static RouteGroupBuilder WithRateLimits(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        ((IEndpointConventionBuilder)api).Finally(endpoint =>
        {
            if (!endpoint.Metadata.OfType<Microsoft.AspNetCore.Http.Metadata.IProducesResponseTypeMetadata>().Any(m => m.StatusCode == StatusCodes.Status429TooManyRequests))
            {
                endpoint.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status429TooManyRequests, typeof(Microsoft.AspNetCore.Mvc.ProblemDetails), ["application/problem+json"]));
            }
        });
        return api;
    }

    /// <summary>The caller a limit counts for: the signed-in user, else the client's address.</summary>
    private static string CallerOf(HttpContext context) =>
        context.User.FindFirstValue("sub") is { Length: > 0 } subject
            ? "user:" + subject
            : "address:" + (context.Connection.RemoteIpAddress?.ToString() ?? "unknown");

    /// <summary>The link and webhook routes count against their own limit only, not the address's.</summary>
    private static bool HasOwnLimit(HttpContext context) =>
        context.GetEndpoint()?.Metadata.GetMetadata<EnableRateLimitingAttribute>()?.PolicyName == RateLimitPolicies.AnonymousLinks;

    private static FixedWindowRateLimiterOptions PerMinute(int limit) => new()
    {
        PermitLimit = limit,
        Window = TimeSpan.FromMinutes(1),
        QueueLimit = 0,
        AutoReplenishment = true,
    };

    private static async ValueTask RejectAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var seconds = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)) : 60;
        var response = rejected.HttpContext.Response;
        response.StatusCode = StatusCodes.Status429TooManyRequests;
        response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await Results.Problem(Problems.Create(
            StatusCodes.Status429TooManyRequests,
            ProblemTypes.RateLimited,
            "Too many requests.",
            $"This caller's limit of requests per minute is reached: retry after {seconds} seconds.")).ExecuteAsync(rejected.HttpContext);
    }

    private sealed class ConfigureLimiter(IOptions<RateLimitOptions> limits) : IConfigureOptions<RateLimiterOptions>
    {
        public void Configure(RateLimiterOptions options)
        {
            var settings = limits.Value;
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.OnRejected = RejectAsync;
            options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            {
                if (!context.Request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase) || HasOwnLimit(context))
                {
                    return RateLimitPartition.GetNoLimiter("unlimited");
                }

                var caller = CallerOf(context);
                var limit = caller.StartsWith("user:", StringComparison.Ordinal) ? settings.PerUserPerMinute : settings.PerAddressPerMinute;
                return RateLimitPartition.GetFixedWindowLimiter(caller, _ => PerMinute(limit));
            });
            options.AddPolicy(RateLimitPolicies.AnonymousLinks, context => RateLimitPartition.GetFixedWindowLimiter("links:" + CallerOf(context), _ => PerMinute(settings.AnonymousLinksPerMinute)));
        }
    }
}
