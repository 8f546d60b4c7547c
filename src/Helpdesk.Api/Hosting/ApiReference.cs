using Microsoft.Extensions.Options;
using Scalar.AspNetCore;

namespace Helpdesk.Api.Hosting;

/// <summary>
/// The API reference page a person reads at <c>/api/docs</c>: Scalar over the same OpenAPI
/// document clients are generated from (<c>/api/openapi/v1.json</c>). Scalar.AspNetCore serves its
/// script from the package (<c>/api/docs/scalar.js</c>), and the page loads nothing else from
/// elsewhere (no web fonts, no telemetry, no AI agent or MCP add-ons), so it works offline and
/// behind a firewall. On in Development; elsewhere only with <c>Http:ApiReference</c> = true.
/// </summary>
public static class ApiReference
{
    public const string Path = "/api/docs";

    public static WebApplication MapApiReference(this WebApplication app)
    {
        var enabled = app.Services.GetRequiredService<IOptions<BrowserOptions>>().Value.ApiReference ?? app.Environment.IsDevelopment();
        if (!enabled)
        {
            return app;
        }

        app.MapScalarApiReference(Path, options => options
                .WithTitle("Helpdesk API")
                .WithOpenApiRoutePattern("/api/openapi/{documentName}.json")
                .AddDocument("v1", "Helpdesk API (OpenAPI 3.1)")
                .DisableDefaultFonts()
                .DisableTelemetry()
                .DisableAgent()
                .DisableMcp())
            .AllowAnonymous()
            .ExcludeFromDescription();
        return app;
    }
}
