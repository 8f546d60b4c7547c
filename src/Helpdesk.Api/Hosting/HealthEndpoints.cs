using System.Text.Json;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Common;
using Helpdesk.Api.Storage;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

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

    public static WebApplication MapHealthProbes(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapHealthChecks("/api/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync })
            .AllowAnonymous();
        app.MapHealthChecks("/api/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains(HealthTags.Ready), ResponseWriter = WriteAsync })
            .AllowAnonymous();
        return app;
    }

    private static async Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.Headers.CacheControl = "no-store";
        var status = Name(report.Status);
        var authorization = context.RequestServices.GetRequiredService<IAuthorizationService>();
        var admin = (await authorization.AuthorizeAsync(context.User, Policies.Admin)).Succeeded;
        if (!admin)
        {
            await context.Response.WriteAsJsonAsync(new { status }, context.RequestAborted);
            return;
        }

        var checks = report.Entries.Select(e => new HealthCheckView(e.Key, Name(e.Value.Status), e.Value.Description ?? e.Value.Exception?.GetType().Name, Math.Round(e.Value.Duration.TotalMilliseconds, 1))).ToList();
        if (report.Status != HealthStatus.Unhealthy)
        {
            await context.Response.WriteAsJsonAsync(new HealthView(status, checks), context.RequestAborted);
            return;
        }

        var failed = checks.Where(c => c.Status == Name(HealthStatus.Unhealthy)).ToList();
        var problem = Problems.Create(StatusCodes.Status503ServiceUnavailable, NotReadyType, "Not ready", string.Join(" ", failed.Select(c => $"{c.Name}: {c.Description}")));
        problem.Extensions["health"] = status;
        problem.Extensions["checks"] = checks;
        await context.Response.WriteAsJsonAsync(problem, (JsonSerializerOptions?)null, "application/problem+json", context.RequestAborted);
    }

    private static string Name(HealthStatus status) => status switch
    {
        HealthStatus.Healthy => "healthy",
        HealthStatus.Degraded => "degraded",
        _ => "unhealthy",
    };

    private sealed record HealthView(string Status, IReadOnlyList<HealthCheckView> Checks);

    private sealed record HealthCheckView(string Name, string Status, string? Description, double DurationMs);
}
