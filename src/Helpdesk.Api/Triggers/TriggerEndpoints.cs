using System.Net;

namespace Helpdesk.Api.Triggers;

/// <summary>
/// The routes the Functions host POSTs envelopes to. They live outside <c>/api</c>, so the
/// proxied catch-all HTTP function never exposes them, and they answer only local callers.
/// </summary>
public static class TriggerEndpoints
{
    public static IServiceCollection AddTriggers(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<JobsOptions>(configuration.GetSection(JobsOptions.Section));
        services.AddHostedService<ScheduledJobRunner>();
        return services;
    }

    /// <summary>Registers a scheduled job (scoped) under its function name.</summary>
    public static IServiceCollection AddScheduledJob<TJob>(this IServiceCollection services, string functionName, TimeSpan interval)
        where TJob : class, IScheduledJob =>
        services.AddScoped<TJob>().AddSingleton(new ScheduledJobRegistration(functionName, interval, typeof(TJob)));

    /// <summary>Maps <c>POST /{FunctionName}</c> for every registered scheduled job.</summary>
    public static IEndpointRouteBuilder MapTimerTriggers(this IEndpointRouteBuilder app)
    {
        foreach (var registration in app.ServiceProvider.GetServices<ScheduledJobRegistration>())
        {
            app.MapPost($"/{registration.FunctionName}", async (InvocationRequest? envelope, IServiceProvider services, CancellationToken ct) =>
                {
                    var job = (IScheduledJob)services.GetRequiredService(registration.JobType);
                    var logs = await job.RunAsync(TimerInfo.From(envelope?.Binding("timer")), ct);
                    return Results.Json(InvocationResult.Empty([.. logs]));
                })
                .AddEndpointFilter<LocalCallersOnly>()
                .AllowAnonymous()
                .ExcludeFromDescription();
        }

        return app;
    }

    /// <summary>Trigger routes are for the Functions host on the same machine, nobody else.</summary>
    internal sealed class LocalCallersOnly : IEndpointFilter
    {
        public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
        {
            var remote = context.HttpContext.Connection.RemoteIpAddress;
            return remote is null || IPAddress.IsLoopback(remote)
                ? await next(context)
                : Results.NotFound();
        }
    }
}
