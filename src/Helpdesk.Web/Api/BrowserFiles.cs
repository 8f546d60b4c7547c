using Microsoft.JSInterop;

namespace Helpdesk.Web.Api;

/// <summary>
/// Saves a file the console fetched with the user's token (a plain link cannot send it) through
/// wwwroot/js/download.js, imported once per user session.
/// </summary>
public sealed class BrowserFiles(IJSRuntime js) : IAsyncDisposable
{
    private IJSObjectReference? _module;

    public async Task SaveAsync(DownloadedFile file)
    {
        _module ??= await js.InvokeAsync<IJSObjectReference>("import", "./js/download.js");
        using var bytes = new DotNetStreamReference(new MemoryStream(file.Content));
        await _module.InvokeVoidAsync("save", file.Name, file.ContentType, bytes);
    }

    public async ValueTask DisposeAsync()
    {
        if (_module is not null)
        {
            try
            {
                await _module.DisposeAsync();
            }
            catch (JSDisconnectedException)
            {
                // The page is gone with its module: nothing left to release.
            }
        }
    }
}
