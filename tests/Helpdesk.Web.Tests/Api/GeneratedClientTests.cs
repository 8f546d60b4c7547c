using System.Text.Json.Nodes;

namespace Helpdesk.Web.Tests.Api;

/// <summary>
/// The console's client is generated from the API's OpenAPI document and checked in with the
/// document it came from (src/Helpdesk.Web/Api/openapi.json). When the API's document changes,
/// this fails until scripts/generate-client.sh regenerates both.
/// </summary>
public sealed class GeneratedClientTests
{
    [Fact]
    public async Task Checked_in_client_matches_the_api_document()
    {
        using var api = new ApiHost("Production", new Dictionary<string, string?> { ["Auth:DevelopmentSigningKey"] = "" });
        var served = JsonNode.Parse(await api.CreateClient().GetStringAsync("/api/openapi/v1.json"))!.AsObject();
        served.Remove("servers");
        var checkedIn = JsonNode.Parse(await File.ReadAllTextAsync(Repository.File("src", "Helpdesk.Web", "Api", "openapi.json")));

        JsonNode.DeepEquals(served, checkedIn).ShouldBeTrue(
            "The API's OpenAPI document changed since the console's client was generated: run scripts/generate-client.sh and commit src/Helpdesk.Web/Api.");
    }

    [Fact]
    public async Task The_client_was_generated_from_the_checked_in_document_by_the_pinned_kiota()
    {
        var lockFile = JsonNode.Parse(await File.ReadAllTextAsync(Repository.File("src", "Helpdesk.Web", "Api", "Client", "kiota-lock.json")))!;
        var tools = JsonNode.Parse(await File.ReadAllTextAsync(Repository.File(".config", "dotnet-tools.json")))!;

        lockFile["descriptionLocation"]!.GetValue<string>().ShouldBe("../openapi.json");
        lockFile["kiotaVersion"]!.GetValue<string>().ShouldBe(tools["tools"]!["microsoft.openapi.kiota"]!["version"]!.GetValue<string>());
    }
}
