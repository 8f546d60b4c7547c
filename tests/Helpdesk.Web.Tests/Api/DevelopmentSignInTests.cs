using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Helpdesk.Api.Auth;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;
using TokenClaims = Helpdesk.Web.Auth.TokenClaims;
using Roles = Helpdesk.Web.Auth.Roles;

namespace Helpdesk.Web.Tests.Api;

/// <summary>The console's development sign-in exists only in Development with a signing key, never in a deployed API.</summary>
public sealed class DevelopmentSignInTests
{
    private const string Key = "dGVzdC1zaWduaW5nLWtleS10aGF0LWlzLWxvbmctZW5vdWdoLTEyMzQ1Njc4";

    [Theory]
    [InlineData("Production")]
    [InlineData("Staging")]
    [InlineData("Testing")]
    public async Task The_sign_in_endpoint_is_absent_outside_development_even_with_a_signing_key(string environment)
    {
        using var api = new ApiHost(environment, new Dictionary<string, string?> { ["Auth:DevelopmentSigningKey"] = Key });

        await ShouldBeAbsentAsync(api);
    }

    [Fact]
    public async Task The_sign_in_endpoint_is_absent_in_development_without_a_signing_key()
    {
        using var api = new ApiHost("Development", new Dictionary<string, string?> { ["Auth:DevelopmentSigningKey"] = "" });

        await ShouldBeAbsentAsync(api);
    }

    /// <summary>No such route: anonymous callers get the API's 401, an admin with a valid token a 404.</summary>
    private static async Task ShouldBeAbsentAsync(ApiHost api)
    {
        api.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Select(e => e.RoutePattern.RawText ?? string.Empty)
            .ShouldNotContain(route => route.Contains("dev/sign-in", StringComparison.OrdinalIgnoreCase));

        var anonymous = api.CreateClient();
        (await anonymous.PostAsJsonAsync("/api/dev/sign-in", new { user = "admin@helpdesk.example", role = "admin" })).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

        var admin = api.CreateClient();
        var token = DevelopmentTokens.Create(new SymmetricSecurityKey(Convert.FromBase64String(Key)), "admin@helpdesk.example", "admin", null, DateTimeOffset.UtcNow, TimeSpan.FromHours(1));
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var get = await admin.GetAsync("/api/dev/sign-in");
        get.StatusCode.ShouldBeOneOf(HttpStatusCode.NotFound, HttpStatusCode.Unauthorized);
        get.StatusCode.ShouldNotBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task In_development_it_lists_the_demo_people_and_issues_a_token_the_api_accepts()
    {
        using var api = new ApiHost("Development", new Dictionary<string, string?> { ["Auth:DevelopmentSigningKey"] = Key, ["Demo:SeedWhenEmpty"] = "true" });
        var client = api.CreateClient();

        var people = (await client.GetFromJsonAsync<JsonObject>("/api/dev/sign-in"))!;
        var staff = people["staff"]!.AsArray().Select(p => p!["user"]!.GetValue<string>()).ToList();
        var alice = people["customers"]!.AsArray().Single(p => p!["user"]!.GetValue<string>() == "alice@contoso.com")!;
        staff.ShouldBe(["ada@helpdesk.example", "bob@helpdesk.example", "sam@helpdesk.example", "admin@helpdesk.example"], ignoreOrder: true);

        var issued = await client.PostAsJsonAsync("/api/dev/sign-in", new { user = "alice@contoso.com", role = "customer", contactId = alice["contactId"]!.GetValue<string>() });
        var token = (await issued.Content.ReadFromJsonAsync<JsonObject>())!["token"]!.GetValue<string>();
        var claims = TokenClaims.Read(token, DateTimeOffset.UtcNow)!;
        claims.IsInRole("customer").ShouldBeTrue();
        claims.FindFirst(Roles.ClaimType)!.Value.ShouldBe("customer");
        claims.FindFirst("contact_id")!.Value.ShouldBe("con_alice");

        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/portal/tickets");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        (await client.SendAsync(request)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_customer_token_needs_a_contact()
    {
        using var api = new ApiHost("Development", new Dictionary<string, string?> { ["Auth:DevelopmentSigningKey"] = Key });

        var refused = await api.CreateClient().PostAsJsonAsync("/api/dev/sign-in", new { user = "alice@contoso.com", role = "customer" });

        refused.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await refused.Content.ReadAsStringAsync()).ShouldContain("contactId");
    }
}
