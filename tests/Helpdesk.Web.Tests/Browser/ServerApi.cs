using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Helpdesk.Web.Tests.Browser;

/// <summary>
/// The browser tests' other person: an agent acting through the API of the same server (with a
/// token from its development sign-in) while the test's page shows what the console makes of it.
/// </summary>
internal sealed class ServerApi : IDisposable
{
    private readonly HttpClient _http;

    private ServerApi(HttpClient http) => _http = http;

    public static async Task<ServerApi> SignInAsync(ConsoleServer server, string user, string role)
    {
        var http = new HttpClient { BaseAddress = server.BaseAddress };
        var issued = await http.PostAsJsonAsync("api/dev/sign-in", new { user, role });
        issued.EnsureSuccessStatusCode();
        var token = (await issued.Content.ReadFromJsonAsync<JsonObject>())!["token"]!.GetValue<string>();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return new ServerApi(http);
    }

    public async Task<JsonObject> GetAsync(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        return await SendAsync(request, ifMatch: null);
    }

    public async Task<JsonObject> PostAsync(string path, object? body = null, string? ifMatch = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body ?? new { }) };
        return await SendAsync(request, ifMatch);
    }

    public async Task<JsonObject> PutAsync(string path, object body, string ifMatch)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, path) { Content = JsonContent.Create(body) };
        return await SendAsync(request, ifMatch);
    }

    public async Task<JsonObject> PatchAsync(string path, object body, string ifMatch)
    {
        using var request = new HttpRequestMessage(HttpMethod.Patch, path) { Content = JsonContent.Create(body) };
        return await SendAsync(request, ifMatch);
    }

    /// <summary>The resource's current ETag, for an If-Match.</summary>
    public async Task<string> ETagAsync(string path)
    {
        using var response = await _http.GetAsync(path);
        response.EnsureSuccessStatusCode();
        return response.Headers.ETag!.ToString();
    }

    private async Task<JsonObject> SendAsync(HttpRequestMessage request, string? ifMatch)
    {
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        using var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        response.IsSuccessStatusCode.ShouldBeTrue($"{request.Method} {request.RequestUri}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    public void Dispose() => _http.Dispose();
}
