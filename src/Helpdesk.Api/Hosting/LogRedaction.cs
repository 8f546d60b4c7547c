using System.Text.RegularExpressions;
using OpenTelemetry;
using OpenTelemetry.Logs;

namespace Helpdesk.Api.Hosting;

/// <summary>
/// Keeps customers' addresses out of the logs the app exports (Azure Monitor, OTLP), as
/// <see cref="SpanRedaction"/> does for spans. The app's own log messages name tickets, mailboxes
/// and ids, never a customer's address, but text it does not write reaches the logs too: an SMTP
/// server's refusal quoting the recipient, a remote's error naming a contact, an HttpClient log line
/// with a query string. So every exported record — its message, its string attributes and its
/// exception's message — has e-mail addresses masked and URL query strings dropped; the exception
/// keeps its type and stack trace. Written here because the served redaction library
/// (Microsoft.Extensions.Compliance.Redaction) redacts values the code classifies, not addresses
/// inside free text.
/// </summary>
internal sealed partial class LogRedaction : BaseProcessor<LogRecord>
{
    public const string Email = "[email]";

    public override void OnEnd(LogRecord data)
    {
        data.FormattedMessage = Redact(data.FormattedMessage);
        data.Body = Redact(data.Body);
        if (data.Attributes is { Count: > 0 } attributes && attributes.Any(a => a.Value is string))
        {
            data.Attributes = [.. attributes.Select(a => a.Value is string text ? new KeyValuePair<string, object?>(a.Key, Redact(text)) : a)];
        }

        if (data.Exception is { } exception and not RedactedException)
        {
            data.Exception = new RedactedException(exception);
        }
    }

    internal static string? Redact(string? text) =>
        text is null ? null : EmailAddress().Replace(QueryString().Replace(text, "$1"), Email);

    [GeneratedRegex(@"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")]
    private static partial Regex EmailAddress();

    [GeneratedRegex(@"(\b[a-z][a-z0-9+.-]*://[^\s?#""'<>()]*)\?[^\s#""'<>()]*", RegexOptions.IgnoreCase)]
    private static partial Regex QueryString();

    /// <summary>
    /// An exception as exported: its message redacted and led by the original type's name (an
    /// exporter reads the type of this wrapper), its original stack trace, and as text the
    /// original's, redacted.
    /// </summary>
    private sealed class RedactedException(Exception original)
        : Exception($"{original.GetType().FullName}: {Redact(original.Message)}", original.InnerException is null ? null : new RedactedException(original.InnerException))
    {
        public override string? StackTrace { get; } = original.StackTrace;

        public override string ToString() => Redact(original.ToString()) ?? string.Empty;
    }
}
