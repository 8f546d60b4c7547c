using Azure.Core;
using Azure.Identity;
using Azure.Messaging.ServiceBus;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Common;
using Helpdesk.Api.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

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
            .AddScoped<Triggers.InvocationOutputs>()
            .AddSingleton<ITelemetrySample, QueueGauges>()
            .AddScoped<EventPump>()
            .AddHostedService<EventPumpRunner>()
            .AddDeadLetters(configuration);
    }

    /// <summary>
    /// The dead letters the admin routes show: Service Bus's when the app runs under the Functions
    /// host with a Service Bus namespace (<c>ServiceBus__fullyQualifiedNamespace</c>, the trigger
    /// bindings' identity-based connection, signed in as <c>ServiceBus__clientId</c> when set), the
    /// local queue's otherwise.
    /// </summary>
    private static IServiceCollection AddDeadLetters(this IServiceCollection services, IConfiguration configuration)
    {
        var ns = configuration["ServiceBus:fullyQualifiedNamespace"];
        if (string.IsNullOrWhiteSpace(ns))
        {
            return services.AddSingleton<IDeadLetters, LocalDeadLetters>();
        }

        var clientId = configuration["ServiceBus:clientId"];
        return services
            .AddSingleton(sp => new ServiceBusClient(
                ns,
                sp.GetService<TokenCredential>() ?? (string.IsNullOrWhiteSpace(clientId) ? new DefaultAzureCredential() : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId))),
                new ServiceBusClientOptions { RetryOptions = { MaxRetries = 2, TryTimeout = TimeSpan.FromSeconds(20) } }))
            .AddSingleton<IDeadLetters, ServiceBusDeadLetters>();
    }

    /// <summary>
    /// The admin routes over the queues' dead letters (<see cref="IDeadLetters"/>), and the wake-up of the standalone
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
        dead.MapGet("/", ListDeadLettersAsync).WithName("ListDeadLetters")
            .WithSummary("The event messages that failed every attempt, of one queue or of all")
            .ProducesProblems(StatusCodes.Status400BadRequest);
        dead.MapGet("/{id}", GetDeadLetterAsync).WithName("GetDeadLetter")
            .WithSummary("One dead letter with its body and last error")
            .ProducesProblems(StatusCodes.Status404NotFound);
        dead.MapPost("/{id}/redrive", RedriveAsync).WithName("RedriveDeadLetter")
            .WithSummary("Puts a dead letter back on its queue with fresh attempts")
            .ProducesProblems(StatusCodes.Status404NotFound);
        return api;
    }

    private static async Task<Results<Ok<Page<DeadLetter>>, ApiProblem>> ListDeadLettersAsync(IDeadLetters store, string? queue, int? limit, string? cursor, CancellationToken cancellationToken)
    {
        if (Paging.LimitProblem(limit) is { } refused)
        {
            return new ApiProblem(refused);
        }

        return TypedResults.Ok(await store.ListAsync(queue, limit ?? Paging.DefaultLimit, cursor, cancellationToken));
    }

    private static async Task<Results<Ok<DeadLetter>, ApiProblem>> GetDeadLetterAsync(string id, IDeadLetters store, CancellationToken cancellationToken) =>
        await store.FindAsync(id, cancellationToken) is { } letter
            ? TypedResults.Ok(letter)
            : new ApiProblem(Problems.Missing("dead letter"));

    /// <summary>Puts the message back on its queue with fresh attempts.</summary>
    private static async Task<Results<Ok<RedrivenDeadLetter>, ApiProblem>> RedriveAsync(string id, IDeadLetters store, CancellationToken cancellationToken) =>
        await store.RedriveAsync(id, cancellationToken) is { } letter
            ? TypedResults.Ok(new RedrivenDeadLetter(letter.Id, letter.Queue, letter.MessageId, RedrivenDeadLetter.Ready))
            : new ApiProblem(Problems.Missing("dead letter"));
}
