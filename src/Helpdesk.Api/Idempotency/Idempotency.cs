using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Helpdesk.Api.Common;
using Microsoft.AspNetCore.Mvc;

namespace Helpdesk.Api.Idempotency;

public sealed record StoredResponse(int Status, string? ContentType, string? Location, string? ETag, byte[] Body);

public enum IdempotencyOutcome
{
    /// <summary>The key is new (or its last use expired): the request runs.</summary>
    Started,

    /// <summary>
    /// An earlier request with this key stopped without an answer (the process died, or it is
    /// still running after <c>AbandonedAfter</c>): the request runs again, and its change may
    /// already have been stored.
    /// </summary>
    TakenOver,

    Replay,
    Mismatch,
    InProgress,
}

public sealed record IdempotencyBegin(IdempotencyOutcome Outcome, StoredResponse? Response = null);

/// <summary>Remembers the answer to a POST by its Idempotency-Key, for 24 hours.</summary>
public interface IIdempotencyStore
{
    /// <summary>Reserves the key, or says what was already done under it.</summary>
    Task<IdempotencyBegin> BeginAsync(string scope, string key, string requestHash, DateTimeOffset now, CancellationToken cancellationToken);

    Task CompleteAsync(string scope, string key, StoredResponse response, CancellationToken cancellationToken);

    /// <summary>Frees the key after a failure so the client can retry with it.</summary>
    Task AbandonAsync(string scope, string key, CancellationToken cancellationToken);
}

/// <summary>
/// The Idempotency-Key of the POST being served, as the write path sees it: the id of the
/// receipt a ticket write stores with its change (a hash of the caller, the route and the key),
/// whether an earlier attempt may already have stored it, and whether this one did.
/// </summary>
public sealed class IdempotentRequest(string receiptId, DateTimeOffset at, bool recovering)
{
    /// <summary>How long a receipt is kept: as long as the key's stored answer.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromHours(24);

    public string ReceiptId { get; } = receiptId;

    /// <summary>When the request arrived (the receipt's time, from which it is kept <see cref="Retention"/>).</summary>
    public DateTimeOffset At { get; } = at;

    /// <summary>An earlier attempt with this key stopped without an answer: look for its receipt before changing anything.</summary>
    public bool Recovering { get; } = recovering;

    /// <summary>A write carrying this request's receipt was stored: the key must not be freed any more.</summary>
    public bool Committed { get; private set; }

    public void MarkCommitted() => Committed = true;
}

/// <summary>The Idempotency-Key of the request being served, if it has one (the write path's view of it).</summary>
public sealed class IdempotentRequests(IHttpContextAccessor http)
{
    public IdempotentRequest? Current => http.HttpContext?.Features.Get<IdempotentRequest>();
}

/// <summary>
/// Every POST honours <c>Idempotency-Key</c> (RFC draft httpapi-idempotency-key-header): same key
/// + same request → the first answer again (its status, Location, ETag and body, marked
/// <c>Idempotent-Replayed: true</c>); same key + another request → 422; a retry while the first is
/// still running → 409 with Retry-After (the client waits and retries: nothing runs twice at once).
/// Keys are scoped to the caller (the token's subject), the method and the path, and kept 24 hours.
/// Only answers of requests that changed something are kept: after a refusal the key is freed,
/// since nothing was stored. A ticket write stores the key's receipt with its change (the write
/// path, docs/adr/0008), so a retry after a crash between that write and the stored answer finds
/// the change made and does not make it again.
/// </summary>
internal sealed class IdempotencyMiddleware(RequestDelegate next)
{
    public const string Header = "Idempotency-Key";
    public const string ReplayedHeader = "Idempotent-Replayed";
    public const int MaxKeyLength = 255;

    public async Task InvokeAsync(HttpContext context, IIdempotencyStore store, TimeProvider clock)
    {
        var key = context.Request.Headers[Header].ToString();
        if (!HttpMethods.IsPost(context.Request.Method) || context.GetEndpoint() is null || key.Length == 0)
        {
            await next(context);
            return;
        }

        if (key.Length > MaxKeyLength || key.Any(char.IsControl))
        {
            await Results.Problem(Problems.Validation(Header, $"The key is 1 to {MaxKeyLength} printable characters.")).ExecuteAsync(context);
            return;
        }

        var scope = $"{context.User.FindFirstValue("sub") ?? "anonymous"} {context.Request.Method} {context.Request.Path}";
        var hash = await HashRequestAsync(context.Request);
        var now = clock.GetUtcNow();
        var begin = await store.BeginAsync(scope, key, hash, now, context.RequestAborted);
        switch (begin.Outcome)
        {
            case IdempotencyOutcome.Replay:
                await ReplayAsync(context, begin.Response!);
                return;
            case IdempotencyOutcome.Mismatch:
                await Results.Problem(Mismatch()).ExecuteAsync(context);
                return;
            case IdempotencyOutcome.InProgress:
                context.Response.Headers.RetryAfter = "1";
                await Results.Problem(InProgress()).ExecuteAsync(context);
                return;
        }

        var request = new IdempotentRequest(ReceiptId(scope, key), now, begin.Outcome == IdempotencyOutcome.TakenOver);
        context.Features.Set(request);
        var original = context.Response.Body;
        using var buffer = new MemoryStream();
        context.Response.Body = buffer;
        try
        {
            await next(context);
        }
        catch
        {
            // A change already stored keeps the key reserved: the retry that takes it over finds
            // the change's receipt instead of making it again.
            if (!request.Committed)
            {
                await store.AbandonAsync(scope, key, CancellationToken.None);
            }

            throw;
        }
        finally
        {
            context.Response.Body = original;
        }

        var body = buffer.ToArray();
        if (context.Response.StatusCode is >= 200 and < 300 || request.Committed)
        {
            var response = new StoredResponse(
                context.Response.StatusCode,
                context.Response.ContentType,
                context.Response.Headers.Location.ToString() is { Length: > 0 } location ? location : null,
                context.Response.Headers.ETag.ToString() is { Length: > 0 } etag ? etag : null,
                body);
            await store.CompleteAsync(scope, key, response, CancellationToken.None);
        }
        else
        {
            await store.AbandonAsync(scope, key, CancellationToken.None);
        }

        await original.WriteAsync(body, context.RequestAborted);
    }

    /// <summary>422: the key was used with another request.</summary>
    public static ProblemDetails Mismatch() =>
        Problems.Validation(Header, "This key was used with another request body: use a new key for a different request.", StatusCodes.Status422UnprocessableEntity, ProblemTypes.IdempotencyMismatch);

    /// <summary>409: the first request with the key has not answered yet.</summary>
    public static ProblemDetails InProgress() =>
        Problems.Create(StatusCodes.Status409Conflict, ProblemTypes.IdempotencyInProgress, "A request with this Idempotency-Key is still being processed.", "Retry after the delay in Retry-After: you will get its answer.");

    /// <summary>The receipt a write made under this key stores: the same for every retry, never readable back to the key.</summary>
    private static string ReceiptId(string scope, string key) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{scope}\n{key}")));

    /// <summary>What makes two requests under one key the same: the query and the body.</summary>
    private static async Task<string> HashRequestAsync(HttpRequest request)
    {
        request.EnableBuffering();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(request.QueryString.Value + "\n"));
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
        {
            hash.AppendData(chunk, 0, read);
        }

        request.Body.Position = 0;
        return Convert.ToHexString(hash.GetHashAndReset());
    }

    private static async Task ReplayAsync(HttpContext context, StoredResponse response)
    {
        context.Response.StatusCode = response.Status;
        context.Response.ContentType = response.ContentType;
        if (response.Location is not null)
        {
            context.Response.Headers.Location = response.Location;
        }

        if (response.ETag is not null)
        {
            context.Response.Headers.ETag = response.ETag;
        }

        context.Response.Headers[ReplayedHeader] = "true";
        await context.Response.Body.WriteAsync(response.Body, context.RequestAborted);
    }
}
