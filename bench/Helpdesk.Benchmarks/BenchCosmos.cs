using Helpdesk.Api.Tests.Cosmos;
using Microsoft.Extensions.DependencyInjection;

namespace Helpdesk.Benchmarks;

/// <summary>
/// The app on the Cosmos DB test server of the test suite (tools/cosmos-test-server, started once
/// per run on 127.0.0.1 and stopped when the process exits), one database per app.
/// </summary>
internal static class BenchCosmos
{
    public static BenchApp App(string dataFolder, string database)
    {
        var (server, client) = SharedCosmosServer.Get();
        return new BenchApp(
            dataFolder,
            settings: new Dictionary<string, string?>
            {
                ["Storage:Provider"] = "cosmos",
                ["Storage:Cosmos:Endpoint"] = server.Endpoint.ToString(),
                ["Storage:Cosmos:Database"] = database,
            },
            services: services => services.AddSingleton(client));
    }
}
