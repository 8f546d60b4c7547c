using System.Net.Http.Headers;
using Helpdesk.Api.Auth;
using Helpdesk.Web.Api.Client;
using Helpdesk.Web.Api.Client.Models;
using Microsoft.IdentityModel.Tokens;
using Microsoft.Kiota.Abstractions.Authentication;
using Microsoft.Kiota.Abstractions.Serialization;
using Microsoft.Kiota.Http.HttpClientLibrary;
using Microsoft.Kiota.Http.HttpClientLibrary.Middleware;
using Microsoft.Kiota.Http.HttpClientLibrary.Middleware.Options;

namespace Helpdesk.Web.Tests.Api;

/// <summary>
/// The client Kiota generated from the API's document (the console's, checked in and kept current by
/// <see cref="GeneratedClientTests"/>) works against the API as it runs: each answer comes back as its
/// model, each refusal as the typed problem, with no hand-written parsing.
/// </summary>
public sealed class GeneratedClientRoundTripTests
{
    private const string Key = "dGVzdC1zaWduaW5nLWtleS10aGF0LWlzLWxvbmctZW5vdWdoLTEyMzQ1Njc4";

    [Fact]
    public async Task A_ticket_is_created_read_changed_and_listed_through_the_generated_client_and_refusals_are_typed_problems()
    {
        using var api = new ApiHost("Production", new Dictionary<string, string?> { ["Auth:DevelopmentSigningKey"] = Key });
        var http = api.CreateDefaultClient(new HeadersInspectionHandler());
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
            "Bearer",
            DevelopmentTokens.Create(new SymmetricSecurityKey(Convert.FromBase64String(Key)), "supervisor@helpdesk.example", "supervisor", null, DateTimeOffset.UtcNow, TimeSpan.FromHours(1)));
        var client = new HelpdeskApiClient(new HttpClientRequestAdapter(new AnonymousAuthenticationProvider(), httpClient: http) { BaseUrl = http.BaseAddress!.ToString().TrimEnd('/') });

        var created = await client.Api.Tickets.PostAsync(new CreateTicketRequest
        {
            Subject = "Printer jams on the third floor",
            Requester = new RequesterRequest { Email = "alice@contoso.com", Name = "Alice" },
            Priority = "high",
            Tags = ["printer"],
        });
        created.ShouldNotBeNull();
        created.Id.ShouldNotBeNullOrEmpty();
        created.Priority.ShouldBe(Priority.High);
        created.Status.ShouldNotBeNull();

        var headers = new HeadersInspectionHandlerOption { InspectResponseHeaders = true };
        var read = await client.Api.Tickets[created.Id].GetAsync(r => r.Options.Add(headers));
        read!.Subject.ShouldBe("Printer jams on the third floor");
        read.Requester!.Email.ShouldBe("alice@contoso.com");
        read.Status.ShouldBe(created.Status);
        var etag = headers.ResponseHeaders["ETag"].Single();

        var changed = await client.Api.Tickets[created.Id].PatchAsync(
            new UntypedObject(new Dictionary<string, UntypedNode> { ["priority"] = new UntypedString("urgent") }),
            r => r.Headers.Add("If-Match", etag));
        changed!.Priority.ShouldBe(Priority.Urgent);

        var stale = await Should.ThrowAsync<Problem>(() => client.Api.Tickets[created.Id].PatchAsync(
            new UntypedObject(new Dictionary<string, UntypedNode> { ["priority"] = new UntypedString("low") }),
            r => r.Headers.Add("If-Match", etag)));
        stale.ResponseStatusCode.ShouldBe(412);
        stale.Status.ShouldBe(412);
        stale.Type.ShouldBe("urn:helpdesk:problem:stale-version");
        stale.TraceId.ShouldNotBeNullOrEmpty();

        var page = await client.Api.Tickets.GetAsync(r => r.QueryParameters.Limit = 50);
        page!.Items!.ShouldContain(t => t.Id == created.Id && t.Priority == Priority.Urgent);

        var missing = await Should.ThrowAsync<Problem>(() => client.Api.Tickets["tkt_none"].GetAsync());
        missing.ResponseStatusCode.ShouldBe(404);
        missing.Type.ShouldBe("urn:helpdesk:problem:not-found");

        var invalid = await Should.ThrowAsync<Problem>(() => client.Api.Tickets.PostAsync(new CreateTicketRequest { Subject = "No requester" }));
        invalid.ResponseStatusCode.ShouldBe(400);
        invalid.Errors!.AdditionalData.ShouldContainKey("requester");
    }
}
