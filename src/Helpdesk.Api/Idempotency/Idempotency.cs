using System.Security.Claims;
using System.Security.Cryptography;
using Helpdesk.Api.Common;

namespace Helpdesk.Api.Idempotency;

public sealed record StoredResponse(int Status, string? ContentType, string? Location, string? ETag, byte[] Body);

public enum IdempotencyOutcome
{
    Started,
    Replay,
    Mismatch,
    InProgress,
}

public sealed record IdempotencyBegin(IdempotencyOutcome Outcome, StoredResponse? Response = null);

/// <summary>Remembers the response to a create request by its Idempotency-Key, for 24 hours.</summary>
public interface IIdempotencyStore
{
    /// <summary>Reserves the key, or says what was already done under it.</summary>
    Task<IdempotencyBegin> BeginAsync(string scope, string key, string requestHash, DateTimeOffset now, CancellationToken cancellationToken);

    Task CompleteAsync(string scope, string key, StoredResponse response, CancellationToken cancellationToken);

    /// <summary>Frees the key after a failure so the client can retry with it.</summary>
    Task AbandonAsync(string scope, string key, CancellationToken cancellationToken);
}

/// <summary>Marks a POST route whose retries with the same Idempotency-Key must create nothing twice.</summary>
public sealed class IdempotentMetadata;

public static class IdempotencyExtensions
{
    public static RouteHandlerBuilder Idempotent(this RouteHandlerBuilder builder) =>
        builder.WithMetadata(new IdempotentMetadata());
}

/// <summary>
/// Same key + same body → the first response again (marked <c>Idempotent-Replayed</c>); same key +
/// another body → 422; a retry while the first is still running → 409. Only successful responses
/// are kept: after an error the key is freed, since nothing was created.
/// </summary>
internal sealed class IdempotencyMiddleware(RequestDelegate next)
{
    public const string Header = "Idempotency-Key";
    private const int MaxKeyLength = 255;

    public async Task InvokeAsync(HttpContext context, IIdempotencyStore store, TimeProvider clock)
    {
        var key = context.Request.Headers[Header].ToString();
        if (!HttpMethods.IsPost(context.Request.Method)
            || context.GetEndpoint()?.Metadata.GetMetadata<IdempotentMetadata>() is null
            || key.Length == 0)
        {
            await next(context);
            return;
        }

        if (key.Length > MaxKeyLength || key.Any(char.IsControl))
        {
            await Results.Problem(Problems.Validation(Header, $"The key is 1 to {MaxKeyLength} printable characters.")).ExecuteAsync(context);
            return;
        }

        var scope = $"{context.User.FindFirstValue("sub") ?? "anonymous"} {context.Request.Path}";
        var hash = await HashBodyAsync(context.Request);
        var begin = await store.BeginAsync(scope, key, hash, clock.GetUtcNow(), context.RequestAborted);
        switch (begin.Outcome)
        {
            case IdempotencyOutcome.Replay:
                await ReplayAsync(context, begin.Response!);
                return;
            case IdempotencyOutcome.Mismatch:
                await Results.Problem(Problems.Create(StatusCodes.Status422UnprocessableEntity, ProblemTypes.IdempotencyMismatch, "This Idempotency-Key was used with another request body.", "Use a new key for a different request.")).ExecuteAsync(context);
                return;
            case IdempotencyOutcome.InProgress:
                await Results.Problem(Problems.Create(StatusCodes.Status409Conflict, ProblemTypes.IdempotencyInProgress, "A request with this Idempotency-Key is still being processed.", "Retry in a moment.")).ExecuteAsync(context);
                return;
        }

        var original = context.Response.Body;
        using var buffer = new MemoryStream();
        context.Response.Body = buffer;
        try
        {
            await next(context);
        }
        catch
        {
            await store.AbandonAsync(scope, key, CancellationToken.None);
            throw;
        }
        finally
        {
            context.Response.Body = original;
        }

        var body = buffer.ToArray();
        if (context.Response.StatusCode is >= 200 and < 300)
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

    private static async Task<string> HashBodyAsync(HttpRequest request)
    {
        request.EnableBuffering();
        var hash = await SHA256.HashDataAsync(request.Body, request.HttpContext.RequestAborted);
        request.Body.Position = 0;
        return Convert.ToHexString(hash);
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

        context.Response.Headers["Idempotent-Replayed"] = "true";
        await context.Response.Body.WriteAsync(response.Body, context.RequestAborted);
    }
}
