using System.Text.Json.Serialization;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Common;
using Helpdesk.Api.Storage;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.OpenApi;

namespace Helpdesk.Api.Hosting;

/// <summary>
/// The probes: <c>/api/health/live</c> (the process answers; nothing else is asked) and
/// <c>/api/health/ready</c> (every check tagged ready: store reachable, schema current, local
/// queue moving, Graph subscriptions live when mail needs them). Anyone gets the status alone,
/// <c>{ "status": "healthy" | "degraded" | "unhealthy" }</c>, 503 when unhealthy; an admin's
/// token also gets each check and its reason, and an unhealthy answer as problem+json naming
/// what failed (its <c>status</c> is the HTTP status, as in every problem; <c>health</c> says
/// unhealthy, <c>checks</c> lists each check). <c>/api/health</c> stays as it was (store reachable).
/// </summary>
public static class HealthEndpoints
{
    public const string NotReadyType = "urn:helpdesk:problem:not-ready";

    public static RouteGroupBuilder MapHealthProbes(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        Probe(api.MapGet("/health/live", (HttpContext context, HealthCheckService health, IAuthorizationService authorization, CancellationToken ct) =>
                ProbeAsync(context, health, authorization, _ => false, ct)))
            .WithName("GetLiveness")
            .WithSummary("Liveness: the process answers (no check is run).");
        Probe(api.MapGet("/health/ready", (HttpContext context, HealthCheckService health, IAuthorizationService authorization, CancellationToken ct) =>
                ProbeAsync(context, health, authorization, c => c.Tags.Contains(HealthTags.Ready), ct)))
            .WithName("GetReadiness")
            .WithSummary("Readiness: the store, its schema, the local queue and the Graph subscriptions; 503 when one is unhealthy.");
        return api;
    }

    private static RouteHandlerBuilder Probe(RouteHandlerBuilder route) => route
        .AllowAnonymous()
        .WithTags("system")
        .Produces<HealthProbe>()
        .Produces<HealthProbe>(StatusCodes.Status503ServiceUnavailable)
        .AddOpenApiOperationTransformer(AdminsGetAProblemWhenUnhealthy);

    private static async Task<IResult> ProbeAsync(HttpContext context, HealthCheckService health, IAuthorizationService authorization, Func<HealthCheckRegistration, bool> predicate, CancellationToken cancellationToken)
    {
        var report = await health.CheckHealthAsync(predicate, cancellationToken);
        context.Response.Headers.CacheControl = "no-store";
        var status = Name(report.Status);
        var statusCode = report.Status == HealthStatus.Unhealthy ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK;
        if (!(await authorization.AuthorizeAsync(context.User, Policies.Admin)).Succeeded)
        {
            return Results.Json(new HealthProbe(status), statusCode: statusCode);
        }

        var checks = report.Entries.Select(e => new HealthCheckView(e.Key, Name(e.Value.Status), e.Value.Description ?? e.Value.Exception?.GetType().Name, Math.Round(e.Value.Duration.TotalMilliseconds, 1))).ToList();
        if (report.Status != HealthStatus.Unhealthy)
        {
            return Results.Json(new HealthProbe(status) { Checks = checks });
        }

        var failed = checks.Where(c => c.Status == Name(HealthStatus.Unhealthy)).ToList();
        var problem = Problems.Create(StatusCodes.Status503ServiceUnavailable, NotReadyType, "Not ready", string.Join(" ", failed.Select(c => $"{c.Name}: {c.Description}")));
        problem.Extensions["health"] = status;
        problem.Extensions["checks"] = checks;
        return Problems.Result(problem);
    }

    /// <summary>An admin's 503 is a problem naming what failed; everyone else's is the same <c>{status}</c> as the 200.</summary>
    private static Task AdminsGetAProblemWhenUnhealthy(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        if (operation.Responses?.TryGetValue("503", out var unavailable) == true && unavailable is OpenApiResponse response)
        {
            response.Description = "Unhealthy: `{status}` for anyone; for an admin, a problem (`urn:helpdesk:problem:not-ready`) naming each failed check.";
            (response.Content ??= new Dictionary<string, OpenApiMediaType>(StringComparer.Ordinal))[ProblemResponses.MediaType] =
                new() { Schema = new OpenApiSchemaReference(ProblemResponses.SchemaName, context.Document) };
        }

        return Task.CompletedTask;
    }

    private static string Name(HealthStatus status) => status switch
    {
        HealthStatus.Healthy => "healthy",
        HealthStatus.Degraded => "degraded",
        _ => "unhealthy",
    };

    /// <summary>A probe's answer: healthy, degraded or unhealthy; an admin's also lists each check.</summary>
    public sealed record HealthProbe(string Status)
    {
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public IReadOnlyList<HealthCheckView>? Checks { get; init; }
    }

    /// <summary>One check: its name, status, reason and how long it took.</summary>
    public sealed record HealthCheckView(string Name, string Status, string? Description, double DurationMs);
}
