using Azure.Core;
using Azure.Identity;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Common;
using Helpdesk.Api.Conversation;
using Helpdesk.Api.Portal;
using Helpdesk.Api.Storage;
using Helpdesk.Api.Storage.Sqlite;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;
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
/// ticket or of one of its messages; customers upload to their own tickets and messages in the portal. Sizes are checked per file and per ticket (413); the type is
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
                    var http = sp.GetRequiredService<IHttpClientFactory>().CreateClient(BlobAttachmentStore.HttpClientName);
                    return new BlobAttachmentStore(http, options.Blob, credential, sp.GetRequiredService<TimeProvider>());
                }

                return new LocalAttachmentStore(options.Folder ?? Path.Combine(sp.GetRequiredService<IOptions<StorageOptions>>().Value.ResolvedDataFolder, "attachments"));
            });
    }

    public static RouteGroupBuilder MapAttachmentEndpoints(this RouteGroupBuilder api)
    {
        var limit = new UploadSizeLimit(((IEndpointRouteBuilder)api).ServiceProvider.GetRequiredService<IOptions<AttachmentOptions>>().Value.MaxFileBytes);
        var tickets = api.MapGroup("/tickets/{id}").WithTags("attachments").RequireAuthorization(Policies.Staff);
        tickets.MapPost("/attachments", (string id, HttpContext http, AttachmentService service, Caller caller, CancellationToken ct) => UploadAsync(id, null, http, service, caller, ct))
            .WithMetadata(limit).Accepts<IFormFile>("multipart/form-data").WithName("UploadTicketAttachment");
        tickets.MapPost("/messages/{messageId}/attachments", (string id, string messageId, HttpContext http, AttachmentService service, Caller caller, CancellationToken ct) => UploadAsync(id, messageId, http, service, caller, ct))
            .WithMetadata(limit).Accepts<IFormFile>("multipart/form-data").WithName("UploadMessageAttachment");
        tickets.MapGet("/attachments", ListAsync).WithName("ListAttachments");
        tickets.MapGet("/attachments/{attachmentId}", DownloadAsync).WithName("DownloadAttachment");
        tickets.MapDelete("/attachments/{attachmentId}", DeleteAsync).WithName("DeleteAttachment");

        var portal = api.MapGroup("/portal/tickets/{id}").WithTags("portal").RequireAuthorization(Policies.Customer);
        portal.MapPost("/attachments", (string id, HttpContext http, PortalAccess access, AttachmentService service, CancellationToken ct) => PortalUploadAsync(id, null, http, access, service, ct))
            .WithMetadata(limit).Accepts<IFormFile>("multipart/form-data").WithName("UploadPortalTicketAttachment");
        portal.MapPost("/messages/{messageId}/attachments", (string id, string messageId, HttpContext http, PortalAccess access, AttachmentService service, CancellationToken ct) => PortalUploadAsync(id, messageId, http, access, service, ct))
            .WithMetadata(limit).Accepts<IFormFile>("multipart/form-data").WithName("UploadPortalMessageAttachment");
        portal.MapGet("/attachments", PortalListAsync).WithName("ListPortalAttachments");
        portal.MapGet("/attachments/{attachmentId}", PortalDownloadAsync).WithName("DownloadPortalAttachment");
        return api;
    }

    /// <summary>
    /// A customer attaches a file to a ticket they can see, or to one of their own messages on it
    /// (same limits, sniffing and names as staff uploads). Any other ticket or message is 404.
    /// </summary>
    private static async Task<IResult> PortalUploadAsync(string id, string? messageId, HttpContext http, PortalAccess access, AttachmentService service, CancellationToken cancellationToken)
    {
        var ticket = await access.FindVisibleAsync(id, cancellationToken);
        var contact = await access.ContactAsync(cancellationToken);
        if (ticket is null || contact is null)
        {
            return Problems.NotFound("ticket");
        }

        if (messageId is not null && !await access.IsOwnMessageAsync(ticket.Id, messageId, cancellationToken))
        {
            return Problems.NotFound("message");
        }

        var (file, refused) = await ReadSingleFileAsync(http, cancellationToken);
        if (file is null)
        {
            return refused!;
        }

        var result = await service.AddAsync(ticket.Id, messageId, file.FileName, file.OpenReadStream, Actor.Customer(contact.Id), cancellationToken);
        return result.ToResult(a => TypedResults.Created($"{http.Request.PathBase}/api/portal/tickets/{a.TicketId}/attachments/{a.Id}", AttachmentResponse.From(a)));
    }

    /// <summary>The files the customer may see: their own uploads and those of public messages.</summary>
    private static async Task<IResult> PortalListAsync(string id, PortalAccess access, IAttachmentIndex index, IConversationStore messages, CancellationToken cancellationToken)
    {
        var ticket = await access.FindVisibleAsync(id, cancellationToken);
        var contact = await access.ContactAsync(cancellationToken);
        if (ticket is null || contact is null)
        {
            return Problems.NotFound("ticket");
        }

        var visible = new List<AttachmentResponse>();
        foreach (var attachment in await index.ListAsync(ticket.Id, cancellationToken))
        {
            if (IsOwnUpload(attachment, contact.Id)
                || (attachment.MessageId is { } messageId && await messages.FindAsync(ticket.Id, messageId, cancellationToken) is { Visibility: MessageVisibility.Public }))
            {
                visible.Add(AttachmentResponse.From(attachment));
            }
        }

        return TypedResults.Ok(new Page<AttachmentResponse>(visible, null));
    }

    private static bool IsOwnUpload(Attachment attachment, string contactId) =>
        attachment.UploadedBy.Type == ActorType.Customer && attachment.UploadedBy.Id == contactId;

    private static async Task<IResult> UploadAsync(string id, string? messageId, HttpContext http, AttachmentService service, Caller caller, CancellationToken cancellationToken)
    {
        var (file, refused) = await ReadSingleFileAsync(http, cancellationToken);
        if (file is null)
        {
            return refused!;
        }

        var result = await service.AddAsync(id, messageId, file.FileName, file.OpenReadStream, await caller.ActorAsync(cancellationToken), cancellationToken);
        return result.ToResult(a => TypedResults.Created($"{http.Request.PathBase}/api/tickets/{a.TicketId}/attachments/{a.Id}", AttachmentResponse.From(a)));
    }

    /// <summary>The one file part named <c>file</c> of a multipart/form-data request, or the 400 to answer.</summary>
    private static async Task<(IFormFile? File, IResult? Problem)> ReadSingleFileAsync(HttpContext http, CancellationToken cancellationToken)
    {
        if (!http.Request.HasFormContentType)
        {
            return (null, Problems.Result(Problems.Validation("file", "Send multipart/form-data with one file in a part named file.")));
        }

        var form = await http.Request.ReadFormAsync(cancellationToken);
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

    /// <summary>A customer downloads only their own uploads and files of public messages of a ticket they can see; anything else is 404.</summary>
    private static async Task<IResult> PortalDownloadAsync(
        string id,
        string attachmentId,
        PortalAccess access,
        IAttachmentIndex index,
        IConversationStore messages,
        IAttachmentStore store,
        HttpResponse response,
        CancellationToken cancellationToken)
    {
        var ticket = await access.FindVisibleAsync(id, cancellationToken);
        var contact = await access.ContactAsync(cancellationToken);
        var attachment = ticket is null || contact is null ? null : await index.FindAsync(ticket.Id, attachmentId, cancellationToken);
        if (attachment is null)
        {
            return Problems.NotFound("attachment");
        }

        var message = attachment.MessageId is { } messageId ? await messages.FindAsync(attachment.TicketId, messageId, cancellationToken) : null;
        return IsOwnUpload(attachment, contact!.Id) || message is { Visibility: MessageVisibility.Public }
            ? await FileAsync(attachment, store, response, cancellationToken)
            : Problems.NotFound("attachment");
    }

    private static async Task<IResult> FileAsync(Attachment attachment, IAttachmentStore store, HttpResponse response, CancellationToken cancellationToken)
    {
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
