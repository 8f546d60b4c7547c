using System.Net;
using System.Text.Json.Nodes;
using Helpdesk.Api.Tests.Infrastructure;

namespace Helpdesk.Api.Tests.Hosting;

public sealed class SystemTests(HelpdeskApp app) : IClassFixture<HelpdeskApp>
{
    [Fact]
    public async Task Health_answers_without_a_token()
    {
        var response = await app.CreateClient().GetAsync("/api/health");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await response.Json())["status"]!.GetValue<string>().ShouldBe("healthy");
    }

    [Fact]
    public async Task The_functions_host_readiness_probe_gets_an_answer()
    {
        (await app.CreateClient().GetAsync("/")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task The_openapi_documents_are_3_1_and_swagger_2_0_without_a_token()
    {
        var v1 = await (await app.CreateClient().GetAsync("/api/openapi/v1.json")).Json();
        var v2 = await (await app.CreateClient().GetAsync("/api/openapi/v2.json")).Json();

        v1["openapi"]!.GetValue<string>().ShouldStartWith("3.1");
        v1["paths"]!.AsObject().Select(p => p.Key).ShouldContain("/api/tickets/{id}/history");
        v2["swagger"]!.GetValue<string>().ShouldBe("2.0");
    }

    [Fact]
    public async Task An_unknown_route_is_a_404_problem()
    {
        await (await app.ClientFor("agent").GetAsync("/api/nothing-here")).ShouldBeProblem(404);
    }

    [Fact]
    public void Host_json_runs_the_app_as_a_proxied_custom_handler()
    {
        var host = JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryRoot(), "host.json")))!;

        host["version"]!.GetValue<string>().ShouldBe("2.0");
        host["customHandler"]!["enableProxyingHttpRequest"]!.GetValue<bool>().ShouldBeTrue();
        host["customHandler"]!["description"]!["defaultExecutablePath"]!.GetValue<string>().ShouldNotBeNullOrWhiteSpace();
        host["extensionBundle"]!["version"]!.GetValue<string>().ShouldBe("[4.*, 5.0.0)");
        host["extensions"]!["http"]!["routePrefix"]!.GetValue<string>().ShouldBe("api");
    }

    internal static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Helpdesk.Functions.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("The repository root was not found.");
    }
}
