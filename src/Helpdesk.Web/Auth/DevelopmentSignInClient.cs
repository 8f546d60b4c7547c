using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Helpdesk.Web.Api;

namespace Helpdesk.Web.Auth;

/// <summary>
/// The API's Development-only sign-in (Helpdesk.Api/Hosting/DevelopmentSignIn.cs): the people of the
/// directory, and a token for one of them. Not in the OpenAPI document, so not in the generated
/// client: the endpoint exists only on a developer's machine.
/// </summary>
public sealed class DevelopmentSignInClient(ApiAddress api) : IDisposable
{
    private const string Route = "api/dev/sign-in";
    private readonly HttpClient _http = new() { BaseAddress = new Uri(api.BaseUrl) };

    /// <summary>The people to sign in as, or null when the server has no development sign-in.</summary>
    public async Task<SignInPeople?> PeopleAsync(CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(Route, cancellationToken);
        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Unauthorized)
        {
            return null;
        }

        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync(SignInJson.Default.SignInPeople, cancellationToken);
    }

    public async Task<string> TokenAsync(SignInPerson person, CancellationToken cancellationToken)
    {
        using var response = await _http.PostAsJsonAsync(Route, new SignInRequest(person.User, person.Role, person.ContactId), SignInJson.Default.SignInRequest, cancellationToken);
        response.EnsureSuccessStatusCode();
        var issued = await response.Content.ReadFromJsonAsync(SignInJson.Default.SignInToken, cancellationToken);
        return issued?.Token ?? throw new InvalidOperationException("The sign-in answered no token.");
    }

    public void Dispose() => _http.Dispose();
}

public sealed record SignInPerson(string User, string Name, string Role, string? ContactId, string? AccountId);

public sealed record SignInPeople(IReadOnlyList<SignInPerson> Staff, IReadOnlyList<SignInPerson> Customers);

public sealed record SignInRequest(string User, string Role, string? ContactId);

public sealed record SignInToken(string Token, DateTimeOffset ExpiresAt);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(SignInPeople))]
[JsonSerializable(typeof(SignInRequest))]
[JsonSerializable(typeof(SignInToken))]
internal sealed partial class SignInJson : JsonSerializerContext;
