using Azure.Core;
using Azure.Identity;
using Helpdesk.Api.Common;
using Microsoft.Graph;
using Microsoft.Graph.Models;
using Microsoft.Graph.Models.ODataErrors;
using Microsoft.Kiota.Abstractions;
using Microsoft.Kiota.Abstractions.Authentication;
using Microsoft.Kiota.Http.HttpClientLibrary.Middleware;
using Microsoft.Kiota.Http.HttpClientLibrary.Middleware.Options;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Mail;

/// <summary>
/// The support mailboxes as Microsoft Graph shows them, through the Graph SDK. Throttled and
/// transient answers are retried by the app's Graph pipeline (<see cref="Retries.AddGraphResilience"/>)
/// after the Retry-After delay Graph asks for. Messages are
/// always addressed by immutable id, so an id recorded from a notification still finds the mail
/// after a user moved it.
/// </summary>
public sealed class GraphMailbox(GraphServiceClient graph)
{
    private const string ImmutableIds = "IdType=\"ImmutableId\"";

    /// <summary>The message fields ingestion reads.</summary>
    public static readonly string[] MessageFields =
    [
        "id", "internetMessageId", "conversationId", "internetMessageHeaders", "from", "sender", "toRecipients",
        "ccRecipients", "subject", "body", "uniqueBody", "hasAttachments", "receivedDateTime",
    ];

    public static GraphServiceClient CreateClient(GraphConnection connection, HttpClient httpClient)
    {
        var scopes = new[] { new Uri(new Uri(connection.BaseUrl), "/.default").ToString() };
        return connection.Authentication.ToUpperInvariant() switch
        {
            "NONE" => new GraphServiceClient(httpClient, new AnonymousAuthenticationProvider(), connection.BaseUrl),
            "CLIENTSECRET" => new GraphServiceClient(httpClient, (TokenCredential)new ClientSecretCredential(connection.TenantId, connection.ClientId, connection.ClientSecret), scopes, connection.BaseUrl),
            _ => new GraphServiceClient(httpClient, new ManagedIdentityCredential(connection.ClientId is null ? ManagedIdentityId.SystemAssigned : ManagedIdentityId.FromUserAssignedClientId(connection.ClientId)), scopes, connection.BaseUrl),
        };
    }

    public async Task<Subscription> SubscribeAsync(SupportMailbox mailbox, string notificationUrl, string lifecycleUrl, string clientState, DateTimeOffset expiresAt, CancellationToken cancellationToken) =>
        await graph.Subscriptions.PostAsync(
            new Subscription
            {
                ChangeType = "created",
                Resource = $"users/{mailbox.Id}/mailFolders('{mailbox.Folder}')/messages",
                NotificationUrl = notificationUrl,
                LifecycleNotificationUrl = lifecycleUrl,
                ClientState = clientState,
                ExpirationDateTime = expiresAt,
            },
            cancellationToken: cancellationToken)
        ?? throw new InvalidOperationException("Graph answered a subscription request with no subscription.");

    /// <summary>Extends a subscription; false when Graph no longer knows it (it must be created again).</summary>
    public async Task<bool> RenewAsync(string subscriptionId, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        try
        {
            await graph.Subscriptions[subscriptionId].PatchAsync(new Subscription { ExpirationDateTime = expiresAt }, cancellationToken: cancellationToken);
            return true;
        }
        catch (ODataError e) when (e.ResponseStatusCode == StatusCodes.Status404NotFound)
        {
            return false;
        }
    }

    /// <summary>Answers a reauthorizationRequired event; false when Graph no longer knows the subscription.</summary>
    public async Task<bool> ReauthorizeAsync(string subscriptionId, CancellationToken cancellationToken)
    {
        try
        {
            await graph.Subscriptions[subscriptionId].Reauthorize.PostAsync(cancellationToken: cancellationToken);
            return true;
        }
        catch (ODataError e) when (e.ResponseStatusCode == StatusCodes.Status404NotFound)
        {
            return false;
        }
    }

    public async Task UnsubscribeAsync(string subscriptionId, CancellationToken cancellationToken)
    {
        try
        {
            await graph.Subscriptions[subscriptionId].DeleteAsync(cancellationToken: cancellationToken);
        }
        catch (ODataError e) when (e.ResponseStatusCode == StatusCodes.Status404NotFound)
        {
            // Already gone on Graph's side: that is what was asked.
        }
    }

    /// <summary>
    /// The ids of the messages that arrived in the folder since <paramref name="deltaLink"/> (all of
    /// them on the first run), following every page, and the delta link to resume from next time.
    /// </summary>
    public async Task<(IReadOnlyList<string> MessageIds, string DeltaLink)> DeltaAsync(SupportMailbox mailbox, string? deltaLink, CancellationToken cancellationToken)
    {
        var builder = graph.Users[mailbox.Id].MailFolders[mailbox.Folder].Messages.Delta;
        var page = deltaLink is null
            ? await builder.GetAsDeltaGetResponseAsync(
                r =>
                {
                    r.QueryParameters.Select = ["id", "internetMessageId"];
                    r.Headers.Add("Prefer", ImmutableIds);
                },
                cancellationToken)
            : await builder.WithUrl(deltaLink).GetAsDeltaGetResponseAsync(r => r.Headers.Add("Prefer", ImmutableIds), cancellationToken);

        var ids = new List<string>();
        while (true)
        {
            ids.AddRange((page?.Value ?? []).Where(m => m.Id is not null && m.AdditionalData?.ContainsKey("@removed") != true).Select(m => m.Id!));
            if (page?.OdataNextLink is { } next)
            {
                page = await builder.WithUrl(next).GetAsDeltaGetResponseAsync(r => r.Headers.Add("Prefer", ImmutableIds), cancellationToken);
                continue;
            }

            return (ids, page?.OdataDeltaLink ?? throw new InvalidOperationException("Graph ended a delta round without a delta link."));
        }
    }

    /// <summary>The message with the fields ingestion reads; null when it no longer exists.</summary>
    public async Task<Message?> GetMessageAsync(SupportMailbox mailbox, string messageId, CancellationToken cancellationToken)
    {
        try
        {
            return await graph.Users[mailbox.Id].Messages[messageId].GetAsync(
                r =>
                {
                    r.QueryParameters.Select = MessageFields;
                    r.Headers.Add("Prefer", ImmutableIds);
                },
                cancellationToken);
        }
        catch (ODataError e) when (e.ResponseStatusCode == StatusCodes.Status404NotFound)
        {
            return null;
        }
    }

    public async Task<IReadOnlyList<FileAttachment>> GetAttachmentsAsync(SupportMailbox mailbox, string messageId, CancellationToken cancellationToken)
    {
        var page = await graph.Users[mailbox.Id].Messages[messageId].Attachments.GetAsync(r => r.Headers.Add("Prefer", ImmutableIds), cancellationToken);
        return [.. (page?.Value ?? []).OfType<FileAttachment>()];
    }

    /// <summary>
    /// A draft answering a mail of the mailbox the way Outlook does, which keeps its conversation:
    /// <c>/messages/{id}/createReply</c> with the recipients and <c>x-</c> headers (the only moment
    /// Graph takes headers). Its <c>internetMessageId</c> is the Message-ID the customer's answer
    /// will name in In-Reply-To. Null when the mail no longer exists (the caller sends a new mail).
    /// The body and files come with <see cref="CompleteReplyDraftAsync"/>.
    /// </summary>
    public async Task<GraphDraft?> CreateReplyDraftAsync(SupportMailbox mailbox, string messageId, EmailMessage email, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(mailbox);
        ArgumentNullException.ThrowIfNull(email);
        Message? draft;
        try
        {
            draft = await graph.Users[mailbox.Id].Messages[messageId].CreateReply.PostAsync(
                new Microsoft.Graph.Users.Item.Messages.Item.CreateReply.CreateReplyPostRequestBody
                {
                    Message = new Message
                    {
                        ToRecipients = [.. email.To.Select(Recipient)],
                        CcRecipients = [.. email.Cc.Select(Recipient)],
                        InternetMessageHeaders = [.. (email.Headers ?? new Dictionary<string, string>())
                            .Where(h => h.Key.StartsWith("x-", StringComparison.OrdinalIgnoreCase))
                            .Select(h => new InternetMessageHeader { Name = h.Key, Value = h.Value })],
                    },
                },
                r =>
                {
                    r.Headers.Add("Prefer", ImmutableIds);
                    r.Options.Add(NoRetry());
                },
                cancellationToken);
        }
        catch (ODataError e) when (e.ResponseStatusCode == StatusCodes.Status404NotFound)
        {
            return null;
        }

        return Draft(draft, "createReply");
    }

    /// <summary>The reply's HTML body patched into its draft, and its files added (over 3 MB through an upload session).</summary>
    public async Task CompleteReplyDraftAsync(SupportMailbox mailbox, string draftId, EmailMessage email, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(mailbox);
        ArgumentNullException.ThrowIfNull(email);
        await graph.Users[mailbox.Id].Messages[draftId].PatchAsync(
            new Message { Body = new ItemBody { ContentType = BodyType.Html, Content = email.HtmlBody } },
            r =>
            {
                r.Headers.Add("Prefer", ImmutableIds);
                r.Options.Add(NoRetry());
            },
            cancellationToken);
        await AddFilesAsync(mailbox, draftId, email.Attachments ?? [], cancellationToken);
    }

    /// <summary>
    /// A draft made from a MIME message (<c>POST /messages</c>, base64 text/plain), which keeps our
    /// Message-ID, In-Reply-To, References and non-<c>x-</c> headers such as Auto-Submitted. Files
    /// that would take the request over Graph's 4 MB are left out of the MIME and added with
    /// <see cref="AddFilesAsync"/>.
    /// </summary>
    public async Task<GraphDraft> CreateMimeDraftAsync(SupportMailbox mailbox, string mime, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(mailbox);
        var request = graph.Users[mailbox.Id].Messages.ToPostRequestInformation(new Message());
        request.Headers.Remove("Content-Type");
        request.Headers.Add("Prefer", ImmutableIds);
        request.AddRequestOptions([NoRetry()]);
        request.SetStreamContent(new MemoryStream(System.Text.Encoding.ASCII.GetBytes(Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(mime)))), "text/plain");
        var draft = await graph.RequestAdapter.SendAsync(
            request,
            Message.CreateFromDiscriminatorValue,
            new Dictionary<string, Microsoft.Kiota.Abstractions.Serialization.ParsableFactory<Microsoft.Kiota.Abstractions.Serialization.IParsable>>(StringComparer.Ordinal)
            {
                ["XXX"] = ODataError.CreateFromDiscriminatorValue,
            },
            cancellationToken);
        return Draft(draft, "the MIME draft");
    }

    /// <summary>
    /// Sends a complete draft (<c>/messages/{id}/send</c>). Graph moves it out of Drafts; under its
    /// immutable id the copy in Sent Items is no longer a draft (docs: "Immutable ID with sending mail").
    /// </summary>
    public Task SendDraftAsync(SupportMailbox mailbox, string draftId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(mailbox);
        return graph.Users[mailbox.Id].Messages[draftId].Send.PostAsync(
            r =>
            {
                r.Headers.Add("Prefer", ImmutableIds);
                r.Options.Add(NoRetry());
            },
            cancellationToken);
    }

    /// <summary>
    /// Whether a draft is still unsent. False once it was sent: the message under its immutable id
    /// is the Sent Items copy (<c>isDraft</c> false), or is not found while Exchange hands it over
    /// (the copy is made once transport has taken the message).
    /// </summary>
    public async Task<bool> IsUnsentDraftAsync(SupportMailbox mailbox, string draftId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(mailbox);
        try
        {
            var message = await graph.Users[mailbox.Id].Messages[draftId].GetAsync(
                r =>
                {
                    r.QueryParameters.Select = ["id", "isDraft"];
                    r.Headers.Add("Prefer", ImmutableIds);
                },
                cancellationToken);
            return message?.IsDraft == true;
        }
        catch (ODataError e) when (e.ResponseStatusCode == StatusCodes.Status404NotFound)
        {
            return false;
        }
    }

    /// <summary>Deletes a draft an interrupted attempt left half-built; one already gone is fine.</summary>
    public async Task DeleteDraftAsync(SupportMailbox mailbox, string draftId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(mailbox);
        try
        {
            await graph.Users[mailbox.Id].Messages[draftId].DeleteAsync(r => r.Options.Add(NoRetry()), cancellationToken);
        }
        catch (ODataError e) when (e.ResponseStatusCode == StatusCodes.Status404NotFound)
        {
            // Deleted already.
        }
    }

    private static GraphDraft Draft(Message? draft, string request) =>
        new(
            draft?.Id ?? throw new InvalidOperationException($"Graph answered {request} with no draft id."),
            draft.InternetMessageId ?? throw new InvalidOperationException($"Graph answered {request} with a draft that has no internetMessageId."));

    /// <summary>Adds files to a draft: in the request up to 3 MB each, through an upload session above.</summary>
    public async Task AddFilesAsync(SupportMailbox mailbox, string draftId, IReadOnlyList<EmailAttachment> files, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(mailbox);
        ArgumentNullException.ThrowIfNull(files);
        var messages = graph.Users[mailbox.Id].Messages;
        foreach (var file in files)
        {
            if (file.Content.Length > MaxInlineAttachmentBytes)
            {
                await UploadAsync(mailbox, draftId, file, cancellationToken);
                continue;
            }

            await messages[draftId].Attachments.PostAsync(
                new FileAttachment
                {
                    OdataType = "#microsoft.graph.fileAttachment",
                    Name = file.FileName,
                    ContentType = file.ContentType,
                    ContentBytes = file.Content,
                    IsInline = file.ContentId is not null,
                    ContentId = file.ContentId,
                },
                r => r.Options.Add(NoRetry()),
                cancellationToken);
        }
    }

    /// <summary>Graph takes a file in one request up to 3 MB; a larger one goes through an upload session.</summary>
    public const int MaxInlineAttachmentBytes = 3 * 1024 * 1024;

    /// <summary>Upload slices: a multiple of 320 KiB, under Graph's 4 MB per request.</summary>
    public const int UploadSliceBytes = 10 * 320 * 1024;

    /// <summary>
    /// Attaches a file over 3 MB to a draft: <c>attachments/createUploadSession</c>, then the bytes
    /// in slices, each a PUT with its Content-Range to the session's URL (which carries its own
    /// authorization: no bearer token is sent to it).
    /// </summary>
    private async Task UploadAsync(SupportMailbox mailbox, string draftId, EmailAttachment file, CancellationToken cancellationToken)
    {
        var session = await graph.Users[mailbox.Id].Messages[draftId].Attachments.CreateUploadSession.PostAsync(
            new Microsoft.Graph.Users.Item.Messages.Item.Attachments.CreateUploadSession.CreateUploadSessionPostRequestBody
            {
                AttachmentItem = new AttachmentItem
                {
                    AttachmentType = AttachmentType.File,
                    Name = file.FileName,
                    ContentType = file.ContentType,
                    Size = file.Content.Length,
                    IsInline = file.ContentId is not null,
                    ContentId = file.ContentId,
                },
            },
            r => r.Options.Add(NoRetry()),
            cancellationToken);
        var url = session?.UploadUrl ?? throw new InvalidOperationException("Graph answered createUploadSession with no upload URL.");
        for (var start = 0; start < file.Content.Length; start += UploadSliceBytes)
        {
            var length = Math.Min(UploadSliceBytes, file.Content.Length - start);
            var request = new RequestInformation { HttpMethod = Method.PUT, URI = new Uri(url) };
            request.Headers.Add("Content-Range", string.Create(System.Globalization.CultureInfo.InvariantCulture, $"bytes {start}-{start + length - 1}/{file.Content.Length}"));
            request.AddRequestOptions([NoRetry()]);
            request.SetStreamContent(new MemoryStream(file.Content, start, length, writable: false), "application/octet-stream");
            await graph.RequestAdapter.SendNoContentAsync(
                request,
                new Dictionary<string, Microsoft.Kiota.Abstractions.Serialization.ParsableFactory<Microsoft.Kiota.Abstractions.Serialization.IParsable>>(StringComparer.Ordinal)
                {
                    ["XXX"] = ODataError.CreateFromDiscriminatorValue,
                },
                cancellationToken);
        }
    }

    /// <summary>
    /// Sends are not retried inside the request (the Graph pipeline, <see cref="Retries.AddGraphResilience"/>,
    /// reads this option): a throttled send goes back to the outbound queue with Graph's
    /// Retry-After, instead of holding one of the mailbox's four concurrent slots.
    /// </summary>
    private static RetryHandlerOption NoRetry() => new() { MaxRetry = 0, ShouldRetry = (_, _, _) => false };

    /// <summary>How long Graph asked to wait when it answered 429 (or 503) to a request; null when it did not throttle.</summary>
    public static TimeSpan? ThrottledFor(Exception error) =>
        error is ApiException { ResponseStatusCode: StatusCodes.Status429TooManyRequests or StatusCodes.Status503ServiceUnavailable } api
            ? TimeSpan.FromSeconds(
                api.ResponseHeaders.FirstOrDefault(h => string.Equals(h.Key, "Retry-After", StringComparison.OrdinalIgnoreCase)).Value?.FirstOrDefault() is { } value
                && int.TryParse(value, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var seconds) && seconds > 0
                    ? seconds
                    : 60)
            : null;

    private static Recipient Recipient(EmailAddress address) =>
        new() { EmailAddress = new Microsoft.Graph.Models.EmailAddress { Address = address.Address, Name = address.Name } };

    /// <summary>What the mailbox settings ask for once a mail is in: mark it read, move it to the processed folder.</summary>
    public async Task TidyAsync(SupportMailbox mailbox, string messageId, CancellationToken cancellationToken)
    {
        var message = graph.Users[mailbox.Id].Messages[messageId];
        if (mailbox.MarkRead)
        {
            await message.PatchAsync(new Message { IsRead = true }, r => r.Headers.Add("Prefer", ImmutableIds), cancellationToken);
        }

        if (!string.IsNullOrWhiteSpace(mailbox.ProcessedFolder))
        {
            await message.Move.PostAsync(new Microsoft.Graph.Users.Item.Messages.Item.Move.MovePostRequestBody { DestinationId = mailbox.ProcessedFolder }, r => r.Headers.Add("Prefer", ImmutableIds), cancellationToken);
        }
    }
}

/// <summary>A draft in a support mailbox: its immutable id and the Message-ID it leaves with.</summary>
public sealed record GraphDraft(string Id, string InternetMessageId);

/// <summary>
/// Builds the Graph client once from <see cref="MailOptions"/>, on the named HTTP client
/// <see cref="HttpClientName"/> that every Graph caller (mail and calendar) shares: the Graph SDK's
/// middleware without its retry handler, then the app's Graph resilience pipeline
/// (<see cref="Retries.AddGraphResilience"/>), then the throttle counter.
/// </summary>
internal static class GraphClientSetup
{
    public const string HttpClientName = "graph";

    public static IServiceCollection AddGraphMailbox(this IServiceCollection services)
    {
        services.AddHttpClient(HttpClientName, c => c.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                AutomaticDecompression = System.Net.DecompressionMethods.All,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            })
            .ConfigureAdditionalHttpMessageHandlers((handlers, _) =>
            {
                foreach (var handler in GraphClientFactory.CreateDefaultHandlers().Where(h => h is not RetryHandler))
                {
                    handlers.Add(handler);
                }
            })
            .AddGraphResilience()

            // Innermost, after the retries: every 429 counts, the retried ones too.
            .AddHttpMessageHandler(sp => new GraphThrottleCounter(sp.GetRequiredService<HelpdeskMetrics>()));
        services.AddSingleton(sp => new GraphMailbox(Client(sp)));
        return services;
    }

    /// <summary>A Graph client on the shared, resilient HTTP client.</summary>
    public static GraphServiceClient Client(IServiceProvider services) =>
        GraphMailbox.CreateClient(
            services.GetRequiredService<IOptions<MailOptions>>().Value.Graph,
            services.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName));
}

/// <summary>Counts Graph's 429 answers (<c>helpdesk.graph.throttled</c>): how close the mailbox runs to its limits.</summary>
internal sealed class GraphThrottleCounter(HelpdeskMetrics metrics) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        if (response.StatusCode == System.Net.HttpStatusCode.TooManyRequests)
        {
            metrics.GraphThrottled.Add(1);
        }

        return response;
    }
}
