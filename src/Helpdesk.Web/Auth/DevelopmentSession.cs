using System.Security.Claims;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.JSInterop;

namespace Helpdesk.Web.Auth;

/// <summary>
/// The signed-in user of the development sign-in: the API's development token, kept in the
/// browser's localStorage so that a reload or a second tab stays signed in until it expires.
/// </summary>
public sealed class DevelopmentSession(IJSRuntime js, TimeProvider clock) : AuthenticationStateProvider
{
    private const string StorageKey = "helpdesk.devToken";
    private static readonly AuthenticationState Anonymous = new(new ClaimsPrincipal(new ClaimsIdentity()));
    private Task<AuthenticationState>? _state;

    public string? Token { get; private set; }

    public override Task<AuthenticationState> GetAuthenticationStateAsync() => _state ??= LoadAsync();

    public async Task SignInAsync(string token)
    {
        await js.InvokeVoidAsync("localStorage.setItem", StorageKey, token);
        Publish(token);
    }

    public async Task SignOutAsync()
    {
        await js.InvokeVoidAsync("localStorage.removeItem", StorageKey);
        Publish(null);
    }

    private async Task<AuthenticationState> LoadAsync()
    {
        var token = await js.InvokeAsync<string?>("localStorage.getItem", StorageKey);
        var principal = token is null ? null : TokenClaims.Read(token, clock.GetUtcNow());
        Token = principal is null ? null : token;
        return principal is null ? Anonymous : new AuthenticationState(principal);
    }

    private void Publish(string? token)
    {
        var principal = token is null ? null : TokenClaims.Read(token, clock.GetUtcNow());
        Token = principal is null ? null : token;
        _state = Task.FromResult(principal is null ? Anonymous : new AuthenticationState(principal));
        NotifyAuthenticationStateChanged(_state);
    }
}

/// <summary>
/// Reads the claims of a JWT's payload, without checking its signature: the API checks it; the
/// console only needs to know whom it shows and which pages to offer.
/// </summary>
public static class TokenClaims
{
    public static ClaimsPrincipal? Read(string jwt, DateTimeOffset now)
    {
        var parts = jwt.Split('.');
        if (parts.Length != 3)
        {
            return null;
        }

        JsonDocument payload;
        try
        {
            payload = JsonDocument.Parse(Base64UrlDecode(parts[1]));
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return null;
        }

        using (payload)
        {
            var root = payload.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || (root.TryGetProperty("exp", out var exp) && exp.TryGetInt64(out var seconds) && DateTimeOffset.FromUnixTimeSeconds(seconds) <= now))
            {
                return null;
            }

            var claims = new List<Claim>();
            foreach (var property in root.EnumerateObject())
            {
                if (property.Value.ValueKind == JsonValueKind.Array)
                {
                    claims.AddRange(property.Value.EnumerateArray().Select(v => new Claim(property.Name, v.ToString())));
                }
                else if (property.Value.ValueKind is JsonValueKind.String or JsonValueKind.Number)
                {
                    claims.Add(new Claim(property.Name, property.Value.ToString()));
                }
            }

            return new ClaimsPrincipal(new ClaimsIdentity(claims, "development", "name", Roles.ClaimType));
        }
    }

    private static byte[] Base64UrlDecode(string value)
    {
        var base64 = new StringBuilder(value.Replace('-', '+').Replace('_', '/'));
        while (base64.Length % 4 != 0)
        {
            base64.Append('=');
        }

        return Convert.FromBase64String(base64.ToString());
    }
}

/// <summary>Puts the development token on the API's requests.</summary>
public sealed class DevelopmentTokenHandler(DevelopmentSession session) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        await session.GetAuthenticationStateAsync();
        if (session.Token is { } token)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }

        return await base.SendAsync(request, cancellationToken);
    }
}
