using System.Globalization;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Common;
using Helpdesk.Api.Storage;

namespace Helpdesk.Api.Events;

public static class EventEndpoints
{
    public static IServiceCollection AddEvents(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<EventsOptions>(configuration.GetSection(EventsOptions.Section));
        services.AddHealthChecks().AddCheck<QueueHealthCheck>("queue", tags: [HealthTags.Ready]);
        return services
            .AddSingleton(EventsSchema.Queue)
            .AddSingleton(EventsSchema.QueueLeaseHolder)
            .AddSingleton<EventSignal>()
            .AddSingleton<LocalQueue>()
            .AddStaleClaims<LocalQueue>()
            .AddSingleton<ProcessedEvents>()
            .AddSingleton(StoreSelection.Of<IProcessedEvents, ProcessedEvents, CosmosProcessedEvents>())
            .AddSingleton<EventTelemetry>()
            .AddSingleton<OutboxRelay>()
            .AddCosmosSingleton<CosmosEventRelay>()
            .AddSingleton(StoreSelection.Registered<IStoredEventSource, OutboxRelay, CosmosEventRelay>())
            .AddSingleton<QueueDelivery>()
            .AddSingleton<ITelemetrySample, QueueGauges>()
            .AddScoped<EventPump>()
            .AddHostedService<EventPumpRunner>();
    }

    /// <summary>
    /// The admin routes over the local queue's dead letters, and the wake-up of the standalone
    /// runner after every API write (the events of that write are in the outbox by then).
    /// </summary>
    public static RouteGroupBuilder MapEventEndpoints(this RouteGroupBuilder api)
    {
        api.AddEndpointFilter(async (context, next) =>
        {
            var result = await next(context);
            if (!HttpMethods.IsGet(context.HttpContext.Request.Method) && !HttpMethods.IsHead(context.HttpContext.Request.Method))
            {
                context.HttpContext.RequestServices.GetRequiredService<EventSignal>().Pulse();
            }

            return result;
        });

        var dead = api.MapGroup("/admin/dead-letters").WithTags("events").RequireAuthorization(Policies.Admin);
        dead.MapGet("/", ListDeadLettersAsync).WithName("ListDeadLetters");
        dead.MapGet("/{id}", GetDeadLetterAsync).WithName("GetDeadLetter");
        dead.MapPost("/{id}/redrive", RedriveAsync).WithName("RedriveDeadLetter");
        return api;
    }

    private static async Task<IResult> ListDeadLettersAsync(LocalQueue store, string? queue, int? limit, string? cursor, CancellationToken cancellationToken)
    {
        if (Paging.RefuseLimit(limit) is { } refused)
        {
            return refused;
        }

        return TypedResults.Ok(await store.ListDeadAsync(queue, limit ?? Paging.DefaultLimit, cursor, cancellationToken));
    }

    private static async Task<IResult> GetDeadLetterAsync(string id, LocalQueue queue, CancellationToken cancellationToken) =>
        ParseId(id) is { } seq && await queue.FindDeadAsync(seq, cancellationToken) is { } letter
            ? TypedResults.Ok(letter)
            : Problems.NotFound("dead letter");

    /// <summary>Puts the message back on its queue with fresh attempts; the runner delivers it on its next sweep.</summary>
    private static async Task<IResult> RedriveAsync(string id, LocalQueue queue, EventSignal signal, CancellationToken cancellationToken)
    {
        if (ParseId(id) is not { } seq || await queue.FindDeadAsync(seq, cancellationToken) is not { } letter || !await queue.RedriveAsync(seq, cancellationToken))
        {
            return Problems.NotFound("dead letter");
        }

        signal.Pulse();
        return TypedResults.Ok(new { letter.Id, letter.Queue, letter.MessageId, state = "ready" });
    }

    private static long? ParseId(string id) =>
        long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var seq) ? seq : null;
}
