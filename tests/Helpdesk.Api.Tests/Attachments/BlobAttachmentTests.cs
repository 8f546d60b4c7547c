using System.Net;
using System.Security.Cryptography;
using Azure;
using Helpdesk.Api.Attachments;
using Helpdesk.Api.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Tests.Attachments;

/// <summary>Every attachment route test once more, with <c>Attachments:Store=blob</c> on Azurite (Entra ID bearer tokens).</summary>
[Collection(AzuriteCollection.Name)]
public sealed class BlobAttachmentTests(AzuriteServer azurite) : AttachmentTests(azurite.Configure(new HelpdeskApp()))
{
    protected override Task<int> StoredCountAsync(HelpdeskApp app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return azurite.CountBlobsAsync(app.Services.GetRequiredService<IOptions<AttachmentOptions>>().Value.Blob.Container);
    }
}

/// <summary>The blob store itself against Azurite: both ways of signing in, and what the emulator refuses.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class BlobAttachmentStoreTests(AzuriteServer azurite)
{
    private static readonly byte[] Bytes = "content-addressed bytes"u8.ToArray();

    private (BlobAttachmentStore Store, HttpClient Http) Store(bool sharedKey, FakeEntraCredential? credential = null, string? key = null)
    {
        var http = azurite.CreateClient();
        var options = azurite.Options(sharedKey ? key ?? AzuriteServer.AccountKey : null);
        return (BlobAttachmentStore.Create(options, http, sharedKey ? null : credential ?? new FakeEntraCredential()), http);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Put_get_and_delete_work_with_entra_tokens_and_with_shared_key(bool sharedKey)
    {
        var credential = new FakeEntraCredential();
        var (store, http) = Store(sharedKey, credential);
        using var _ = http;

        var stored = await store.PutAsync(new MemoryStream(Bytes), 1024, CancellationToken.None);
        var again = await store.PutAsync(new MemoryStream(Bytes), 1024, CancellationToken.None);

        stored.Hash.ShouldBe(Convert.ToHexStringLower(SHA256.HashData(Bytes)));
        stored.Size.ShouldBe(Bytes.Length);
        again.ShouldBe(stored);
        await using (var read = await store.OpenAsync(stored.Hash, CancellationToken.None))
        {
            using var copy = new MemoryStream();
            await read!.CopyToAsync(copy);
            copy.ToArray().ShouldBe(Bytes);
        }

        await store.DeleteAsync(stored.Hash, CancellationToken.None);
        (await store.OpenAsync(stored.Hash, CancellationToken.None)).ShouldBeNull();
        await store.DeleteAsync(stored.Hash, CancellationToken.None);
        (sharedKey ? credential.Scopes : credential.Scopes.Distinct()).ShouldBe(sharedKey ? [] : ["https://storage.azure.com/.default"]);
    }

    [Fact]
    public async Task A_file_over_the_limit_is_refused_before_anything_is_uploaded()
    {
        var (store, http) = Store(sharedKey: false);
        using var _ = http;

        await Should.ThrowAsync<AttachmentTooLargeException>(() => store.PutAsync(new MemoryStream(new byte[2048]), 1024, CancellationToken.None));

        (await store.OpenAsync(Convert.ToHexStringLower(SHA256.HashData(new byte[2048])), CancellationToken.None)).ShouldBeNull();
    }

    [Fact]
    public async Task The_emulator_refuses_a_token_for_another_audience_and_a_wrong_account_key()
    {
        var (wrongAudience, http1) = Store(sharedKey: false, new FakeEntraCredential("https://vault.azure.net"));
        var (wrongKey, http2) = Store(sharedKey: true, key: Convert.ToBase64String(new byte[64]));
        using var _ = http1;
        using var __ = http2;

        var audience = await Should.ThrowAsync<RequestFailedException>(() => wrongAudience.PutAsync(new MemoryStream(Bytes), 1024, CancellationToken.None));
        var key = await Should.ThrowAsync<RequestFailedException>(() => wrongKey.PutAsync(new MemoryStream(Bytes), 1024, CancellationToken.None));

        audience.Status.ShouldBe((int)HttpStatusCode.Forbidden);

        // With OAuth on, a signature that fails SharedKey falls through to the token check, which answers 400.
        key.Status.ShouldBe((int)HttpStatusCode.BadRequest);
        key.ErrorCode.ShouldBe("InvalidAuthenticationInfo");
    }
}
