using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Helpdesk.Api.Auth;

/// <summary>
/// Tokens signed with the local development key, for `token` on the command line and for tests.
/// Only exists when <see cref="AuthOptions.DevelopmentSigningKey"/> is configured.
/// </summary>
public static class DevelopmentTokens
{
    public const string Issuer = "helpdesk-dev";
    public const string Audience = "helpdesk-api";
    public const string AutoKey = "auto";
    private const string KeyFileName = "dev-signing-key";

    public static SymmetricSecurityKey? LoadKey(AuthOptions options, string dataFolder)
    {
        var configured = options.DevelopmentSigningKey;
        if (string.IsNullOrWhiteSpace(configured))
        {
            return null;
        }

        var base64 = configured == AutoKey ? ReadOrCreateKeyFile(dataFolder) : configured;
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(base64);
        }
        catch (FormatException)
        {
            throw new InvalidOperationException("Auth:DevelopmentSigningKey must be base64 (or 'auto').");
        }

        return bytes.Length < 32
            ? throw new InvalidOperationException("Auth:DevelopmentSigningKey must hold at least 32 bytes.")
            : new SymmetricSecurityKey(bytes);
    }

    public static string Create(SecurityKey key, string user, string role, string? contactId, DateTimeOffset now, TimeSpan lifetime)
    {
        var claims = new Dictionary<string, object>
        {
            ["sub"] = user,
            ["email"] = user,
            ["name"] = user,
            ["roles"] = new[] { role },
        };
        if (contactId is not null)
        {
            claims["contact_id"] = contactId;
        }

        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Audience,
            Claims = claims,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime.AddMinutes(-1),
            Expires = now.UtcDateTime.Add(lifetime),
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.HmacSha256),
        };
        return new JsonWebTokenHandler().CreateToken(descriptor);
    }

    private static string ReadOrCreateKeyFile(string dataFolder)
    {
        System.IO.Directory.CreateDirectory(dataFolder);
        var path = Path.Combine(dataFolder, KeyFileName);
        if (!File.Exists(path))
        {
            File.WriteAllText(path, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        }

        return File.ReadAllText(path).Trim();
    }
}

/// <summary>Who is calling, read once from the validated token.</summary>
public sealed record CurrentUser(string Subject, string? Email, IReadOnlySet<string> Roles, string? ContactId)
{
    public bool IsStaff => Roles.Contains(Auth.Roles.Agent) || Roles.Contains(Auth.Roles.Supervisor) || Roles.Contains(Auth.Roles.Admin);

    public bool IsSupervisor => Roles.Contains(Auth.Roles.Supervisor) || Roles.Contains(Auth.Roles.Admin);

    public static CurrentUser From(ClaimsPrincipal principal)
    {
        var subject = principal.FindFirstValue("sub") ?? principal.FindFirstValue("oid") ?? string.Empty;
        var email = principal.FindFirstValue("email") ?? principal.FindFirstValue("preferred_username") ?? principal.FindFirstValue("upn");
        var roles = principal.FindAll("roles").Select(c => c.Value).ToHashSet(StringComparer.OrdinalIgnoreCase);
        return new CurrentUser(subject, email, roles, principal.FindFirstValue("contact_id"));
    }
}
