using System.Security.Cryptography;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Helpdesk.Api.Common;

namespace Helpdesk.Api.Attachments;

/// <summary>Where the blob attachment store writes (configuration section <c>Attachments:Blob</c>).</summary>
public sealed class BlobStoreOptions
{
    /// <summary>
    /// The account's blob endpoint, e.g. <c>https://myaccount.blob.core.windows.net</c>, or a
    /// path-style emulator endpoint such as <c>https://127.0.0.1:10000/devstoreaccount1</c>.
    /// </summary>
    public Uri? AccountUrl { get; set; }

    public string Container { get; set; } = "attachments";

    /// <summary>For SharedKey (local emulators only): the account name and its base64 key. Without a key the store signs in with Entra ID.</summary>
    public string? AccountName { get; set; }

    public string? AccountKey { get; set; }
}

/// <summary>
/// Attachments in Azure Blob Storage through the official client (Azure.Storage.Blobs), signed
/// in with Entra ID (the configured <see cref="TokenCredential"/>, DefaultAzureCredential in
/// Azure), or with SharedKey when an account key is configured (Azurite). Content-addressed like
/// the local store: the blob name is the SHA-256 of the bytes, which are hashed (and
/// size-checked) in a temporary file before one upload with <c>If-None-Match: *</c>, so the same
/// bytes are uploaded once. The client retries transient failures itself (Retries.Blob).
/// </summary>
public sealed class BlobAttachmentStore(BlobContainerClient container) : IAttachmentStore
{
    public const string HttpClientName = "attachments-blob";
    private const int BufferSize = 81_920;

    private bool _containerReady;

    /// <summary>The store over <paramref name="http"/>, signed in with SharedKey when <paramref name="options"/> has a key, else with <paramref name="credential"/>.</summary>
    public static BlobAttachmentStore Create(BlobStoreOptions options, HttpClient http, TokenCredential? credential)
    {
        ArgumentNullException.ThrowIfNull(options);
        var url = options.AccountUrl ?? throw new InvalidOperationException("Attachments:Blob:AccountUrl is required.");
        var client = new BlobClientOptions { Transport = new HttpClientTransport(http) };
        Retries.Blob(client.Retry);
        var service = options.AccountKey is { Length: > 0 } key
            ? new BlobServiceClient(url, new StorageSharedKeyCredential(options.AccountName ?? new BlobUriBuilder(url).AccountName, key), client)
            : new BlobServiceClient(url, credential ?? throw new InvalidOperationException("The blob attachment store has neither an account key nor a token credential."), client);
        return new BlobAttachmentStore(service.GetBlobContainerClient(options.Container));
    }

    public async Task<StoredContent> PutAsync(Stream content, long maxBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        var temporary = Path.Combine(Path.GetTempPath(), $"helpdesk-upload-{Guid.NewGuid():N}.tmp");
        try
        {
            string hash;
            long size = 0;
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize, useAsync: true))
            using (var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
            {
                var buffer = new byte[BufferSize];
                int read;
                while ((read = await content.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    size += read;
                    if (size > maxBytes)
                    {
                        throw new AttachmentTooLargeException($"A file is at most {maxBytes} bytes.");
                    }

                    sha.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                }

                hash = Convert.ToHexStringLower(sha.GetHashAndReset());
            }

            await EnsureContainerAsync(cancellationToken);
            await using var body = new FileStream(temporary, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, useAsync: true);
            try
            {
                await Blob(hash).UploadAsync(
                    body,
                    new BlobUploadOptions
                    {
                        HttpHeaders = new BlobHttpHeaders { ContentType = "application/octet-stream" },
                        Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
                    },
                    cancellationToken);
            }
            catch (RequestFailedException e) when (e.Status == StatusCodes.Status409Conflict)
            {
                // The same bytes are stored already.
            }

            return new StoredContent(hash, size);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    public async Task<Stream?> OpenAsync(string hash, CancellationToken cancellationToken)
    {
        try
        {
            var download = await Blob(hash).DownloadStreamingAsync(cancellationToken: cancellationToken);
            return download.Value.Content;
        }
        catch (RequestFailedException e) when (e.Status == StatusCodes.Status404NotFound)
        {
            return null;
        }
    }

    public async Task DeleteAsync(string hash, CancellationToken cancellationToken) =>
        await Blob(hash).DeleteIfExistsAsync(cancellationToken: cancellationToken);

    /// <summary>Creates the container once per process (a no-op when it exists).</summary>
    private async Task EnsureContainerAsync(CancellationToken cancellationToken)
    {
        if (!_containerReady)
        {
            await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
            _containerReady = true;
        }
    }

    private BlobClient Blob(string hash)
    {
        if (hash.Length != 64 || !hash.All(char.IsAsciiHexDigitLower))
        {
            throw new ArgumentException("Not a SHA-256 in lower-case hex.", nameof(hash));
        }

        return container.GetBlobClient(hash);
    }
}
