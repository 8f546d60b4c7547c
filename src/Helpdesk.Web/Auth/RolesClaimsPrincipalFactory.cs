using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Components.WebAssembly.Authentication;
using Microsoft.AspNetCore.Components.WebAssembly.Authentication.Internal;

namespace Helpdesk.Web.Auth;

/// <summary>
/// Entra ID puts the app roles in one <c>roles</c> claim holding a JSON array; the authorization
/// policies need one claim per role.
/// </summary>
public sealed class RolesClaimsPrincipalFactory(IAccessTokenProviderAccessor accessor, ConsoleAuthOptions authOptions)
    : AccountClaimsPrincipalFactory<RemoteUserAccount>(accessor)
{
    public override async ValueTask<ClaimsPrincipal> CreateUserAsync(RemoteUserAccount account, RemoteAuthenticationUserOptions options)
    {
        var user = await base.CreateUserAsync(account, options);
        if (user.Identity is not ClaimsIdentity identity || !identity.IsAuthenticated
            || !account.AdditionalProperties.TryGetValue(authOptions.RoleClaim, out var roles) || roles is not JsonElement { ValueKind: JsonValueKind.Array } array)
        {
            return user;
        }

        foreach (var existing in identity.FindAll(authOptions.RoleClaim).ToList())
        {
            identity.RemoveClaim(existing);
        }

        foreach (var role in array.EnumerateArray())
        {
            identity.AddClaim(new Claim(authOptions.RoleClaim, role.GetString() ?? string.Empty));
        }

        return user;
    }
}
