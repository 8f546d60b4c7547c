using System.Diagnostics;
using Helpdesk.Api.Common;
using OpenTelemetry;

namespace Helpdesk.Api.Hosting;

/// <summary>
/// Takes out of the spans the app does not write itself (ASP.NET Core, HttpClient, the Cosmos DB
/// and other Azure SDKs) whatever can quote customer data or a secret, before any exporter sees
/// them. An outgoing call's URL keeps its scheme, host and port only: a Cosmos DB document's id
/// is in its path (contacts are keyed by e-mail address) and a webhook's path can be its secret.
/// A request's path becomes its route template: approval and survey links carry their token. A
/// database's query text, the SDK's request diagnostics (they hold the request URLs), an
/// exception's message and stack and an error status's description go: they quote the data.
/// The app's own spans carry ids only and pass unchanged. It runs before every exporter's
/// processor (it is added first), so OTLP and Azure Monitor receive the same redacted spans.
/// </summary>
internal sealed class SpanRedaction : BaseProcessor<Activity>
{
    private static readonly string[] UrlTags = ["url.full", "http.url"];

    private static readonly string[] DroppedTags =
    [
        "db.query.text",
        "db.statement",
        "db.cosmosdb.request_diagnostics",
        "exception.message",
        "exception.stacktrace",
    ];

    public override void OnEnd(Activity data)
    {
        if (data.Source.Name == Telemetry.Name)
        {
            return;
        }

        foreach (var tag in UrlTags)
        {
            if (data.GetTagItem(tag) is string url)
            {
                data.SetTag(tag, Origin(url));
            }
        }

        if (data.GetTagItem("url.path") is not null)
        {
            // Null (no route matched) removes the tag.
            data.SetTag("url.path", data.GetTagItem("http.route"));
        }

        foreach (var tag in DroppedTags)
        {
            data.SetTag(tag, null);
        }

        if (data.Status == ActivityStatusCode.Error)
        {
            data.SetStatus(ActivityStatusCode.Error);
        }
    }

    private static string? Origin(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.GetLeftPart(UriPartial.Authority) + "/" : null;
}
