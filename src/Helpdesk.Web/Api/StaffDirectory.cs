namespace Helpdesk.Web.Api;

/// <summary>
/// The agents' names by id, read once per session (GET /api/agents) and kept: a ticket page and
/// its history name the people behind ids without one request per id.
/// </summary>
public sealed class StaffDirectory(ApiCalls api)
{
    private Task<IReadOnlyDictionary<string, AgentItem>>? _agents;

    public async Task<IReadOnlyList<AgentItem>> ActiveAgentsAsync() =>
        [.. (await LoadAsync()).Values.Where(a => a.Active).OrderBy(a => a.Name, StringComparer.CurrentCulture)];

    /// <summary>The agent's name, else the id itself (a removed agent, or an id from another directory).</summary>
    public async Task<string> NameOfAsync(string? agentId) =>
        agentId is null ? string.Empty
        : (await LoadAsync()).TryGetValue(agentId, out var agent) ? agent.Name : agentId;

    private Task<IReadOnlyDictionary<string, AgentItem>> LoadAsync() => _agents ??= FetchAsync();

    private async Task<IReadOnlyDictionary<string, AgentItem>> FetchAsync()
    {
        try
        {
            var page = await api.AgentsAsync(CancellationToken.None);
            return page.Items.ToDictionary(a => a.Id, StringComparer.Ordinal);
        }
        catch
        {
            _agents = null;
            throw;
        }
    }
}
