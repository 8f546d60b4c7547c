using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Azure.Cosmos;

namespace Helpdesk.Api.Tests.Packaging;

/// <summary>
/// Container definitions as infra-bicep/modules/cosmos.bicep reads them (cosmos-containers.json):
/// name, partition key path, default TTL (null = off) and the indexing policy in the ARM shape.
/// </summary>
internal static class BicepContainers
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static string Of(IEnumerable<ContainerProperties> containers)
    {
        var list = new JsonArray();
        foreach (var c in containers)
        {
            var policy = c.IndexingPolicy;
            list.Add(new JsonObject
            {
                ["name"] = c.Id,
                ["partitionKey"] = c.PartitionKeyPath,
                ["defaultTtl"] = c.DefaultTimeToLive is { } ttl ? JsonValue.Create(ttl) : null,
                ["indexingPolicy"] = new JsonObject
                {
                    ["indexingMode"] = policy.IndexingMode.ToString().ToLowerInvariant(),
                    ["includedPaths"] = Paths(policy.IncludedPaths.Select(p => p.Path)),
                    ["excludedPaths"] = Paths(policy.ExcludedPaths.Select(p => p.Path)),
                    ["compositeIndexes"] = new JsonArray([.. policy.CompositeIndexes.Select(composite => (JsonNode)new JsonArray([.. composite.Select(p => (JsonNode)new JsonObject
                    {
                        ["path"] = p.Path,
                        ["order"] = p.Order.ToString().ToLowerInvariant(),
                    })]))]),
                },
            });
        }

        return list.ToJsonString(Indented).ReplaceLineEndings("\n") + "\n";
    }

    private static JsonArray Paths(IEnumerable<string> paths) =>
        new([.. paths.Select(path => (JsonNode)new JsonObject { ["path"] = path })]);
}
