using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Helpdesk.Web.Api;

/// <summary>
/// The admin pages' resources (teams, SLA policies, …) as the API writes them: GET /api/{path}
/// lists them, GET /api/{path}/{id} gives one with its ETag, PUT replaces it with If-Match. Their
/// operations answer no schema in the document yet, so they are read as JSON nodes; a replace sends
/// the resource as read with only the edited members changed, so nothing the page does not show is lost.
/// </summary>
public sealed class AdminResources(ApiHttp http)
{
    private const int PageLimit = 100;

    public async Task<IReadOnlyList<JsonObject>> ListAsync(string path, CancellationToken cancellationToken)
    {
        var items = new List<JsonObject>();
        string? cursor = null;
        do
        {
            var query = cursor is null ? $"?limit={PageLimit}" : $"?limit={PageLimit}&cursor={Uri.EscapeDataString(cursor)}";
            using var response = await http.Client.GetAsync($"api/{path}{query}", cancellationToken);
            var page = await ReadAsync(response, cancellationToken);
            items.AddRange(page["items"]?.AsArray().OfType<JsonObject>() ?? []);
            cursor = page["nextCursor"]?.GetValue<string>();
        }
        while (cursor is not null);

        return items;
    }

    public async Task<Versioned> GetAsync(string path, string id, CancellationToken cancellationToken)
    {
        using var response = await http.Client.GetAsync($"api/{path}/{Uri.EscapeDataString(id)}", cancellationToken);
        return new Versioned(await ReadAsync(response, cancellationToken), response.Headers.ETag?.ToString());
    }

    /// <summary>Replaces the resource read at <paramref name="etag"/>; a change made meanwhile is refused (412, <see cref="ApiProblemException"/>).</summary>
    public async Task<Versioned> ReplaceAsync(string path, string id, JsonObject body, string? etag, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, $"api/{path}/{Uri.EscapeDataString(id)}")
        {
            Content = JsonContent.Create(body, ApiJson.Default.JsonObject),
        };
        if (etag is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", etag);
        }

        using var response = await http.Client.SendAsync(request, cancellationToken);
        return new Versioned(await ReadAsync(response, cancellationToken), response.Headers.ETag?.ToString());
    }

    public async Task<JsonObject> CreateAsync(string path, JsonObject body, CancellationToken cancellationToken)
    {
        using var response = await http.Client.PostAsync($"api/{path}", JsonContent.Create(body, ApiJson.Default.JsonObject), cancellationToken);
        return await ReadAsync(response, cancellationToken);
    }

    private static async Task<JsonObject> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw await ApiProblemException.ReadAsync(response, cancellationToken);
        }

        return JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken)) as JsonObject
            ?? throw new ApiProblemException((int)response.StatusCode, "The API answered without an object.", null, new Dictionary<string, string[]>());
    }
}

/// <summary>A resource as read and the ETag its replace must send.</summary>
public sealed record Versioned(JsonObject Value, string? ETag);
