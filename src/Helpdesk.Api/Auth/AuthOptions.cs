namespace Helpdesk.Api.Auth;

public sealed class AuthOptions
{
    public const string Section = "Auth";

    /// <summary>Entra ID (or any OpenID Connect) authority, e.g. https://login.microsoftonline.com/{tenant}/v2.0.</summary>
    public string? Authority { get; set; }

    /// <summary>The audience production tokens are issued for (the API's app id URI or client id).</summary>
    public string? Audience { get; set; }

    /// <summary>
    /// A local HMAC key for development and tests: base64 of at least 32 bytes, or <c>auto</c> to
    /// generate one in the data folder. Empty (the default) means no local token is ever accepted.
    /// </summary>
    public string? DevelopmentSigningKey { get; set; }
}
