using Helpdesk.Api.Storage;

namespace Helpdesk.Api.Hosting;

/// <summary>Health, the API description, and the Functions host's readiness probe: the routes without a token.</summary>
public static class SystemEndpoints
{
    public static RouteGroupBuilder MapSystemEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/health", async (IStoreHealth store, CancellationToken ct) =>
                await store.IsHealthyAsync(ct)
                    ? Results.Ok(new StoreHealth("healthy"))
                    : Results.Json(new StoreHealth("unhealthy"), statusCode: StatusCodes.Status503ServiceUnavailable))
            .AllowAnonymous()
            .WithTags("system")
            .WithName("GetHealth")
            .Produces<StoreHealth>()
            .Produces<StoreHealth>(StatusCodes.Status503ServiceUnavailable);
        return api;
    }

    /// <summary>
    /// Whether the store answers: healthy, or unhealthy (with a 503). The 503 carries the same
    /// <c>{status}</c> body as the 200, not a problem: monitors and load balancers decide on the
    /// status code, and those that read the body read one member in both answers.
    /// </summary>
    public sealed record StoreHealth(string Status);

    public static WebApplication MapDescriptionAndProbe(this WebApplication app)
    {
        app.MapOpenApi("/api/openapi/{documentName}.json").AllowAnonymous();

        // The Functions host polls GET / until the custom handler answers; standalone it says where the API is.
        app.MapGet("/", () => Results.Ok(new { name = "helpdesk", api = "/api", openApi = "/api/openapi/v1.json" }))
            .AllowAnonymous()
            .ExcludeFromDescription();
        return app;
    }
}
