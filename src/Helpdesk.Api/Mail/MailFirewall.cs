using Microsoft.Graph.Models;

namespace Helpdesk.Api.Mail;

/// <summary>
/// The loop and noise firewall: mail written by machines (auto-replies, out-of-office, bounces,
/// delivery reports, list and bulk mail, our own mail coming back) never opens a ticket and never
/// gets an automatic answer. Returns the reason a mail is filtered, or null for mail from a person.
/// </summary>
public static class MailFirewall
{
    private static readonly string[] BounceSenders = ["mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"];

    public static string? Classify(Message message, MailOptions options)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(options);
        var from = message.From?.EmailAddress?.Address ?? message.Sender?.EmailAddress?.Address;
        if (string.IsNullOrWhiteSpace(from))
        {
            return "no-sender";
        }

        if (options.IsSupportAddress(from))
        {
            return "own-mailbox";
        }

        var local = from.Split('@')[0];
        if (BounceSenders.Any(b => string.Equals(local, b, StringComparison.OrdinalIgnoreCase)))
        {
            return "bounce";
        }

        var headers = (message.InternetMessageHeaders ?? [])
            .Where(h => h.Name is not null)
            .GroupBy(h => h.Name!, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => string.Join(", ", g.Select(h => h.Value ?? string.Empty)), StringComparer.OrdinalIgnoreCase);

        if (headers.TryGetValue("Auto-Submitted", out var autoSubmitted) && !string.Equals(autoSubmitted.Trim(), "no", StringComparison.OrdinalIgnoreCase))
        {
            return "auto-submitted";
        }

        if (headers.ContainsKey("X-Auto-Response-Suppress") || headers.ContainsKey("X-Autoreply") || headers.ContainsKey("X-Autorespond"))
        {
            return "auto-reply";
        }

        if (headers.TryGetValue("Precedence", out var precedence)
            && precedence.Trim().ToUpperInvariant() is "BULK" or "JUNK" or "LIST" or "AUTO_REPLY")
        {
            return "precedence-" + precedence.Trim().ToLowerInvariant();
        }

        if (headers.ContainsKey("List-Id") || headers.ContainsKey("List-Unsubscribe"))
        {
            return "mailing-list";
        }

        if (headers.TryGetValue("X-Loop", out var loop) && options.Mailboxes.Any(m => loop.Contains(m.Address, StringComparison.OrdinalIgnoreCase)))
        {
            return "loop";
        }

        if (headers.TryGetValue("Content-Type", out var contentType)
            && contentType.Contains("multipart/report", StringComparison.OrdinalIgnoreCase)
            && contentType.Contains("delivery-status", StringComparison.OrdinalIgnoreCase))
        {
            return "delivery-report";
        }

        return null;
    }
}
