using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Helpdesk.Api.Storage;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Approvals;

/// <summary>What a valid link is bound to: one approval, one step of it, one approver, until a time.</summary>
public sealed record ApprovalLink(string ApprovalId, int Step, string ApproverId, DateTimeOffset ExpiresAt);

/// <summary>
/// The approve and reject links of approval emails. A token is <c>payload.signature</c>
/// (base64url): the payload names the approval, the step, the approver and the expiry; the
/// signature is an HMAC-SHA256 of it under the configured key, compared in constant time. The
/// token says nothing about the decision (the route does) and nothing secret; a link works once
/// because the approver's decision on that step is final, and the token is never stored in an
/// event: the notification renders it when it writes the email.
/// </summary>
public sealed class ApprovalLinks
{
    public const string RoutePrefix = "/api/approval-links";
    private const string KeyFileName = "approval-signing-key";
    private readonly Lazy<byte[]> _key;
    private readonly string _linkBase;

    public ApprovalLinks(IOptions<ApprovalOptions> options, IOptions<StorageOptions> storage)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(storage);
        var configured = options.Value.SigningKey.Trim();
        var dataFolder = storage.Value.ResolvedDataFolder;
        _key = new Lazy<byte[]>(() => LoadKey(configured, dataFolder));
        _linkBase = options.Value.LinkBaseUrl.TrimEnd('/');
    }

    public static bool IsValidKeySetting(string? setting)
    {
        if (string.Equals(setting?.Trim(), "auto", StringComparison.Ordinal))
        {
            return true;
        }

        var buffer = new byte[setting?.Length ?? 0];
        return setting is not null && Convert.TryFromBase64String(setting.Trim(), buffer, out var written) && written >= 32;
    }

    public string Create(ApprovalLink link)
    {
        ArgumentNullException.ThrowIfNull(link);
        var payload = Encoding.UTF8.GetBytes(Payload(link));
        return $"{WebEncoders.Base64UrlEncode(payload)}.{WebEncoders.Base64UrlEncode(HMACSHA256.HashData(_key.Value, payload))}";
    }

    /// <summary>The link a token stands for; null when it is malformed, altered or signed with another key.</summary>
    public ApprovalLink? Read(string token)
    {
        var parts = (token ?? string.Empty).Split('.');
        if (parts.Length != 2)
        {
            return null;
        }

        try
        {
            var payload = WebEncoders.Base64UrlDecode(parts[0]);
            if (!CryptographicOperations.FixedTimeEquals(WebEncoders.Base64UrlDecode(parts[1]), HMACSHA256.HashData(_key.Value, payload)))
            {
                return null;
            }

            var fields = Encoding.UTF8.GetString(payload).Split('\n');
            return fields.Length == 5 && fields[0] == "v1"
                && int.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out var step)
                && long.TryParse(fields[4], NumberStyles.None, CultureInfo.InvariantCulture, out var expires)
                ? new ApprovalLink(fields[1], step, fields[3], DateTimeOffset.FromUnixTimeSeconds(expires))
                : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>The approve and reject URLs an approval request email carries for one approver.</summary>
    public (string Approve, string Reject) UrlsFor(ApprovalLink link)
    {
        var token = Create(link);
        return ($"{_linkBase}{RoutePrefix}/{token}?decision=approve", $"{_linkBase}{RoutePrefix}/{token}?decision=reject");
    }

    /// <summary>The link of an <c>approval.requested</c> event: its approval, step, approver and expiry.</summary>
    public static ApprovalLink? FromEvent(IReadOnlyDictionary<string, string?> data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return data.GetValueOrDefault("approvalId") is { } approvalId
            && data.GetValueOrDefault("approverId") is { } approverId
            && int.TryParse(data.GetValueOrDefault("step"), NumberStyles.None, CultureInfo.InvariantCulture, out var step)
            && DateTimeOffset.TryParse(data.GetValueOrDefault("expiresAt"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var expiresAt)
            ? new ApprovalLink(approvalId, step, approverId, expiresAt)
            : null;
    }

    private static string Payload(ApprovalLink link) =>
        string.Create(CultureInfo.InvariantCulture, $"v1\n{link.ApprovalId}\n{link.Step}\n{link.ApproverId}\n{link.ExpiresAt.ToUnixTimeSeconds()}");

    private static byte[] LoadKey(string configured, string dataFolder)
    {
        if (!string.Equals(configured, "auto", StringComparison.Ordinal))
        {
            return Convert.FromBase64String(configured);
        }

        System.IO.Directory.CreateDirectory(dataFolder);
        var path = Path.Combine(dataFolder, KeyFileName);
        if (!File.Exists(path))
        {
            File.WriteAllText(path, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        }

        return Convert.FromBase64String(File.ReadAllText(path).Trim());
    }
}
