using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.Kiota.Abstractions;

namespace Helpdesk.Web.Api;

/// <summary>
/// API operations the console still reads with System.Text.Json over the same HttpClient as the
/// generated client: the conversation, time entries, the agents, the teams, the ticket dashboard
/// and the portal's ticket (written before the document typed them; each gives way to the generated
/// model when its page moves to it, as the ticket list, the header and the reports did), and the
/// reports' CSV files, which the generated client would read as JSON.
/// </summary>
public sealed class ApiCalls(ApiHttp http)
{
    private const int PageLimit = 100;

    public Task<Page<ThreadMessage>> MessagesAsync(string ticketId, CancellationToken cancellationToken) =>
        GetAsync($"api/tickets/{Uri.EscapeDataString(ticketId)}/messages?limit={PageLimit}", ApiJson.Default.PageThreadMessage, cancellationToken);

    /// <summary>A message of the given visibility; <paramref name="to"/> names a private message's recipients (null otherwise).</summary>
    public Task<ThreadMessage> PostMessageAsync(string ticketId, string visibility, string body, IReadOnlyList<string>? to, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, $"api/tickets/{Uri.EscapeDataString(ticketId)}/messages",
            JsonContent.Create(new NewMessage(visibility, body, to), ApiJson.Default.NewMessage), ApiJson.Default.ThreadMessage, cancellationToken);

    /// <summary>
    /// One file for a message already posted (multipart/form-data, one part named <c>file</c>),
    /// streamed as the browser reads it: the API decides whether it is too large (413, its reason
    /// shown as written).
    /// </summary>
    public async Task<MessageFile> AttachToMessageAsync(string ticketId, string messageId, string fileName, string contentType, Stream content, CancellationToken cancellationToken)
    {
        using var file = new StreamContent(content);
        file.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.TryParse(contentType, out var type) ? type : new("application/octet-stream");
        using var form = new MultipartFormDataContent { { file, "file", fileName } };
        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/tickets/{Uri.EscapeDataString(ticketId)}/messages/{Uri.EscapeDataString(messageId)}/attachments") { Content = form };
        using var response = await http.Client.SendAsync(request, cancellationToken);
        return await ReadAsync(response, ApiJson.Default.MessageFile, cancellationToken);
    }

    /// <summary>A file of the ticket as the API stored it (its bytes, name and type), for the browser to save or show.</summary>
    public Task<DownloadedFile> AttachmentAsync(string ticketId, MessageFile file, CancellationToken cancellationToken) =>
        DownloadAsync(new Uri($"api/tickets/{Uri.EscapeDataString(ticketId)}/attachments/{Uri.EscapeDataString(file.Id)}", UriKind.Relative), file.FileName, cancellationToken);

    public Task<TimeEntryPage> TimeEntriesAsync(string ticketId, CancellationToken cancellationToken) =>
        GetAsync($"api/tickets/{Uri.EscapeDataString(ticketId)}/time-entries?limit={PageLimit}", ApiJson.Default.TimeEntryPage, cancellationToken);

    public Task<TimeEntryItem> LogTimeAsync(string ticketId, NewTimeEntry entry, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, $"api/tickets/{Uri.EscapeDataString(ticketId)}/time-entries",
            JsonContent.Create(entry, ApiJson.Default.NewTimeEntry), ApiJson.Default.TimeEntryItem, cancellationToken);

    public Task<Page<AgentItem>> AgentsAsync(CancellationToken cancellationToken) =>
        GetAsync($"api/agents?limit={PageLimit}", ApiJson.Default.PageAgentItem, cancellationToken);

    public Task<Page<TeamItem>> TeamsAsync(CancellationToken cancellationToken) =>
        GetAsync($"api/teams?limit={PageLimit}", ApiJson.Default.PageTeamItem, cancellationToken);

    public Task<TicketDashboard> TicketDashboardAsync(DateOnly from, DateOnly to, string groupBy, CancellationToken cancellationToken) =>
        GetAsync(DashboardPath(from, to, groupBy, "json"), ApiJson.Default.TicketDashboard, cancellationToken);

    /// <summary>The dashboard's CSV as the API wrote it (bytes and file name), for the browser to save.</summary>
    public Task<DownloadedFile> TicketDashboardCsvAsync(DateOnly from, DateOnly to, string groupBy, CancellationToken cancellationToken) =>
        DownloadAsync(new Uri(DashboardPath(from, to, groupBy, "csv"), UriKind.Relative), "tickets.csv", cancellationToken);

    /// <summary>
    /// The file a request built by the generated client answers (a report with <c>format=csv</c>,
    /// which the client would read as JSON), for the browser to save.
    /// </summary>
    public Task<DownloadedFile> DownloadAsync(RequestInformation request, string fallbackName, CancellationToken cancellationToken)
    {
        request.PathParameters["baseurl"] = http.Client.BaseAddress!.AbsoluteUri.TrimEnd('/');
        return DownloadAsync(request.URI, fallbackName, cancellationToken);
    }

    /// <summary>The file the API answers at <paramref name="address"/> as it was written: bytes, file name and type.</summary>
    private async Task<DownloadedFile> DownloadAsync(Uri address, string fallbackName, CancellationToken cancellationToken)
    {
        using var response = await http.Client.GetAsync(address, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw await ApiProblemException.ReadAsync(response, cancellationToken);
        }

        var headers = response.Content.Headers;
        return new DownloadedFile(
            headers.ContentDisposition?.FileNameStar ?? headers.ContentDisposition?.FileName?.Trim('"') ?? fallbackName,
            headers.ContentType?.MediaType ?? "text/csv",
            await response.Content.ReadAsByteArrayAsync(cancellationToken));
    }

    public Task<PortalTicketDetail> PortalTicketAsync(string ticketId, CancellationToken cancellationToken) =>
        GetAsync($"api/portal/tickets/{Uri.EscapeDataString(ticketId)}", ApiJson.Default.PortalTicketDetail, cancellationToken);

    /// <summary>A file of a customer's ticket through the portal's route.</summary>
    public Task<DownloadedFile> PortalAttachmentAsync(string ticketId, MessageFile file, CancellationToken cancellationToken) =>
        DownloadAsync(new Uri($"api/portal/tickets/{Uri.EscapeDataString(ticketId)}/attachments/{Uri.EscapeDataString(file.Id)}", UriKind.Relative), file.FileName, cancellationToken);

    public Task<PortalTicketDetail> OpenPortalTicketAsync(string subject, string description, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, "api/portal/tickets",
            JsonContent.Create(new NewPortalTicket(subject, description), ApiJson.Default.NewPortalTicket), ApiJson.Default.PortalTicketDetail, cancellationToken);

    public Task<ThreadMessage> PortalReplyAsync(string ticketId, string body, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, $"api/portal/tickets/{Uri.EscapeDataString(ticketId)}/messages",
            JsonContent.Create(new NewPortalMessage(body), ApiJson.Default.NewPortalMessage), ApiJson.Default.ThreadMessage, cancellationToken);

    private static string DashboardPath(DateOnly from, DateOnly to, string groupBy, string format) =>
        string.Create(CultureInfo.InvariantCulture, $"api/reports/tickets?from={from:yyyy-MM-dd}&to={to:yyyy-MM-dd}&groupBy={Uri.EscapeDataString(groupBy)}&format={format}");

    private async Task<T> GetAsync<T>(string path, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        using var response = await http.Client.GetAsync(path, cancellationToken);
        return await ReadAsync(response, type, cancellationToken);
    }

    private async Task<T> SendAsync<T>(HttpMethod method, string path, HttpContent content, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        using var response = await http.Client.SendAsync(request, cancellationToken);
        return await ReadAsync(response, type, cancellationToken);
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw await ApiProblemException.ReadAsync(response, cancellationToken);
        }

        return await response.Content.ReadFromJsonAsync(type, cancellationToken)
            ?? throw new ApiProblemException((int)response.StatusCode, "The API answered without a body.", null, new Dictionary<string, string[]>());
    }
}

/// <summary>
/// A refusal of the API (problem+json): its status, title, detail and the reasons per field,
/// which the console shows as the API wrote them.
/// </summary>
public sealed class ApiProblemException(int status, string title, string? detail, IReadOnlyDictionary<string, string[]> errors)
    : Exception(detail ?? title)
{
    public int Status { get; } = status;

    public string Title { get; } = title;

    public string? Detail { get; } = detail;

    public IReadOnlyDictionary<string, string[]> Errors { get; } = errors;

    /// <summary>What a person reads: the detail or title, then each field's reasons.</summary>
    public string Describe() =>
        string.Join(" ", new[] { Detail ?? Title }.Concat(Errors.SelectMany(e => e.Value)).Distinct(StringComparer.Ordinal));

    public static async Task<ApiProblemException> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        var fallback = $"{status} {response.ReasonPhrase}";
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            var problem = JsonSerializer.Deserialize(text, ApiJson.Default.ProblemBody);
            return new ApiProblemException(status, problem?.Title ?? fallback, problem?.Detail, problem?.Errors ?? new Dictionary<string, string[]>());
        }
        catch (JsonException)
        {
            return new ApiProblemException(status, fallback, null, new Dictionary<string, string[]>());
        }
    }
}

public sealed record Page<T>(IReadOnlyList<T> Items, string? NextCursor);

public sealed record MessageAuthor(string Type, string Id, string? Name);

/// <summary>A file of a message; an inline image of a mail carries the Content-ID its HTML refers to (<c>cid:</c>).</summary>
public sealed record MessageFile(string Id, string FileName, string ContentType, long Size, bool Inline, string? ContentId = null)
{
    public bool IsImage => ContentType.StartsWith("image/", StringComparison.OrdinalIgnoreCase);
}

/// <summary>
/// A message of the thread: <c>Body</c> is the API's sanitised HTML; <c>To</c> names the recipients
/// of a private message (ADR 0013), mailed to them alone and never shown to the customer.
/// </summary>
public sealed record ThreadMessage(string Id, string TicketId, DateTimeOffset At, MessageAuthor Author, string Visibility, string Body, string Text, IReadOnlyList<MessageFile>? Attachments, IReadOnlyList<string>? To = null)
{
    public bool IsInternal => Visibility == "internal";

    public bool IsPrivate => Visibility == "private";
}

public sealed record TimeEntryItem(string Id, string AgentId, int Minutes, bool Billable, string? Note, DateOnly WorkDate, bool Draft);

public sealed record TimeTotals(long Minutes, long BillableMinutes);

public sealed record TimeEntryPage(IReadOnlyList<TimeEntryItem> Items, string? NextCursor, TimeTotals Totals);

public sealed record NewTimeEntry(int Minutes, bool Billable, string? Note);

public sealed record AgentItem(string Id, string Email, string Name, bool Active);

public sealed record DashboardFigures(int Created, int Resolved, int Backlog, long? FirstResponseMedianSeconds, long? ResolutionMedianSeconds, int Reopened, double? ReopenRatePercent, int CsatAnswers, decimal? CsatAverage);

public sealed record DashboardGroup(string? Group, string? Name, DashboardFigures Figures);

public sealed record TicketDashboard(DateTimeOffset From, DateTimeOffset To, string TimeZone, string? GroupBy, DashboardFigures Totals, IReadOnlyList<DashboardGroup> Groups);

public sealed record DownloadedFile(string Name, string ContentType, byte[] Content);

public sealed record TeamItem(string Id, string Name, string? LeadAgentId, bool Active);

public sealed record PortalTicketDetail(
    string Id,
    string Number,
    string Subject,
    string? Description,
    string Status,
    string Priority,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    IReadOnlyList<ThreadMessage>? Messages);

internal sealed record NewMessage(string Visibility, string Body, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? To);

internal sealed record NewPortalTicket(string Subject, string Description);

internal sealed record NewPortalMessage(string Body);

internal sealed record ProblemBody(string? Title, string? Detail, Dictionary<string, string[]>? Errors);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(Page<ThreadMessage>))]
[JsonSerializable(typeof(ThreadMessage))]
[JsonSerializable(typeof(MessageFile))]
[JsonSerializable(typeof(TimeEntryPage))]
[JsonSerializable(typeof(TimeEntryItem))]
[JsonSerializable(typeof(NewTimeEntry))]
[JsonSerializable(typeof(Page<AgentItem>))]
[JsonSerializable(typeof(Page<TeamItem>))]
[JsonSerializable(typeof(TicketDashboard))]
[JsonSerializable(typeof(PortalTicketDetail))]
[JsonSerializable(typeof(NewMessage))]
[JsonSerializable(typeof(NewPortalTicket))]
[JsonSerializable(typeof(NewPortalMessage))]
[JsonSerializable(typeof(ProblemBody))]
[JsonSerializable(typeof(JsonObject))]
internal sealed partial class ApiJson : JsonSerializerContext;
