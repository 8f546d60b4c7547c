using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Azure.Core;

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

    /// <summary>For SharedKey: the account name and its base64 key. Without a key the store signs in with Entra ID.</summary>
    public string? AccountName { get; set; }

    public string? AccountKey { get; set; }
}

/// <summary>
/// Attachments in Azure Blob Storage through the Blob REST API (Put Blob, Get Blob, Delete Blob),
/// because the Azure.Storage.Blobs SDK is not obtainable here. Content-addressed like the local
/// store: the blob name is the SHA-256 of the bytes, which are hashed (and size-checked) in a
/// temporary file before one Put Blob with <c>If-None-Match: *</c>, so the same bytes are
/// uploaded once. Requests carry an Entra ID bearer token (scope
/// <c>https://storage.azure.com/.default</c>) from the configured <see cref="TokenCredential"/>,
/// or a SharedKey signature when an account key is configured.
/// </summary>
public sealed class BlobAttachmentStore(HttpClient http, BlobStoreOptions options, TokenCredential? credential, TimeProvider clock) : IAttachmentStore, IDisposable
{
    public const string HttpClientName = "attachments-blob";
    public const string ApiVersion = "2023-11-03";
    private const int BufferSize = 81_920;
    private static readonly string[] Scopes = ["https://storage.azure.com/.default"];

    private readonly SemaphoreSlim _tokenGate = new(1, 1);
    private AccessToken? _token;
    private bool _containerReady;

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
            using var request = new HttpRequestMessage(HttpMethod.Put, BlobUri(hash)) { Content = new StreamContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            request.Content.Headers.ContentLength = size;
            request.Headers.Add("x-ms-blob-type", "BlockBlob");
            request.Headers.TryAddWithoutValidation("If-None-Match", "*");
            using var response = await SendAsync(request, cancellationToken);
            if (response.StatusCode != HttpStatusCode.Conflict)
            {
                await EnsureSuccessAsync(response, "Put Blob", cancellationToken);
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
        using var request = new HttpRequestMessage(HttpMethod.Get, BlobUri(hash));
        var response = await SendAsync(request, cancellationToken, HttpCompletionOption.ResponseHeadersRead);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            response.Dispose();
            return null;
        }

        try
        {
            await EnsureSuccessAsync(response, "Get Blob", cancellationToken);
            return await response.Content.ReadAsStreamAsync(cancellationToken);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    public async Task DeleteAsync(string hash, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, BlobUri(hash));
        using var response = await SendAsync(request, cancellationToken);
        if (response.StatusCode != HttpStatusCode.NotFound)
        {
            await EnsureSuccessAsync(response, "Delete Blob", cancellationToken);
        }
    }

    public void Dispose() => _tokenGate.Dispose();

    /// <summary>Creates the container once per process (Create Container; 409 means it exists).</summary>
    private async Task EnsureContainerAsync(CancellationToken cancellationToken)
    {
        if (_containerReady)
        {
            return;
        }

        using var request = new HttpRequestMessage(HttpMethod.Put, new Uri($"{Base()}/{options.Container}?restype=container"));
        request.Content = new ByteArrayContent([]);
        using var response = await SendAsync(request, cancellationToken);
        if (response.StatusCode != HttpStatusCode.Conflict)
        {
            await EnsureSuccessAsync(response, "Create Container", cancellationToken);
        }

        _containerReady = true;
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken, HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        request.Headers.Add("x-ms-version", ApiVersion);
        request.Headers.Add("x-ms-date", clock.GetUtcNow().ToString("R", CultureInfo.InvariantCulture));
        if (options.AccountKey is { Length: > 0 } key)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("SharedKey", $"{AccountName()}:{SharedKey.Sign(request, AccountName(), key)}");
        }
        else
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(cancellationToken));
        }

        return await http.SendAsync(request, completion, cancellationToken);
    }

    private async Task<string> TokenAsync(CancellationToken cancellationToken)
    {
        var issuer = credential ?? throw new InvalidOperationException("The blob attachment store has neither an account key nor a token credential.");
        await _tokenGate.WaitAsync(cancellationToken);
        try
        {
            if (_token is not { } token || token.ExpiresOn <= clock.GetUtcNow().AddMinutes(5))
            {
                token = await issuer.GetTokenAsync(new TokenRequestContext(Scopes), cancellationToken);
                _token = token;
            }

            return token.Token;
        }
        finally
        {
            _tokenGate.Release();
        }
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, string operation, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            var code = response.Headers.TryGetValues("x-ms-error-code", out var codes) ? codes.FirstOrDefault() : null;
            var detail = await response.Content.ReadAsStringAsync(cancellationToken);
            throw new HttpRequestException($"{operation} answered {(int)response.StatusCode} {code}: {detail}", null, response.StatusCode);
        }
    }

    private string Base() => (options.AccountUrl ?? throw new InvalidOperationException("Attachments:Blob:AccountUrl is required.")).ToString().TrimEnd('/');

    private Uri BlobUri(string hash)
    {
        if (hash.Length != 64 || !hash.All(char.IsAsciiHexDigitLower))
        {
            throw new ArgumentException("Not a SHA-256 in lower-case hex.", nameof(hash));
        }

        return new Uri($"{Base()}/{options.Container}/{hash}");
    }

    /// <summary>The account name: configured, else the first label of the host (<c>myaccount.blob.core.windows.net</c>).</summary>
    private string AccountName() => options.AccountName ?? options.AccountUrl!.Host.Split('.')[0];
}

/// <summary>
/// The SharedKey signature of the Blob service (Authorize with Shared Key): HMAC-SHA256 with the
/// account key over the verb, the standard headers, the canonicalized <c>x-ms-</c> headers and
/// the canonicalized resource (<c>/account/path</c> plus the sorted query parameters).
/// </summary>
internal static class SharedKey
{
    public static string Sign(HttpRequestMessage request, string account, string base64Key)
    {
        var content = request.Content?.Headers;
        var length = content?.ContentLength is > 0 ? content.ContentLength.Value.ToString(CultureInfo.InvariantCulture) : string.Empty;
        var text = new StringBuilder()
            .Append(request.Method.Method).Append('\n')
            .Append(Join(content?.ContentEncoding)).Append('\n')
            .Append(Join(content?.ContentLanguage)).Append('\n')
            .Append(length).Append('\n')
            .Append(content?.ContentMD5 is { } md5 ? Convert.ToBase64String(md5) : string.Empty).Append('\n')
            .Append(content?.ContentType?.ToString() ?? string.Empty).Append('\n')
            .Append('\n')
            .Append(Header(request, "If-Modified-Since")).Append('\n')
            .Append(Header(request, "If-Match")).Append('\n')
            .Append(Header(request, "If-None-Match")).Append('\n')
            .Append(Header(request, "If-Unmodified-Since")).Append('\n')
            .Append(Header(request, "Range")).Append('\n');

        foreach (var header in request.Headers
            .Where(h => h.Key.StartsWith("x-ms-", StringComparison.OrdinalIgnoreCase))
            .Select(h => (Name: h.Key.ToLowerInvariant(), Value: string.Join(',', h.Value).Trim()))
            .OrderBy(h => h.Name, StringComparer.Ordinal))
        {
            text.Append(header.Name).Append(':').Append(header.Value).Append('\n');
        }

        var uri = request.RequestUri!;
        text.Append('/').Append(account).Append(uri.AbsolutePath);
        var query = uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2))
            .GroupBy(p => Uri.UnescapeDataString(p[0]).ToLowerInvariant(), p => p.Length > 1 ? Uri.UnescapeDataString(p[1]) : string.Empty, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal);
        foreach (var parameter in query)
        {
            text.Append('\n').Append(parameter.Key).Append(':').Append(string.Join(',', parameter.Order(StringComparer.Ordinal)));
        }

        using var hmac = new HMACSHA256(Convert.FromBase64String(base64Key));
        return Convert.ToBase64String(hmac.ComputeHash(Encoding.UTF8.GetBytes(text.ToString())));
    }

    private static string Join(IEnumerable<string>? values) => values is null ? string.Empty : string.Join(',', values);

    private static string Header(HttpRequestMessage request, string name) =>
        request.Headers.TryGetValues(name, out var values) ? string.Join(',', values) : string.Empty;
}
