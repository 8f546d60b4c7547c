using Microsoft.AspNetCore.Authentication.JwtBearer;
using Helpdesk.Api.Storage;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Helpdesk.Api.Auth;

public static class AuthSetup
{
    /// <summary>
    /// JWT bearer with app roles in the <c>roles</c> claim. Entra ID when an authority is configured;
    /// the local development key only when one is configured explicitly. With neither, every
    /// protected route answers 401.
    /// </summary>
    public static IServiceCollection AddHelpdeskAuth(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<AuthOptions>(configuration.GetSection(AuthOptions.Section));
        services.AddScoped<Caller>();
        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptions<AuthOptions>, IOptions<StorageOptions>>((jwt, auth, storage) => Configure(jwt, auth.Value, storage.Value.ResolvedDataFolder));

        services.AddAuthorizationBuilder()
            .AddPolicy(Policies.Staff, p => p.RequireRole(Roles.Agent, Roles.Supervisor, Roles.Admin))
            .AddPolicy(Policies.Supervisor, p => p.RequireRole(Roles.Supervisor, Roles.Admin))
            .AddPolicy(Policies.Admin, p => p.RequireRole(Roles.Admin))
            .AddPolicy(Policies.Customer, p => p.RequireRole(Roles.Customer).RequireClaim("contact_id"))
            .SetFallbackPolicy(new Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());

        services.AddScoped(sp => CurrentUser.From(sp.GetRequiredService<IHttpContextAccessor>().HttpContext?.User ?? new System.Security.Claims.ClaimsPrincipal()));
        services.AddHttpContextAccessor();
        return services;
    }

    private static void Configure(JwtBearerOptions jwt, AuthOptions options, string dataFolder)
    {
        var devKey = DevelopmentTokens.LoadKey(options, dataFolder);
        jwt.MapInboundClaims = false;
        var parameters = new TokenValidationParameters
        {
            NameClaimType = "name",
            RoleClaimType = "roles",
            ValidateIssuer = true,
            ValidateAudience = true,
            ValidateLifetime = true,
            ClockSkew = TimeSpan.FromMinutes(2),
        };

        if (!string.IsNullOrWhiteSpace(options.Authority))
        {
            jwt.Authority = options.Authority;
            jwt.Audience = options.Audience;
            parameters.ValidAudience = options.Audience;
        }

        if (devKey is not null)
        {
            parameters.IssuerSigningKey = devKey;
            parameters.ValidIssuers = [DevelopmentTokens.Issuer];
            parameters.ValidAudiences = string.IsNullOrWhiteSpace(options.Audience) ? [DevelopmentTokens.Audience] : [DevelopmentTokens.Audience, options.Audience];
        }

        jwt.TokenValidationParameters = parameters;
    }
}
