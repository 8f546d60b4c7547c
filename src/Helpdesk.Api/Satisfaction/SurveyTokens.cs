using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.WebUtilities;

namespace Helpdesk.Api.Satisfaction;

/// <summary>
/// Survey links carry <c>ticket.nonce.signature</c> (base64url parts); the signature is an
/// HMAC-SHA256 of ticket and nonce under the store's key, compared in constant time. A forged or
/// altered token reads as no survey at all.
/// </summary>
public static class SurveyTokens
{
    public static string Create(byte[] key, string ticketId, string nonce) =>
        $"{Encode(ticketId)}.{Encode(nonce)}.{WebEncoders.Base64UrlEncode(Sign(key, ticketId, nonce))}";

    public static (string TicketId, string Nonce)? Read(byte[] key, string token)
    {
        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            return null;
        }

        try
        {
            var ticketId = Encoding.UTF8.GetString(WebEncoders.Base64UrlDecode(parts[0]));
            var nonce = Encoding.UTF8.GetString(WebEncoders.Base64UrlDecode(parts[1]));
            var signature = WebEncoders.Base64UrlDecode(parts[2]);
            return CryptographicOperations.FixedTimeEquals(signature, Sign(key, ticketId, nonce)) ? (ticketId, nonce) : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    public static string NewNonce() => WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(16));

    private static string Encode(string text) => WebEncoders.Base64UrlEncode(Encoding.UTF8.GetBytes(text));

    private static byte[] Sign(byte[] key, string ticketId, string nonce) =>
        HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{ticketId}\n{nonce}"));
}
