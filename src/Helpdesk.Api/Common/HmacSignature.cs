using System.Security.Cryptography;
using System.Text;

namespace Helpdesk.Api.Common;

/// <summary>
/// The signature of the helpdesk's outbound requests (webhook deliveries, customer-context
/// look-ups), in one header: <c>t={unix seconds},v1={hex HMAC-SHA256 of "{t}.{body}"}</c>. The
/// receiver recomputes it with the shared secret and checks the age of t.
/// </summary>
public static class HmacSignature
{
    public const string Header = "X-Helpdesk-Signature";

    public static string Sign(string secret, string timestamp, string body)
    {
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{timestamp}.{body}"));
        return $"t={timestamp},v1={Convert.ToHexStringLower(mac)}";
    }
}
