using Azure.Core;
using Azure.Identity;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Common;
using Helpdesk.Api.Storage;
using Helpdesk.Api.Storage.Sqlite;
using Helpdesk.Api.Tickets;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Attachments;

/// <summary>Attachment settings (configuration section <c>Attachments</c>).</summary>
public sealed class AttachmentOptions
{
    public const string Section = "Attachments";

    public long MaxFileBytes { get; set; } = 10 * 1024 * 1024;

    public long MaxTicketBytes { get; set; } = 50 * 1024 * 1024;

    /// <summary>Where the bytes live: <c>local</c> (a folder, the default) or <c>blob</c> (Azure Blob Storage, see <see cref="Blob"/>).</summary>
    public string Store { get; set; } = "local";

    /// <summary>The folder of the local store; by default <c>attachments</c> in the data folder.</summary>
    public string? Folder { get; set; }

    public BlobStoreOptions Blob { get; set; } = new();

    public bool IsBlob => string.Equals(Store, "blob", StringComparison.OrdinalIgnoreCase);
}

public sealed record AttachmentResponse(
    string Id,
    string TicketId,
    string? MessageId,
    string FileName,
    string ContentType,
    long Size,
    DateTimeOffset At,
    bool Inline = false,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? ContentId = null)
{
    public static AttachmentResponse From(Attachment a) => new(a.Id, a.TicketId, a.MessageId, a.FileName, a.ContentType, a.Size, a.At, a.Inline, a.ContentId);
}

/// <summary>The request body limit of the upload routes: one file plus the multipart framing.</summary>
internal sealed class UploadSizeLimit(long maxFileBytes) : IRequestSizeLimitMetadata
{
    private const long MultipartOverhead = 64 * 1024;

    public long? MaxRequestBodySize { get; } = maxFileBytes + MultipartOverhead;
}

/// <summary>
/// Upload (multipart/form-data, one part named <c>file</c>), list, download and delete files of a
/// ticket (a message's files are uploaded through the conversation's route, a customer's through
/// the portal's, both with <see cref="AttachmentService"/>). Sizes are checked per file and per ticket (413); the type is
/// read from the bytes; downloads always come as attachments with sniffing and scripts disabled.
/// </summary>
public static class AttachmentEndpoints
{
    public static IServiceCollection AddAttachments(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AttachmentOptions>().Bind(configuration.GetSection(AttachmentOptions.Section))
            .Validate(o => o.MaxFileBytes > 0 && o.MaxTicketBytes >= o.MaxFileBytes, "Attachments:MaxFileBytes is positive and at most Attachments:MaxTicketBytes.")
            .Validate(o => o.IsBlob || string.Equals(o.Store, "local", StringComparison.OrdinalIgnoreCase), "Attachments:Store is 'local' or 'blob'.")
            .Validate(o => !o.IsBlob || o.Blob.AccountUrl is { IsAbsoluteUri: true }, "Attachments:Blob:AccountUrl is required for the blob store.")
            .ValidateOnStart();
        services.AddHttpClient(BlobAttachmentStore.HttpClientName, c => c.Timeout = TimeSpan.FromMinutes(5));
        return services
            .AddSqliteMigration(SqliteAttachmentIndex.Migration.Name, SqliteAttachmentIndex.Migration.Sql)
            .AddSqliteMigration(SqliteAttachmentIndex.Versions.Name, SqliteAttachmentIndex.Versions.Sql)
            .AddTicketItemKind(SqliteAttachmentIndex.Table, CosmosAttachmentIndex.ItemKind)
            .AddSingleton(StoreSelection.Of<IAttachmentIndex, SqliteAttachmentIndex, CosmosAttachmentIndex>())
            .AddScoped<AttachmentService>()
            .AddSingleton<AttachmentContents>()
            .AddSingleton<IAttachmentStore>(sp =>
            {
                var options = sp.GetRequiredService<IOptions<AttachmentOptions>>().Value;
                if (options.IsBlob)
                {
                    // Entra ID by default (managed identity in Azure); a configured account key signs with SharedKey instead.
                    var credential = options.Blob.AccountKey is { Length: > 0 } ? null : sp.GetService<TokenCredential>() ?? new DefaultAzureCredential();
                    return BlobAttachmentStore.Create(options.Blob, sp.GetRequiredService<IHttpClientFactory>().CreateClient(BlobAttachmentStore.HttpClientName), credential);
                }

                return new LocalAttachmentStore(options.Folder ?? Path.Combine(sp.GetRequiredService<IOptions<StorageOptions>>().Value.ResolvedDataFolder, "attachments"));
            });
    }

    public static RouteGroupBuilder MapAttachmentEndpoints(this RouteGroupBuilder api)
    {
        var tickets = api.MapGroup("/tickets/{id}").WithTags("attachments").RequireAuthorization(Policies.Staff);
        tickets.MapPost("/attachments", UploadAsync).AcceptsOneFile().WithName("UploadTicketAttachment")
            .Produces<AttachmentResponse>(StatusCodes.Status201Created).ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
        tickets.MapGet("/attachments", ListAsync).WithName("ListAttachments")
            .Produces<Page<AttachmentResponse>>().ProducesProblems(StatusCodes.Status404NotFound);
        tickets.MapGet("/attachments/{attachmentId}", DownloadAsync).WithName("DownloadAttachment")
            .ProducesFile().ProducesProblems(StatusCodes.Status404NotFound);
        tickets.MapDelete("/attachments/{attachmentId}", DeleteAsync).WithName("DeleteAttachment")
            .Produces(StatusCodes.Status204NoContent).ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
        return api;
    }

    /// <summary>An upload route: one file in a multipart/form-data part named <c>file</c>, the body limited to the largest file allowed.</summary>
    public static RouteHandlerBuilder AcceptsOneFile(this RouteHandlerBuilder route)
    {
        ArgumentNullException.ThrowIfNull(route);
        route.Add(endpoint => endpoint.Metadata.Add(new UploadSizeLimit(endpoint.ApplicationServices.GetRequiredService<IOptions<AttachmentOptions>>().Value.MaxFileBytes)));
        return route.Accepts<IFormFile>("multipart/form-data");
    }

    private static async Task<IResult> UploadAsync(string id, HttpContext http, AttachmentService service, Caller caller, CancellationToken cancellationToken)
    {
        var (file, refused) = await ReadSingleFileAsync(http, cancellationToken);
        if (file is null)
        {
            return refused!;
        }

        var result = await service.AddAsync(id, null, file.FileName, file.OpenReadStream, await caller.ActorAsync(cancellationToken), cancellationToken);
        return result.ToResult(a => TypedResults.Created($"{http.Request.PathBase}/api/tickets/{a.TicketId}/attachments/{a.Id}", AttachmentResponse.From(a)));
    }

    /// <summary>The one file part named <c>file</c> of a multipart/form-data request, or the 400 to answer.</summary>
    public static async Task<(IFormFile? File, IResult? Problem)> ReadSingleFileAsync(HttpContext http, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (!http.Request.HasFormContentType)
        {
            return (null, Problems.Result(Problems.Validation("file", "Send multipart/form-data with one file in a part named file.")));
        }

        var (form, unreadable) = await Forms.ReadAsync(http.Request, "file", cancellationToken);
        if (form is null)
        {
            return (null, Problems.Result(unreadable!));
        }

        return form.Files.Count != 1 || form.Files[0].Name != "file"
            ? (null, Problems.Result(Problems.Validation("file", "Send exactly one file, in a part named file.")))
            : (form.Files[0], null);
    }

    private static async Task<IResult> ListAsync(string id, ITicketStore tickets, IAttachmentIndex index, CancellationToken cancellationToken) =>
        await tickets.FindAsync(id, cancellationToken) is null
            ? Problems.NotFound("ticket")
            : TypedResults.Ok(new Page<AttachmentResponse>((await index.ListAsync(id, cancellationToken)).Select(AttachmentResponse.From).ToArray(), null));

    private static async Task<IResult> DownloadAsync(string id, string attachmentId, IAttachmentIndex index, IAttachmentStore store, HttpResponse response, CancellationToken cancellationToken) =>
        await index.FindAsync(id, attachmentId, cancellationToken) is { } attachment
            ? await FileAsync(attachment, store, response, cancellationToken)
            : Problems.NotFound("attachment");

    private static async Task<IResult> DeleteAsync(string id, string attachmentId, AttachmentService service, Caller caller, CancellationToken cancellationToken) =>
        (await service.RemoveAsync(id, attachmentId, await caller.ActorAsync(cancellationToken), cancellationToken)).ToResult(_ => TypedResults.NoContent());

    /// <summary>A download's 200: the file's bytes in the media type it was stored with, any type.</summary>
    public static RouteHandlerBuilder ProducesFile(this RouteHandlerBuilder route) => FileResponses.ProducesFile(route);

    /// <summary>The file's bytes as a download, with sniffing and scripts disabled; 404 when the bytes are gone.</summary>
    public static async Task<IResult> FileAsync(Attachment attachment, IAttachmentStore store, HttpResponse response, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attachment);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(response);
        var content = await store.OpenAsync(attachment.Hash, cancellationToken);
        if (content is null)
        {
            return Problems.NotFound("attachment");
        }

        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.ContentSecurityPolicy = "default-src 'none'; sandbox";
        return TypedResults.File(content, attachment.ContentType, attachment.FileName);
    }
}
