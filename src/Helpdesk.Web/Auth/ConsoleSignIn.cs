using Helpdesk.Web.Api;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.WebAssembly.Authentication;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Helpdesk.Web.Auth;

/// <summary>
/// How the console signs people in, from its own appsettings.json (section <c>Auth</c>): with an
/// <c>Authority</c>, Entra ID (OpenID Connect, code flow) and the API's app roles from the token;
/// without one, the development sign-in page backed by the API's Development-only endpoint.
/// </summary>
public sealed record ConsoleAuthOptions(string? Authority, string? ClientId, IReadOnlyList<string> ApiScopes, string RoleClaim)
{
    public bool UsesEntraId => !string.IsNullOrWhiteSpace(Authority);

    public static ConsoleAuthOptions From(IConfiguration configuration)
    {
        var section = configuration.GetSection("Auth");
        return new ConsoleAuthOptions(
            section["Authority"],
            section["ClientId"],
            [.. section.GetSection("ApiScopes").GetChildren().Select(c => c.Value).OfType<string>()],
            section["RoleClaim"] is { Length: > 0 } claim ? claim : Roles.ClaimType);
    }
}

public static class ConsoleSignIn
{
    public static IServiceCollection AddConsoleSignIn(this IServiceCollection services, IConfiguration configuration)
    {
        var options = ConsoleAuthOptions.From(configuration);
        services.AddSingleton(options);
        services.TryAddSingleton(TimeProvider.System);
        services.AddAuthorizationCore(o =>
        {
            o.AddPolicy(Policies.Staff, p => p.RequireRole(Roles.Agent, Roles.Supervisor, Roles.Admin));
            o.AddPolicy(Policies.Supervisor, p => p.RequireRole(Roles.Supervisor, Roles.Admin));
            o.AddPolicy(Policies.Admin, p => p.RequireRole(Roles.Admin));
            o.AddPolicy(Policies.Customer, p => p.RequireRole(Roles.Customer));
        });

        if (options.UsesEntraId)
        {
            services.AddOidcAuthentication(oidc =>
            {
                oidc.ProviderOptions.Authority = options.Authority;
                oidc.ProviderOptions.ClientId = options.ClientId;
                oidc.ProviderOptions.ResponseType = "code";
                foreach (var scope in options.ApiScopes)
                {
                    oidc.ProviderOptions.DefaultScopes.Add(scope);
                }

                oidc.UserOptions.RoleClaim = options.RoleClaim;
            }).AddAccountClaimsPrincipalFactory<RolesClaimsPrincipalFactory>();
            services.AddScoped<ApiTokenHandlerFactory>(sp => () => sp.GetRequiredService<AuthorizationMessageHandler>()
                .ConfigureHandler(authorizedUrls: [sp.GetRequiredService<ApiAddress>().BaseUrl], scopes: options.ApiScopes));
        }
        else
        {
            services.AddScoped<DevelopmentSession>();
            services.AddScoped<AuthenticationStateProvider>(sp => sp.GetRequiredService<DevelopmentSession>());
            services.AddScoped<DevelopmentSignInClient>();
            services.AddScoped<ApiTokenHandlerFactory>(sp => () => new DevelopmentTokenHandler(sp.GetRequiredService<DevelopmentSession>()));
        }

        return services;
    }
}

/// <summary>Makes the handler that puts the signed-in user's token on the API's requests.</summary>
public delegate DelegatingHandler ApiTokenHandlerFactory();

/// <summary>The API's roles, as the <c>roles</c> claim of its tokens carries them.</summary>
public static class Roles
{
    public const string ClaimType = "roles";
    public const string Agent = "agent";
    public const string Supervisor = "supervisor";
    public const string Admin = "admin";
    public const string Customer = "customer";
}

public static class Policies
{
    public const string Staff = "staff";
    public const string Supervisor = "supervisor";
    public const string Admin = "admin";
    public const string Customer = "customer";
}
