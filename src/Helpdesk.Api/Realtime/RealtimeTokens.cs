using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Json;
using Helpdesk.Api.Auth;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Realtime;

/// <summary>
/// The short-lived token <c>POST /api/realtime/negotiate</c> gives for the standalone hub: who the
/// caller is (subject, email, roles, contact) and until when, protected by the app's data
/// protection keys. The hub accepts this token only, and no other route does, so the caller's
/// own bearer token never travels in a WebSocket query string.
/// </summary>
public sealed class RealtimeTokens(IDataProtectionProvider protection, TimeProvider clock, IOptions<RealtimeOptions> options)
{
    public const string Scheme = "RealtimeHub";
    private const string Purpose = "Helpdesk.Realtime.HubToken.v1";
    private readonly IDataProtector _protector = protection.CreateProtector(Purpose);

    public string Issue(CurrentUser user)
    {
        ArgumentNullException.ThrowIfNull(user);
        var grant = new HubGrant(user.Subject, user.Email, [.. user.Roles], user.ContactId, clock.GetUtcNow().AddMinutes(options.Value.TokenMinutes));
        return _protector.Protect(JsonSerializer.Serialize(grant));
    }

    /// <summary>The caller a token names, or null when it is not one of ours or has expired.</summary>
    public ClaimsPrincipal? Read(string token)
    {
        HubGrant? grant;
        try
        {
            grant = JsonSerializer.Deserialize<HubGrant>(_protector.Unprotect(token));
        }
        catch (Exception e) when (e is CryptographicException or JsonException or FormatException)
        {
            return null;
        }

        if (grant is null || grant.Expires <= clock.GetUtcNow())
        {
            return null;
        }

        List<Claim> claims = [new("sub", grant.Subject), .. grant.Roles.Select(r => new Claim("roles", r))];
        if (grant.Email is not null)
        {
            claims.Add(new Claim("email", grant.Email));
        }

        if (grant.ContactId is not null)
        {
            claims.Add(new Claim("contact_id", grant.ContactId));
        }

        return new ClaimsPrincipal(new ClaimsIdentity(claims, Scheme, "sub", "roles"));
    }

    private sealed record HubGrant(string Subject, string? Email, IReadOnlyList<string> Roles, string? ContactId, DateTimeOffset Expires);
}

/// <summary>
/// Authenticates hub requests with a <see cref="RealtimeTokens"/> token: in the <c>access_token</c>
/// query parameter (WebSockets and server-sent events cannot send headers from a browser) or as
/// a bearer header (long polling, the .NET client).
/// </summary>
internal sealed class RealtimeTokenHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, RealtimeTokens tokens)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var token = Request.Query["access_token"].ToString();
        var header = Request.Headers.Authorization.ToString();
        if (token.Length == 0 && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            token = header["Bearer ".Length..].Trim();
        }

        if (token.Length == 0)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        return Task.FromResult(tokens.Read(token) is { } principal
            ? AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme.Name))
            : AuthenticateResult.Fail("The realtime token is invalid or expired; negotiate again."));
    }
}
