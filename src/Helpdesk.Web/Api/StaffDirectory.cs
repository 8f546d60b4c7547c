namespace Helpdesk.Web.Api;

/// <summary>
/// The agents' and teams' names by id, each read once per session (GET /api/agents, GET /api/teams)
/// and kept: a ticket page, its history and a view's filters name the people and teams behind ids
/// without one request per id.
/// </summary>
public sealed class StaffDirectory(ApiCalls api)
{
    private Task<IReadOnlyDictionary<string, AgentItem>>? _agents;
    private Task<IReadOnlyList<TeamItem>>? _teams;

    public async Task<IReadOnlyList<AgentItem>> ActiveAgentsAsync() =>
        [.. (await LoadAgentsAsync()).Values.Where(a => a.Active).OrderBy(a => a.Name, StringComparer.CurrentCulture)];

    public async Task<IReadOnlyList<TeamItem>> ActiveTeamsAsync() =>
        [.. (await LoadTeamsAsync()).Where(t => t.Active).OrderBy(t => t.Name, StringComparer.CurrentCulture)];

    /// <summary>After an admin changed the teams: the next reader asks the API again.</summary>
    public void ForgetTeams() => _teams = null;

    /// <summary>After an admin changed the agents: the next reader asks the API again.</summary>
    public void ForgetAgents() => _agents = null;

    /// <summary>The agent's name, else the id itself (a removed agent, or an id from another directory).</summary>
    public async Task<string> NameOfAsync(string? agentId) =>
        agentId is null ? string.Empty
        : (await LoadAgentsAsync()).TryGetValue(agentId, out var agent) ? agent.Name : agentId;

    private Task<IReadOnlyDictionary<string, AgentItem>> LoadAgentsAsync() => _agents ??= ForgetOnFailure(FetchAgentsAsync(), () => _agents = null);

    private Task<IReadOnlyList<TeamItem>> LoadTeamsAsync() => _teams ??= ForgetOnFailure(FetchTeamsAsync(), () => _teams = null);

    private async Task<IReadOnlyDictionary<string, AgentItem>> FetchAgentsAsync() =>
        (await api.AgentsAsync(CancellationToken.None)).Items.ToDictionary(a => a.Id, StringComparer.Ordinal);

    private async Task<IReadOnlyList<TeamItem>> FetchTeamsAsync() =>
        (await api.TeamsAsync(CancellationToken.None)).Items;

    /// <summary>A failed read is not kept: the next caller asks the API again.</summary>
    private static async Task<T> ForgetOnFailure<T>(Task<T> read, Action forget)
    {
        try
        {
            return await read;
        }
        catch
        {
            forget();
            throw;
        }
    }
}
