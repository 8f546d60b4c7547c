using Helpdesk.Api.Auth;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;

namespace Helpdesk.Api.Hosting;

/// <summary>
/// Declares how callers authenticate in both OpenAPI documents: OAuth 2.0 authorization code
/// against the Entra ID authority of <c>Auth:Authority</c> (the scheme Power Automate's custom
/// connector and API explorers sign in with), required by every operation except the anonymous
/// ones (health, OpenAPI, Graph's webhooks, survey links).
/// </summary>
internal sealed class ApiSecurity(IOptions<AuthOptions> auth) : IOpenApiDocumentTransformer, IOpenApiOperationTransformer
{
    public const string SchemeName = "entraId";

    /// <summary>The authority used when none is configured: any Entra ID tenant.</summary>
    public const string DefaultAuthority = "https://login.microsoftonline.com/common/v2.0";

    /// <summary>The delegated scope the API's app registration exposes (README, Entra ID steps).</summary>
    public const string ScopeName = "user_impersonation";

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        var (authorize, token) = Endpoints(auth.Value.Authority);
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>(StringComparer.Ordinal);
        document.Components.SecuritySchemes[SchemeName] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.OAuth2,
            Description = "Microsoft Entra ID: the app roles agent, supervisor, admin and customer arrive in the roles claim.",
            Flows = new OpenApiOAuthFlows
            {
                AuthorizationCode = new OpenApiOAuthFlow
                {
                    AuthorizationUrl = authorize,
                    TokenUrl = token,
                    Scopes = new Dictionary<string, string>(StringComparer.Ordinal) { [Scope(auth.Value.Audience)] = "Use the helpdesk as the signed-in user." },
                },
            },
        };
        return Task.CompletedTask;
    }

    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        // The fallback policy authenticates every route that does not explicitly allow anonymous callers.
        operation.Security = context.Description.ActionDescriptor.EndpointMetadata.OfType<IAllowAnonymous>().Any()
            ? []
            : [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SchemeName, context.Document)] = [Scope(auth.Value.Audience)] }];
        return Task.CompletedTask;
    }

    /// <summary>The scope a token for the API is requested with: <c>{audience}/user_impersonation</c>.</summary>
    public static string Scope(string? audience) =>
        $"{(string.IsNullOrWhiteSpace(audience) ? "api://helpdesk" : audience.TrimEnd('/'))}/{ScopeName}";

    /// <summary>
    /// The v2.0 authorize and token endpoints of an Entra ID authority
    /// (<c>https://login.microsoftonline.com/{tenant}/v2.0</c>).
    /// </summary>
    public static (Uri Authorize, Uri Token) Endpoints(string? authority)
    {
        var root = (string.IsNullOrWhiteSpace(authority) ? DefaultAuthority : authority).TrimEnd('/');
        if (root.EndsWith("/v2.0", StringComparison.OrdinalIgnoreCase))
        {
            root = root[..^"/v2.0".Length];
        }

        return (new Uri($"{root}/oauth2/v2.0/authorize"), new Uri($"{root}/oauth2/v2.0/token"));
    }
}
