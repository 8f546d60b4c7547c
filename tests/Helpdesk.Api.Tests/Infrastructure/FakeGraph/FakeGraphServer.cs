using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Helpdesk.Api.Tests.Infrastructure.FakeGraph;

/// <summary>
/// A stand-in for Microsoft Graph: a real Kestrel server on 127.0.0.1 that speaks Graph's JSON
/// for the endpoints the helpdesk uses (subscriptions, messages get/delta/attachments/patch/move/
/// drafts: createReply, MIME drafts, attachments, upload sessions, send, delete; events), so the
/// real Microsoft.Graph SDK runs against it unchanged. A draft keeps its id once sent (as an
/// immutable id does): it then shows the Sent Items copy, no longer a draft.
/// Mailboxes, messages and subscriptions live in memory; tests seed mail with
/// <see cref="Deliver"/>, read what was sent from <see cref="Sent"/>, and inject faults
/// (<see cref="Throttle"/>, <see cref="Break"/>). When <see cref="Callback"/> is set, the server
/// calls the app back like Graph does: the validation handshake on subscription create, and
/// change notifications on <see cref="NotifyAsync"/>.
/// </summary>
public sealed class FakeGraphServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, Mailbox> _mailboxes = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, FakeSubscription> _subscriptions = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<SentMail> _sent = new();
    private readonly ConcurrentQueue<string> _requests = new();
    private readonly ConcurrentQueue<JsonObject> _events = new();
    private readonly ConcurrentDictionary<string, FakeCalendarEvent> _calendar = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _throttles = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _broken = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (string User, string? ReplyTo, JsonObject Message)> _drafts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, FakeMime> _mimeDrafts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _sentDrafts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _lostAnswers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (string DraftId, JsonObject Item, MemoryStream Content)> _uploads = new(StringComparer.Ordinal);
    private long _sequence;

    /// <summary>Graph's limit on one request's body.</summary>
    private const long MaxRequestBytes = 4 * 1024 * 1024;

    /// <summary>Graph reads property names case-insensitively; the SDK writes some action bodies in PascalCase.</summary>
    private static readonly JsonNodeOptions CaseInsensitive = new() { PropertyNameCaseInsensitive = true };

    private FakeGraphServer(WebApplication app) => _app = app;

    /// <summary>The Graph base URL to give the SDK, e.g. <c>http://127.0.0.1:5123/v1.0</c>.</summary>
    public string BaseUrl { get; private set; } = string.Empty;

    /// <summary>The client Graph uses to call the app back (a WebApplicationFactory client); null: no callbacks.</summary>
    public HttpClient? Callback { get; set; }

    /// <summary>Seconds sent in Retry-After when a throttle fires.</summary>
    public int RetryAfterSeconds { get; set; } = 1;

    /// <summary>Every request received, as "METHOD /path" (without the version segment and query).</summary>
    public IReadOnlyList<string> Requests => [.. _requests];

    public IReadOnlyList<SentMail> Sent => [.. _sent];

    public IReadOnlyList<JsonObject> Events => [.. _events];

    /// <summary>The calendar events that exist now (created, as last patched, not deleted).</summary>
    public IReadOnlyCollection<FakeCalendarEvent> Calendar => [.. _calendar.Values];

    public IReadOnlyCollection<FakeSubscription> Subscriptions => [.. _subscriptions.Values];

    public static async Task<FakeGraphServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FakeGraphServer(app);
        server.Map(app);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseUrl = address.TrimEnd('/') + "/v1.0";
        return server;
    }

    /// <summary>Puts a new message in a mailbox folder (as if it had just arrived) and returns its Graph id.</summary>
    public string Deliver(string mailbox, FakeMessage message, string folder = "Inbox")
    {
        var box = _mailboxes.GetOrAdd(mailbox, _ => new Mailbox());
        var sequence = Interlocked.Increment(ref _sequence);
        var id = message.Id ?? "AAMkAD-" + sequence.ToString(CultureInfo.InvariantCulture);
        var stored = message with { Id = id, Folder = folder, Sequence = sequence };
        box.Messages[id] = stored;
        return id;
    }

    /// <summary>The mail is deleted from the mailbox (a user emptied the folder): Graph answers 404 for it from now on.</summary>
    public void Delete(string mailbox, string id)
    {
        if (_mailboxes.TryGetValue(mailbox, out var box))
        {
            box.Messages.TryRemove(id, out _);
        }
    }

    public FakeMessage? Message(string mailbox, string id) =>
        _mailboxes.TryGetValue(mailbox, out var box) && box.Messages.TryGetValue(id, out var message) ? message : null;

    /// <summary>The next <paramref name="times"/> requests whose path contains <paramref name="pathPart"/> answer 429 with Retry-After.</summary>
    public void Throttle(string pathPart, int times = 1) => _throttles[pathPart] = times;

    /// <summary>
    /// The next <paramref name="times"/> requests whose path contains <paramref name="pathPart"/> are
    /// carried out, then their connection is dropped before the answer: the caller cannot tell
    /// whether Graph did it (a timeout, or the process dying right after the request).
    /// </summary>
    public void LoseAnswer(string pathPart, int times = 1) => _lostAnswers[pathPart] = times;

    /// <summary>
    /// When set, a draft just sent is not found under its id (Graph makes the Sent Items copy only
    /// once transport took the message); otherwise its id shows the Sent Items copy, no longer a draft.
    /// </summary>
    public bool SentCopyPending { get; set; }

    /// <summary>The ids of the drafts that exist now (created, not sent or deleted).</summary>
    public IReadOnlyCollection<string> Drafts => [.. _drafts.Keys];

    /// <summary>Every request whose path contains <paramref name="pathPart"/> answers 500 until <see cref="Repair"/>.</summary>
    public void Break(string pathPart) => _broken[pathPart] = true;

    public void Repair(string pathPart) => _broken.TryRemove(pathPart, out _);

    /// <summary>Graph removes a subscription on its side (it then sends subscriptionRemoved).</summary>
    public void Drop(string subscriptionId) => _subscriptions.TryRemove(subscriptionId, out _);

    /// <summary>Posts a change notification for a message to the subscription of its mailbox, like Graph does.</summary>
    public async Task<HttpResponseMessage> NotifyAsync(string mailbox, string messageId, string? clientState = null, int copies = 1)
    {
        var subscription = _subscriptions.Values.FirstOrDefault(s => s.Resource.Contains($"users/{mailbox}/", StringComparison.OrdinalIgnoreCase))
            ?? throw new InvalidOperationException($"No subscription for {mailbox}.");
        var items = new JsonArray();
        for (var i = 0; i < copies; i++)
        {
            items.Add(new JsonObject
            {
                ["subscriptionId"] = subscription.Id,
                ["subscriptionExpirationDateTime"] = subscription.ExpirationDateTime,
                ["changeType"] = "created",
                ["resource"] = $"Users/{mailbox}/Messages/{messageId}",
                ["resourceData"] = new JsonObject
                {
                    ["@odata.type"] = "#Microsoft.Graph.Message",
                    ["@odata.id"] = $"Users/{mailbox}/Messages/{messageId}",
                    ["@odata.etag"] = "W/\"CQAAABYAAAD\"",
                    ["id"] = messageId,
                },
                ["clientState"] = clientState ?? subscription.ClientState,
                ["tenantId"] = "00000000-0000-0000-0000-000000000001",
            });
        }

        return await PostToAppAsync(subscription.NotificationUrl, new JsonObject { ["value"] = items });
    }

    /// <summary>Posts a lifecycle event (reauthorizationRequired, subscriptionRemoved, missed) for a subscription.</summary>
    public Task<HttpResponseMessage> LifecycleAsync(FakeSubscription subscription, string lifecycleEvent, string? clientState = null) =>
        PostToAppAsync(
            subscription.LifecycleNotificationUrl ?? throw new InvalidOperationException("The subscription has no lifecycle URL."),
            new JsonObject
            {
                ["value"] = new JsonArray(new JsonObject
                {
                    ["subscriptionId"] = subscription.Id,
                    ["subscriptionExpirationDateTime"] = subscription.ExpirationDateTime,
                    ["tenantId"] = "00000000-0000-0000-0000-000000000001",
                    ["clientState"] = clientState ?? subscription.ClientState,
                    ["lifecycleEvent"] = lifecycleEvent,
                }),
            });

    private async Task<HttpResponseMessage> PostToAppAsync(string url, JsonObject body)
    {
        var client = Callback ?? throw new InvalidOperationException("Set Callback to let the fake Graph call the app.");
        using var content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json");
        return await client.PostAsync(new Uri(url).PathAndQuery, content);
    }

    private void Map(WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            var path = context.Request.Path.Value ?? string.Empty;
            var shortPath = path.StartsWith("/v1.0", StringComparison.Ordinal) ? path[5..] : path;
            _requests.Enqueue($"{context.Request.Method} {Uri.UnescapeDataString(shortPath)}");
            foreach (var (part, remaining) in _throttles)
            {
                if (remaining > 0 && path.Contains(part, StringComparison.OrdinalIgnoreCase) && _throttles.TryUpdate(part, remaining - 1, remaining))
                {
                    context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                    context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
                    await context.Response.WriteAsJsonAsync(Error("ApplicationThrottled", "Application is over its MailboxConcurrency limit."));
                    return;
                }
            }

            if (_broken.Keys.Any(part => path.Contains(part, StringComparison.OrdinalIgnoreCase)))
            {
                context.Response.StatusCode = StatusCodes.Status500InternalServerError;
                await context.Response.WriteAsJsonAsync(Error("generalException", "The fake Graph was told to fail."));
                return;
            }

            if (!_lostAnswers.Any(lost => lost.Value > 0 && path.Contains(lost.Key, StringComparison.OrdinalIgnoreCase) && _lostAnswers.TryUpdate(lost.Key, lost.Value - 1, lost.Value)))
            {
                await next(context);
                return;
            }

            // The request is carried out with its answer held back, then the connection drops:
            // had the answer been written to the wire first, the caller could receive its status
            // line before the reset, and whether it saw an answer would depend on timing.
            await using var heldBack = new MemoryStream();
            context.Response.Body = heldBack;
            await next(context);
            context.Abort();
        });

        var v = app.MapGroup("/v1.0");
        v.MapPost("/subscriptions", CreateSubscriptionAsync);
        v.MapPatch("/subscriptions/{id}", UpdateSubscriptionAsync);
        v.MapDelete("/subscriptions/{id}", (string id) => _subscriptions.TryRemove(id, out _) ? Results.NoContent() : NotFound());
        v.MapPost("/subscriptions/{id}/reauthorize", (string id) => _subscriptions.ContainsKey(id) ? Results.NoContent() : NotFound());

        v.MapGet("/users/{user}/messages/{id}", (string user, string id, HttpRequest request) =>
        {
            if (_drafts.TryGetValue(id, out var draft) && draft.User == user)
            {
                return Results.Json(draft.Message);
            }

            if (_sentDrafts.TryGetValue(id, out var sender) && sender == user)
            {
                // Like Graph under an immutable id: the Sent Items copy of the draft, once transport made it.
                return SentCopyPending ? NotFound() : Results.Json(new JsonObject { ["id"] = id, ["isDraft"] = false, ["parentFolderId"] = "SentItems" });
            }

            return Message(user, id) is { } m ? Results.Json(m.ToGraph(user, Select(request))) : NotFound();
        });
        v.MapDelete("/users/{user}/messages/{id}", (string user, string id) =>
        {
            if (_drafts.TryGetValue(id, out var draft) && draft.User == user && _drafts.TryRemove(id, out _))
            {
                _mimeDrafts.TryRemove(id, out _);
                return Results.NoContent();
            }

            return NotFound();
        });
        v.MapGet("/users/{user}/mailFolders/{folder}/messages/delta", Delta);
        v.MapGet("/users/{user}/mailFolders/{folder}/messages/delta()", Delta);
        v.MapGet("/users/{user}/messages/{id}/attachments", (string user, string id) =>
            Message(user, id) is { } m
                ? Results.Json(new JsonObject { ["value"] = new JsonArray([.. (m.Attachments ?? []).Select(a => (JsonNode)a.ToGraph())]) })
                : NotFound());
        v.MapPatch("/users/{user}/messages/{id}", async (string user, string id, HttpRequest request) =>
        {
            var patch = await JsonNode.ParseAsync(request.Body, CaseInsensitive);
            if (_drafts.TryGetValue(id, out var draft) && draft.User == user)
            {
                foreach (var (name, value) in patch!.AsObject())
                {
                    draft.Message[name] = value?.DeepClone();
                }

                return Results.Json(draft.Message);
            }

            if (Message(user, id) is not { } m)
            {
                return NotFound();
            }

            var updated = m with { IsRead = patch?["isRead"]?.GetValue<bool>() ?? m.IsRead };
            _mailboxes[user].Messages[id] = updated;
            return Results.Json(updated.ToGraph(user, null));
        });
        v.MapPost("/users/{user}/messages/{id}/move", async (string user, string id, HttpRequest request) =>
        {
            var body = await JsonNode.ParseAsync(request.Body, CaseInsensitive);
            if (Message(user, id) is not { } m)
            {
                return NotFound();
            }

            var moved = m with { Folder = body?["destinationId"]?.GetValue<string>() ?? m.Folder };
            _mailboxes[user].Messages[id] = moved;
            return Results.Json(moved.ToGraph(user, null), statusCode: StatusCodes.Status201Created);
        });
        v.MapPost("/users/{user}/messages/{id}/createReply", async (string user, string id, HttpRequest request) =>
        {
            var body = request.ContentLength is > 0 ? (await JsonNode.ParseAsync(request.Body, CaseInsensitive))?.AsObject() : null;
            if (Message(user, id) is not { } original)
            {
                return NotFound();
            }

            // Like Graph: a draft in Drafts, addressed to the sender, with its own internetMessageId.
            var number = Interlocked.Increment(ref _sequence).ToString(CultureInfo.InvariantCulture);
            var draft = new JsonObject
            {
                ["id"] = "AAMkAD-draft-" + number,
                ["internetMessageId"] = $"<draft-{number}@fake.outlook.test>",
                ["subject"] = "RE: " + original.Subject,
                ["isDraft"] = true,
                ["toRecipients"] = new JsonArray(new JsonObject { ["emailAddress"] = new JsonObject { ["address"] = original.From } }),
                ["body"] = new JsonObject { ["contentType"] = "html", ["content"] = "<p>quoted original</p>" },
                ["attachments"] = new JsonArray(),
            };
            foreach (var (name, value) in body?["message"]?.AsObject() ?? [])
            {
                draft[name] = value?.DeepClone();
            }

            _drafts[draft["id"]!.GetValue<string>()] = (user, id, draft);
            return Results.Json(draft, statusCode: StatusCodes.Status201Created);
        });
        v.MapPost("/users/{user}/messages/{id}/attachments", async (string user, string id, HttpRequest request) =>
        {
            var attachment = (await JsonNode.ParseAsync(request.Body, CaseInsensitive))!.AsObject();
            if (!_drafts.TryGetValue(id, out var draft) || draft.User != user)
            {
                return NotFound();
            }

            draft.Message["attachments"]!.AsArray().Add(attachment);
            return Results.Json(attachment, statusCode: StatusCodes.Status201Created);
        });
        v.MapPost("/users/{user}/messages/{id}/attachments/createUploadSession", async (string user, string id, HttpRequest request) =>
        {
            var item = (await JsonNode.ParseAsync(request.Body, CaseInsensitive))?["attachmentItem"]?.AsObject();
            if (item is null || !_drafts.TryGetValue(id, out var draft) || draft.User != user)
            {
                return NotFound();
            }

            var session = "upload-" + Interlocked.Increment(ref _sequence).ToString(CultureInfo.InvariantCulture);
            _uploads[session] = (id, item, new MemoryStream());
            return Results.Json(new JsonObject
            {
                ["uploadUrl"] = BaseUrl[..BaseUrl.LastIndexOf("/v1.0", StringComparison.Ordinal)] + "/upload/" + session + "?authtoken=fake",
                ["expirationDateTime"] = "2099-01-01T00:00:00Z",
                ["nextExpectedRanges"] = new JsonArray("0-"),
            }, statusCode: StatusCodes.Status201Created);
        });
        app.MapPut("/upload/{session}", async (string session, HttpRequest request) =>
        {
            // Like Outlook's upload URL: slices in order, each naming its range; no bearer token wanted.
            var range = System.Text.RegularExpressions.Regex.Match(request.Headers.ContentRange.ToString(), @"^bytes (\d+)-(\d+)/(\d+)$");
            if (!_uploads.TryGetValue(session, out var upload) || !range.Success || request.Headers.Authorization.Count > 0)
            {
                return BadRequest("Unknown session, bad Content-Range or an Authorization header.");
            }

            var (start, end, total) = (long.Parse(range.Groups[1].Value, CultureInfo.InvariantCulture), long.Parse(range.Groups[2].Value, CultureInfo.InvariantCulture), long.Parse(range.Groups[3].Value, CultureInfo.InvariantCulture));
            if (start != upload.Content.Length)
            {
                return BadRequest("The slice does not start where the last one ended.");
            }

            await request.Body.CopyToAsync(upload.Content);
            if (upload.Content.Length != end + 1)
            {
                return BadRequest("The slice's length does not match its Content-Range.");
            }

            if (upload.Content.Length < total)
            {
                return Results.Json(new JsonObject { ["nextExpectedRanges"] = new JsonArray($"{upload.Content.Length}-") });
            }

            _uploads.TryRemove(session, out _);
            var attachment = new JsonObject
            {
                ["@odata.type"] = "#microsoft.graph.fileAttachment",
                ["name"] = upload.Item["name"]?.DeepClone(),
                ["contentType"] = upload.Item["contentType"]?.DeepClone(),
                ["contentBytes"] = Convert.ToBase64String(upload.Content.ToArray()),
                ["uploaded"] = true,
            };
            _drafts[upload.DraftId].Message["attachments"]!.AsArray().Add(attachment);
            return Results.Created();
        });
        v.MapPost("/users/{user}/messages", async (string user, HttpRequest request) =>
        {
            // Like Graph: a draft made from a MIME message (base64, as a text/plain body), headers kept.
            if (request.ContentLength > MaxRequestBytes)
            {
                // Like Graph: a request over 4 MB is refused whole; large files go through upload sessions.
                return Results.Json(new JsonObject { ["error"] = new JsonObject { ["code"] = "RequestBodyTooLarge", ["message"] = "The request body is over 4 MB." } }, statusCode: StatusCodes.Status413RequestEntityTooLarge);
            }

            if (request.ContentType?.StartsWith("text/plain", StringComparison.OrdinalIgnoreCase) != true)
            {
                return BadRequest("Only MIME drafts are faked.");
            }

            using var reader = new StreamReader(request.Body);
            FakeMime mime;
            try
            {
                mime = FakeMime.Parse(System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(await reader.ReadToEndAsync())));
            }
            catch (FormatException)
            {
                return BadRequest("Invalid base64 string for MIME content.");
            }

            var number = Interlocked.Increment(ref _sequence).ToString(CultureInfo.InvariantCulture);
            var draft = new JsonObject
            {
                ["id"] = "AAMkAD-mime-draft-" + number,
                ["internetMessageId"] = mime.Header("Message-ID"),
                ["subject"] = mime.Header("Subject"),
                ["isDraft"] = true,
                ["attachments"] = new JsonArray(),
            };
            _drafts[draft["id"]!.GetValue<string>()] = (user, null, draft);
            _mimeDrafts[draft["id"]!.GetValue<string>()] = mime;
            return Results.Json(draft, statusCode: StatusCodes.Status201Created);
        });
        v.MapPost("/users/{user}/messages/{id}/send", (string user, string id) =>
        {
            if (!_drafts.TryRemove(id, out var draft) || draft.User != user)
            {
                return NotFound();
            }

            _sentDrafts[id] = user;
            if (_mimeDrafts.TryRemove(id, out var mime))
            {
                _sent.Enqueue(new SentMail(user, "mimeDraft", null, new JsonObject { ["message"] = draft.Message }, mime));
                return Results.Accepted();
            }

            _sent.Enqueue(new SentMail(user, "reply", draft.ReplyTo, new JsonObject { ["message"] = draft.Message }));
            return Results.Accepted();
        });
        v.MapPost("/users/{user}/events", async (string user, HttpRequest request) =>
        {
            var body = (await JsonNode.ParseAsync(request.Body, CaseInsensitive))!.AsObject();
            var transactionId = body["transactionId"]?.GetValue<string>();
            if (transactionId is not null && _calendar.Values.FirstOrDefault(e => e.User == user && e.TransactionId == transactionId) is { } repeated)
            {
                return Results.Json(repeated.Body, statusCode: StatusCodes.Status201Created);
            }

            body["id"] = "AAMkEv-" + Interlocked.Increment(ref _sequence).ToString(CultureInfo.InvariantCulture);
            body["organizer"] = new JsonObject { ["emailAddress"] = new JsonObject { ["address"] = user } };
            _events.Enqueue(body);
            _calendar[body["id"]!.GetValue<string>()] = new FakeCalendarEvent(user, transactionId, body);
            return Results.Json(body, statusCode: StatusCodes.Status201Created);
        });
        v.MapPatch("/users/{user}/events/{id}", async (string user, string id, HttpRequest request) =>
        {
            var patch = (await JsonNode.ParseAsync(request.Body, CaseInsensitive))!.AsObject();
            if (!_calendar.TryGetValue(id, out var stored) || !string.Equals(stored.User, user, StringComparison.OrdinalIgnoreCase))
            {
                return NotFound();
            }

            var body = stored.Body.DeepClone().AsObject();
            foreach (var (name, value) in patch)
            {
                body[name] = value?.DeepClone();
            }

            _calendar[id] = stored with { Body = body };
            return Results.Json(body);
        });
        v.MapDelete("/users/{user}/events/{id}", (string user, string id) =>
            _calendar.TryGetValue(id, out var stored) && string.Equals(stored.User, user, StringComparison.OrdinalIgnoreCase) && _calendar.TryRemove(id, out _)
                ? Results.NoContent()
                : NotFound());
    }

    private async Task<IResult> CreateSubscriptionAsync(HttpRequest request)
    {
        var body = (await JsonNode.ParseAsync(request.Body, CaseInsensitive))!.AsObject();
        var notificationUrl = body["notificationUrl"]?.GetValue<string>();
        var resource = body["resource"]?.GetValue<string>();
        var expiration = body["expirationDateTime"]?.GetValue<DateTimeOffset>();
        if (notificationUrl is null || resource is null || expiration is null || body["changeType"] is null)
        {
            return BadRequest("notificationUrl, resource, changeType and expirationDateTime are required.");
        }

        if (body["clientState"]?.GetValue<string>() is { Length: > 128 })
        {
            return BadRequest("clientState is at most 128 characters.");
        }

        if (Callback is not null)
        {
            // Like Graph: the endpoint must echo the validation token, as text/plain, before the subscription exists.
            var token = "Validation: Token-" + Guid.NewGuid().ToString("N");
            using var handshake = new HttpRequestMessage(HttpMethod.Post, new Uri(notificationUrl).PathAndQuery + "?validationToken=" + Uri.EscapeDataString(token));
            handshake.Content = new StringContent(string.Empty, System.Text.Encoding.UTF8, "text/plain");
            using var answer = await Callback.SendAsync(handshake);
            if (!answer.IsSuccessStatusCode || answer.Content.Headers.ContentType?.MediaType != "text/plain" || await answer.Content.ReadAsStringAsync() != token)
            {
                return BadRequest("Subscription validation request failed. Response must exactly match validationToken query parameter.");
            }
        }

        var subscription = new FakeSubscription(
            Guid.NewGuid().ToString("D"),
            resource,
            body["changeType"]!.GetValue<string>(),
            notificationUrl,
            body["lifecycleNotificationUrl"]?.GetValue<string>(),
            body["clientState"]?.GetValue<string>(),
            expiration.Value);
        _subscriptions[subscription.Id] = subscription;
        return Results.Json(subscription.ToGraph(), statusCode: StatusCodes.Status201Created);
    }

    private async Task<IResult> UpdateSubscriptionAsync(string id, HttpRequest request)
    {
        var body = (await JsonNode.ParseAsync(request.Body, CaseInsensitive))!.AsObject();
        if (!_subscriptions.TryGetValue(id, out var subscription))
        {
            return NotFound();
        }

        var renewed = subscription with { ExpirationDateTime = body["expirationDateTime"]?.GetValue<DateTimeOffset>() ?? subscription.ExpirationDateTime };
        _subscriptions[id] = renewed;
        return Results.Json(renewed.ToGraph());
    }

    /// <summary>
    /// Delta as Graph pages it: messages after the token's sequence, <c>@odata.nextLink</c> while
    /// more remain, then a <c>@odata.deltaLink</c> that resumes after the last one seen.
    /// </summary>
    private IResult Delta(string user, string folder, HttpRequest request)
    {
        const int pageSize = 10;
        long after = 0;
        if (request.Query.TryGetValue("$deltatoken", out var delta))
        {
            after = long.Parse(delta!, CultureInfo.InvariantCulture);
        }
        else if (request.Query.TryGetValue("$skiptoken", out var skip))
        {
            after = long.Parse(skip!, CultureInfo.InvariantCulture);
        }

        var all = _mailboxes.TryGetValue(user, out var box)
            ? box.Messages.Values.Where(m => string.Equals(m.Folder, folder, StringComparison.OrdinalIgnoreCase) && m.Sequence > after).OrderBy(m => m.Sequence).ToList()
            : [];
        var page = all.Take(pageSize).ToList();
        var last = page.Count > 0 ? page[^1].Sequence : after;
        var link = $"{BaseUrl}/users/{Uri.EscapeDataString(user)}/mailFolders/{folder}/messages/delta";
        var answer = new JsonObject
        {
            ["@odata.context"] = $"{BaseUrl}/$metadata#Collection(message)",
            ["value"] = new JsonArray([.. page.Select(m => (JsonNode)m.ToGraph(user, Select(request)))]),
        };
        if (all.Count > pageSize)
        {
            answer["@odata.nextLink"] = link + "?$skiptoken=" + last.ToString(CultureInfo.InvariantCulture);
        }
        else
        {
            answer["@odata.deltaLink"] = link + "?$deltatoken=" + last.ToString(CultureInfo.InvariantCulture);
        }

        return Results.Json(answer);
    }

    private static HashSet<string>? Select(HttpRequest request) =>
        request.Query.TryGetValue("$select", out var select)
            ? select.ToString().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.OrdinalIgnoreCase)
            : null;

    private static IResult NotFound() =>
        Results.Json(Error("ErrorItemNotFound", "The specified object was not found in the store."), statusCode: StatusCodes.Status404NotFound);

    private static IResult BadRequest(string message) =>
        Results.Json(Error("InvalidRequest", message), statusCode: StatusCodes.Status400BadRequest);

    private static JsonObject Error(string code, string message) =>
        new() { ["error"] = new JsonObject { ["code"] = code, ["message"] = message } };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private sealed class Mailbox
    {
        public ConcurrentDictionary<string, FakeMessage> Messages { get; } = new(StringComparer.Ordinal);
    }
}

/// <summary>
/// A mail sent through the fake: a reply to message <see cref="ReplyTo"/> (a
/// createReply draft as patched when it was sent, under <c>message</c>), or a draft made from MIME
/// and then sent (kind <c>mimeDraft</c>: its MIME, and the files added to it under <c>message</c>);
/// the draft as Graph held it, and the MIME message of a MIME draft.
/// </summary>
public sealed record SentMail(string Mailbox, string Kind, string? ReplyTo, JsonObject Body, FakeMime? Mime = null)
{
    public JsonObject Message => Body["message"]?.AsObject() ?? new JsonObject();

    public string? Subject => Mime is not null ? Mime.Header("Subject") : Message["subject"]?.GetValue<string>();

    public IReadOnlyList<string> To => Mime is not null
        ? FakeMime.Addresses(Mime.Header("To"))
        : Message["toRecipients"]?.AsArray().Select(r => r!["emailAddress"]!["address"]!.GetValue<string>()).ToList() ?? [];

    public string? Header(string name) => Mime is not null
        ? Mime.Header(name)
        : Message["internetMessageHeaders"]?.AsArray()
            .FirstOrDefault(h => string.Equals(h!["name"]!.GetValue<string>(), name, StringComparison.OrdinalIgnoreCase))?["value"]?.GetValue<string>();

    /// <summary>The HTML body (a MIME message's text/html part).</summary>
    public string Content => Mime is not null
        ? Mime.Parts.FirstOrDefault(p => p.ContentType.StartsWith("text/html", StringComparison.OrdinalIgnoreCase))?.Text ?? string.Empty
        : Message["body"]?["content"]?.GetValue<string>() ?? Body["comment"]?.GetValue<string>() ?? string.Empty;

    /// <summary>The plain-text body of a MIME message.</summary>
    public string Text => Mime?.Parts.FirstOrDefault(p => p.ContentType.StartsWith("text/plain", StringComparison.OrdinalIgnoreCase))?.Text ?? string.Empty;

    /// <summary>The file names of the attachments, whichever way the mail was sent.</summary>
    public IReadOnlyList<string> AttachmentNames => Mime is not null
        ? [.. Mime.Parts.Where(p => p.FileName is not null).Select(p => p.FileName!)]
        : [.. (Message["attachments"]?.AsArray() ?? []).Select(a => a!["name"]!.GetValue<string>())];
}

/// <summary>
/// Just enough of a MIME reader for tests: top-level headers (unfolded), and every leaf part of
/// the multipart tree with its Content-Type, file name and decoded base64 content.
/// </summary>
public sealed record FakeMime(IReadOnlyList<(string Name, string Value)> Headers, IReadOnlyList<FakeMimePart> Parts)
{
    public string? Header(string name) => Headers.FirstOrDefault(h => string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase)).Value;

    public static FakeMime Parse(string raw)
    {
        var (headers, body) = Split(raw);
        var parts = new List<FakeMimePart>();
        Collect(headers, body, parts);
        return new FakeMime(headers, parts);
    }

    public static IReadOnlyList<string> Addresses(string? header) =>
        [.. (header ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(a => a.Contains('<', StringComparison.Ordinal) ? a[(a.IndexOf('<', StringComparison.Ordinal) + 1)..a.IndexOf('>', StringComparison.Ordinal)] : a)];

    private static (List<(string, string)> Headers, string Body) Split(string entity)
    {
        var end = entity.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var head = end < 0 ? entity : entity[..end];
        var headers = new List<(string, string)>();
        foreach (var line in head.Split("\r\n"))
        {
            if (line.Length > 0 && char.IsWhiteSpace(line[0]) && headers.Count > 0)
            {
                headers[^1] = (headers[^1].Item1, headers[^1].Item2 + " " + line.Trim());
            }
            else if (line.IndexOf(':', StringComparison.Ordinal) is var colon and > 0)
            {
                headers.Add((line[..colon], line[(colon + 1)..].Trim()));
            }
        }

        return (headers, end < 0 ? string.Empty : entity[(end + 4)..]);
    }

    private static void Collect(List<(string Name, string Value)> headers, string body, List<FakeMimePart> parts)
    {
        string? Get(string name) => headers.FirstOrDefault(h => string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase)).Value;
        var type = Get("Content-Type") ?? "text/plain";
        if (type.StartsWith("multipart/", StringComparison.OrdinalIgnoreCase))
        {
            var boundary = Parameter(type, "boundary")!;
            foreach (var section in body.Split("--" + boundary).Skip(1))
            {
                if (section.StartsWith("--", StringComparison.Ordinal))
                {
                    break;
                }

                var (childHeaders, childBody) = Split(section.TrimStart('\r', '\n'));
                Collect(childHeaders, childBody, parts);
            }

            return;
        }

        var bytes = string.Equals(Get("Content-Transfer-Encoding"), "base64", StringComparison.OrdinalIgnoreCase)
            ? Convert.FromBase64String(body.Replace("\r\n", string.Empty, StringComparison.Ordinal).Trim())
            : System.Text.Encoding.UTF8.GetBytes(body);
        parts.Add(new FakeMimePart(type, Parameter(Get("Content-Disposition") ?? string.Empty, "filename"), bytes));
    }

    private static string? Parameter(string header, string name)
    {
        var at = header.IndexOf(name + "=", StringComparison.OrdinalIgnoreCase);
        if (at < 0)
        {
            return null;
        }

        var value = header[(at + name.Length + 1)..];
        return value.StartsWith('"') ? value[1..value.IndexOf('"', 1)] : value.Split(';')[0].Trim();
    }
}

public sealed record FakeMimePart(string ContentType, string? FileName, byte[] Content)
{
    public string Text => System.Text.Encoding.UTF8.GetString(Content);
}

public sealed record FakeSubscription(
    string Id,
    string Resource,
    string ChangeType,
    string NotificationUrl,
    string? LifecycleNotificationUrl,
    string? ClientState,
    DateTimeOffset ExpirationDateTime)
{
    public JsonObject ToGraph() => new()
    {
        ["@odata.context"] = "https://graph.microsoft.com/v1.0/$metadata#subscriptions/$entity",
        ["id"] = Id,
        ["resource"] = Resource,
        ["applicationId"] = "11111111-1111-1111-1111-111111111111",
        ["changeType"] = ChangeType,
        ["clientState"] = ClientState,
        ["notificationUrl"] = NotificationUrl,
        ["lifecycleNotificationUrl"] = LifecycleNotificationUrl,
        ["expirationDateTime"] = ExpirationDateTime.ToString("O", CultureInfo.InvariantCulture),
        ["creatorId"] = "22222222-2222-2222-2222-222222222222",
        ["latestSupportedTlsVersion"] = "v1_2",
    };
}

public sealed record FakeAttachment(string Name, string ContentType, byte[] Content, bool IsInline = false, string? ContentId = null)
{
    public JsonObject ToGraph() => new()
    {
        ["@odata.type"] = "#microsoft.graph.fileAttachment",
        ["id"] = "AAMkAt-" + Name,
        ["name"] = Name,
        ["contentType"] = ContentType,
        ["size"] = Content.Length,
        ["isInline"] = IsInline,
        ["contentId"] = ContentId,
        ["contentBytes"] = Convert.ToBase64String(Content),
    };
}

/// <summary>An Outlook message as the fake stores it; <see cref="ToGraph"/> renders Graph's JSON (honouring $select).</summary>
public sealed record FakeMessage(
    string From,
    string Subject,
    string Body,
    string? FromName = null,
    IReadOnlyList<string>? To = null,
    IReadOnlyList<string>? Cc = null,
    string? InternetMessageId = null,
    string? ConversationId = null,
    string? UniqueBody = null,
    IReadOnlyDictionary<string, string>? Headers = null,
    IReadOnlyList<FakeAttachment>? Attachments = null,
    string BodyType = "html")
{
    public string? Id { get; init; }
    public string Folder { get; init; } = "Inbox";
    public long Sequence { get; init; }
    public bool IsRead { get; init; }

    private IReadOnlyList<FakeAttachment> AttachmentList => Attachments ?? [];

    public JsonObject ToGraph(string mailbox, HashSet<string>? select)
    {
        var messageId = InternetMessageId ?? $"<{Id}@fake.outlook.test>";
        var headers = new JsonArray
        {
            new JsonObject { ["name"] = "Message-ID", ["value"] = messageId },
            new JsonObject { ["name"] = "Subject", ["value"] = Subject },
        };
        foreach (var (name, value) in Headers ?? new Dictionary<string, string>())
        {
            headers.Add(new JsonObject { ["name"] = name, ["value"] = value });
        }

        var all = new JsonObject
        {
            ["@odata.etag"] = "W/\"CQAAABYAAAD\"",
            ["id"] = Id,
            ["createdDateTime"] = "2026-03-02T09:00:00Z",
            ["receivedDateTime"] = "2026-03-02T09:00:00Z",
            ["hasAttachments"] = AttachmentList.Any(a => !a.IsInline),
            ["internetMessageId"] = messageId,
            ["subject"] = Subject,
            ["bodyPreview"] = Body.Length > 255 ? Body[..255] : Body,
            ["conversationId"] = ConversationId ?? "AAQkConv-" + Id,
            ["isRead"] = IsRead,
            ["parentFolderId"] = Folder,
            ["body"] = new JsonObject { ["contentType"] = BodyType, ["content"] = Body },
            ["uniqueBody"] = new JsonObject { ["contentType"] = BodyType, ["content"] = UniqueBody ?? Body },
            ["sender"] = Address(From, FromName),
            ["from"] = Address(From, FromName),
            ["toRecipients"] = new JsonArray([.. (To ?? [mailbox]).Select(a => (JsonNode)Address(a, null))]),
            ["ccRecipients"] = new JsonArray([.. (Cc ?? []).Select(a => (JsonNode)Address(a, null))]),
            ["internetMessageHeaders"] = headers,
        };
        if (select is null)
        {
            all.Remove("uniqueBody");
            all.Remove("internetMessageHeaders");
            return all;
        }

        var chosen = new JsonObject();
        foreach (var (name, value) in all)
        {
            if (name is "id" or "@odata.etag" || select.Contains(name))
            {
                chosen[name] = value?.DeepClone();
            }
        }

        return chosen;
    }

    private static JsonObject Address(string address, string? name) =>
        new() { ["emailAddress"] = new JsonObject { ["name"] = name ?? address, ["address"] = address } };
}

/// <summary>An event in a user's calendar on the fake Graph, with the transaction id it was created with.</summary>
public sealed record FakeCalendarEvent(string User, string? TransactionId, JsonObject Body);
