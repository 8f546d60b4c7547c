using System.Text.Json.Serialization;
using Helpdesk.Api.Common;
using Helpdesk.Api.Storage;
using Helpdesk.Api.Idempotency;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Helpdesk.Api.Hosting;

/// <summary>The API conventions of ARCHITECTURE.md, applied once for every route.</summary>
public static class HttpSetup
{
    public static IServiceCollection AddHelpdeskHttp(this IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        ValidationExtensions.UseJsonPropertyNames();
        services.AddRequestValidators();
        services.Configure<JsonOptions>(o =>
        {
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.CamelCase, allowIntegerValues: false));
            o.SerializerOptions.Converters.Add(new UtcInstantConverter());
            o.SerializerOptions.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;

            // A number is a JSON number: the web defaults also read "12" as 12, which made every
            // number of the OpenAPI document "integer or string" with a pattern, and generated
            // clients carry a composed type for each.
            o.SerializerOptions.NumberHandling = JsonNumberHandling.Strict;
        });
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.Configure<HttpLimitsOptions>(configuration.GetSection("Http"));
        services.AddBrowserAccess(configuration, environment);
        services.AddHelpdeskRateLimits(configuration);
        services.AddProblemDetails(o => o.CustomizeProblemDetails = FrameworkProblems.UseApiTypes);
        services.AddExceptionHandler<ProblemExceptionHandler>();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(StoreSelection.Of<IIdempotencyStore, SqliteIdempotencyStore, CosmosIdempotencyStore>());
        services.AddHttpContextAccessor();
        services.AddSingleton<IdempotentRequests>();
        services.AddOpenApi("v1", o => o.UseHelpdeskConventions(OpenApiSpecVersion.OpenApi3_1));
        services.AddOpenApi("v2", o => o.UseHelpdeskConventions(OpenApiSpecVersion.OpenApi2_0).AddDocumentTransformer<PowerAutomateDocument>());
        return services;
    }

    /// <summary>Both documents: the version, OAuth 2.0 security, operation names, the problem answers, required fields as the validators define them and an example of every request body.</summary>
    private static OpenApiOptions UseHelpdeskConventions(this OpenApiOptions options, OpenApiSpecVersion version)
    {
        options.OpenApiVersion = version;
        return options
            .AddDocumentTransformer<ApiSecurity>()
            .AddOperationTransformer<ApiSecurity>()
            .AddOperationTransformer<IdempotencyKeyParameter>()
            .AddOperationTransformer<OperationNames>()
            .AddOperationTransformer<FileResponses>()
            .AddOperationTransformer<ProblemResponses>()
            .AddOperationTransformer<RequestExamples>()
            .AddDocumentTransformer<ProblemResponses>()
            .AddSchemaTransformer<ValidatedRequiredFields>()
            .AddDocumentTransformer<OptionalRequestMembers>()
            .AddDocumentTransformer<RequestExamples>();
    }

    public static WebApplication UseHelpdeskHttp(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseRouting();
        app.UseMiddleware<BodySizeLimitMiddleware>();
        app.UseAuthentication();
        app.UseRateLimiter();
        app.UseAuthorization();
        app.UseMiddleware<RouteIdMiddleware>();
        app.UseMiddleware<IdempotencyMiddleware>();
        return app;
    }
}
