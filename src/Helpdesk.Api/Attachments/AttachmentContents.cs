namespace Helpdesk.Api.Attachments;

/// <summary>
/// Decides when stored bytes may go. A content is shared by every attachment with the same hash,
/// so it is deleted only when no attachment row refers to it any more. Removing and attaching the
/// same bytes are serialised per hash (striped locks, within the process): a removal checks and
/// deletes under the lock, and an upload writes its row under the same lock after making sure the
/// bytes are still stored, so a removal or purge racing an upload of identical bytes never leaves
/// a row without its file.
/// </summary>
public sealed class AttachmentContents(IAttachmentIndex index, IAttachmentStore store) : IDisposable
{
    private const int Stripes = 64;
    private readonly SemaphoreSlim[] _locks = [.. Enumerable.Range(0, Stripes).Select(_ => new SemaphoreSlim(1, 1))];

    /// <summary>Deletes the bytes unless an attachment still refers to them.</summary>
    public async Task ForgetUnlessReferencedAsync(string hash, CancellationToken cancellationToken)
    {
        var gate = Gate(hash);
        await gate.WaitAsync(cancellationToken);
        try
        {
            if (!await index.IsReferencedAsync(hash, cancellationToken))
            {
                await store.DeleteAsync(hash, cancellationToken);
            }
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// Runs <paramref name="attach"/> (which writes the attachment row) while the bytes are
    /// stored: when a concurrent removal deleted them since the upload stored them, they are
    /// stored again from <paramref name="open"/> first.
    /// </summary>
    public async Task<T> AttachAsync<T>(StoredContent content, Func<Stream> open, long maxBytes, Func<Task<T>> attach, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(open);
        ArgumentNullException.ThrowIfNull(attach);
        var gate = Gate(content.Hash);
        await gate.WaitAsync(cancellationToken);
        try
        {
            var stored = await store.OpenAsync(content.Hash, cancellationToken);
            if (stored is null)
            {
                await using var again = open();
                await store.PutAsync(again, maxBytes, cancellationToken);
            }
            else
            {
                await stored.DisposeAsync();
            }

            return await attach();
        }
        finally
        {
            gate.Release();
        }
    }

    public void Dispose()
    {
        foreach (var gate in _locks)
        {
            gate.Dispose();
        }
    }

    private SemaphoreSlim Gate(string hash) => _locks[(uint)StringComparer.Ordinal.GetHashCode(hash) % Stripes];
}
