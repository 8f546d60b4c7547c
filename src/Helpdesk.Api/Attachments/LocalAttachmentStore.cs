using System.Security.Cryptography;

namespace Helpdesk.Api.Attachments;

/// <summary>
/// Attachments in a local folder: <c>{root}/{first two hex digits}/{sha-256}</c>. Bytes are
/// streamed to a temporary file while hashed, then moved into place; a second copy of the
/// same bytes only deletes its temporary file.
/// </summary>
public sealed class LocalAttachmentStore(string root) : IAttachmentStore
{
    private const int BufferSize = 81_920;

    public async Task<StoredContent> PutAsync(Stream content, long maxBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        System.IO.Directory.CreateDirectory(root);
        var temporary = Path.Combine(root, $"upload-{Guid.NewGuid():N}.tmp");
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

            var target = PathOf(hash);
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            if (!File.Exists(target))
            {
                File.Move(temporary, target, overwrite: true);
            }

            return new StoredContent(hash, size);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    public Task<Stream?> OpenAsync(string hash, CancellationToken cancellationToken)
    {
        var path = PathOf(hash);
        return Task.FromResult<Stream?>(File.Exists(path)
            ? new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, BufferSize, useAsync: true)
            : null);
    }

    public Task DeleteAsync(string hash, CancellationToken cancellationToken)
    {
        File.Delete(PathOf(hash));
        return Task.CompletedTask;
    }

    private string PathOf(string hash)
    {
        if (hash.Length != 64 || !hash.All(char.IsAsciiHexDigitLower))
        {
            throw new ArgumentException("Not a SHA-256 in lower-case hex.", nameof(hash));
        }

        return Path.Combine(root, hash[..2], hash);
    }
}
