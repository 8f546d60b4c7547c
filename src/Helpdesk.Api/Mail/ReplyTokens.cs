using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Helpdesk.Api.Mail;

/// <summary>
/// The reply token written into every outbound mail of a ticket (<c>[ref:t_….sig]</c>): it
/// threads a reply whose client dropped the In-Reply-To/References headers. The token is signed
/// (HMAC-SHA256 with the installation's secret, truncated to 64 bits), so nobody can steer a mail
/// onto a ticket by typing a ticket id they saw somewhere; an unsigned or forged token is ignored.
/// </summary>
public sealed partial class ReplyTokens(IMailThreadIds store)
{
    private byte[]? _key;

    public async Task<string> TokenAsync(string ticketId, CancellationToken cancellationToken) =>
        $"[ref:{ticketId}.{Signature(await KeyAsync(cancellationToken), ticketId)}]";

    /// <summary>The ticket named by the first correctly signed token in <paramref name="text"/>, if any.</summary>
    public async Task<string?> TicketOfAsync(string? text, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        foreach (Match match in Pattern().Matches(text))
        {
            var ticketId = match.Groups["id"].Value;
            var expected = Encoding.ASCII.GetBytes(Signature(await KeyAsync(cancellationToken), ticketId));
            if (CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(match.Groups["sig"].Value)))
            {
                return ticketId;
            }
        }

        return null;
    }

    private async Task<byte[]> KeyAsync(CancellationToken cancellationToken) =>
        _key ??= await store.SecretAsync(cancellationToken);

    private static string Signature(byte[] key, string ticketId) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes("reply-token\n" + ticketId)).AsSpan(0, 8));

    [GeneratedRegex(@"\[ref:(?<id>t_[0-9a-f]{32})\.(?<sig>[0-9a-f]{16})\]", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex Pattern();
}
