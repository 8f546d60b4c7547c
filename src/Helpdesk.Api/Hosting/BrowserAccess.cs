using Helpdesk.Api.Idempotency;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Helpdesk.Api.Hosting;

/// <summary>The <c>Http</c> settings a browser meets: which front ends may call the API, and whether the reference page is served.</summary>
public sealed class BrowserOptions
{
    public const string Section = "Http";

    /// <summary>
    /// The origins of the front ends allowed to call the API from a browser (CORS), separated by
    /// commas, semicolons or spaces (<c>https://helpdesk.contoso.com</c>); empty = none.
    /// </summary>
    public string? AllowedOrigins { get; set; }

    /// <summary>Serve the API reference page at <c>/api/docs</c>; unset = in Development only.</summary>
    public bool? ApiReference { get; set; }

    /// <summary>The allowed origins as a list (scheme://host[:port], without a trailing slash).</summary>
    public IReadOnlyList<string> Origins =>
        (AllowedOrigins ?? string.Empty).Split([',', ';', ' ', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(o => o.TrimEnd('/'))
            .ToArray();

    /// <summary>Null when every origin is a bare http(s) origin, else the first that is not.</summary>
    public string? InvalidOrigin() =>
        Origins.FirstOrDefault(o => !Uri.TryCreate(o, UriKind.Absolute, out var uri)
            || uri.Scheme is not ("https" or "http")
            || uri.AbsolutePath != "/"
            || uri.Query.Length > 0
            || o.Contains('*', StringComparison.Ordinal));
}

/// <summary>
/// What makes the API safe to call from a browser: CORS for the configured front-end origins
/// only (nothing is allowed when none is configured), exposing the headers a front end reads
/// (ETag, Location, Retry-After, Idempotent-Replayed) and allowing the ones it sends (If-Match,
/// Idempotency-Key); security headers on every answer (NetEscapades.AspNetCore.SecurityHeaders);
/// the caller's address from the Functions host's X-Forwarded-For (the host proxies every request
/// from 127.0.0.1).
/// </summary>
public static class BrowserAccess
{
    /// <summary>Headers a cross-origin front end may read.</summary>
    public static readonly string[] ExposedHeaders = [HeaderNames.ETag, HeaderNames.Location, HeaderNames.RetryAfter, IdempotencyMiddleware.ReplayedHeader, HeaderNames.ContentDisposition];

    /// <summary>Headers a cross-origin front end may send.</summary>
    public static readonly string[] AllowedHeaders = [HeaderNames.Authorization, HeaderNames.ContentType, HeaderNames.Accept, HeaderNames.AcceptLanguage, HeaderNames.IfMatch, HeaderNames.IfNoneMatch, IdempotencyMiddleware.Header];

    /// <summary>The CSP of the API's answers (JSON, files): nothing in them may run, load or be framed.</summary>
    public const string ApiContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'";

    /// <summary>
    /// The CSP of pages (the web console, the reference page at /api/docs): they may not be framed;
    /// what they load is theirs to declare (the console's Blazor WebAssembly needs wasm and inline
    /// import maps, the reference page its bundled script).
    /// </summary>
    public const string PageContentSecurityPolicy = "frame-ancestors 'none'";

    private const string ApiPolicy = "api";

    public static IServiceCollection AddBrowserAccess(this IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        services.AddOptions<BrowserOptions>().Bind(configuration.GetSection(BrowserOptions.Section))
            .Validate(o => o.InvalidOrigin() is null, "Http:AllowedOrigins lists origins such as https://helpdesk.contoso.com (scheme and host, no path, no wildcard).")
            .ValidateOnStart();
        services.AddCors();
        services.AddSingleton<IConfigureOptions<Microsoft.AspNetCore.Cors.Infrastructure.CorsOptions>, ConfigureCors>();
        services.Configure<ForwardedHeadersOptions>(o => o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto);
        var hsts = !environment.IsDevelopment();
        services.AddSecurityHeaderPolicies(policies => policies
            .SetDefaultPolicy(p => Common(p, hsts).AddCustomHeader("Content-Security-Policy", PageContentSecurityPolicy))
            .AddPolicy(ApiPolicy, p => Common(p, hsts).AddCustomHeader("Content-Security-Policy", ApiContentSecurityPolicy))
            .SetPolicySelector(c => IsApiAnswer(c.HttpContext.Request) ? c.ConfiguredPolicies[ApiPolicy] : c.SelectedPolicy));
        return services;
    }

    /// <summary>
    /// First in the pipeline: every answer (the console's files, errors) carries the security
    /// headers, and a preflight of an allowed origin is answered before routing and authentication.
    /// </summary>
    public static WebApplication UseBrowserAccess(this WebApplication app)
    {
        app.UseForwardedHeaders();
        app.UseSecurityHeaders();
        app.UseCors();
        return app;
    }

    /// <summary>The answers under /api except the reference page (an HTML page with its script).</summary>
    private static bool IsApiAnswer(HttpRequest request) =>
        request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase)
        && !request.Path.StartsWithSegments(ApiReference.Path, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// HSTS is sent outside Development on every answer: behind the Functions host the app is
    /// reached over plain HTTP on 127.0.0.1 (the library's own HSTS is sent on HTTPS requests
    /// only), and browsers ignore the header on answers that did not come over HTTPS.
    /// </summary>
    private static HeaderPolicyCollection Common(HeaderPolicyCollection policy, bool hsts)
    {
        policy.AddContentTypeOptionsNoSniff().AddFrameOptionsDeny().AddReferrerPolicyNoReferrer();
        return hsts ? policy.AddCustomHeader(HeaderNames.StrictTransportSecurity, "max-age=31536000; includeSubDomains") : policy;
    }

    private sealed class ConfigureCors(IOptions<BrowserOptions> browser) : IConfigureOptions<Microsoft.AspNetCore.Cors.Infrastructure.CorsOptions>
    {
        public void Configure(Microsoft.AspNetCore.Cors.Infrastructure.CorsOptions options)
        {
            var origins = browser.Value.Origins;
            if (origins.Count == 0)
            {
                return;
            }

            options.AddDefaultPolicy(policy => policy
                .WithOrigins([.. origins])
                .WithMethods(HttpMethods.Get, HttpMethods.Head, HttpMethods.Post, HttpMethods.Put, HttpMethods.Patch, HttpMethods.Delete)
                .WithHeaders(AllowedHeaders)
                .WithExposedHeaders(ExposedHeaders)
                .SetPreflightMaxAge(TimeSpan.FromMinutes(10)));
        }
    }
}
