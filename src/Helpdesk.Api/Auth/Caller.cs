using Helpdesk.Domain.Common;
using Helpdesk.Domain.Directory;

namespace Helpdesk.Api.Auth;

/// <summary>Finds the directory's agent behind a staff token (by its email), for <see cref="Caller"/>; the directory implements it.</summary>
public interface IAgentLookup
{
    Task<Agent?> FindByEmailAsync(string email, CancellationToken cancellationToken);
}

/// <summary>
/// The calling user as the ticket rules see them: their directory agent (found once per request
/// by the token's email) and the actor recorded in history.
/// </summary>
public sealed class Caller(CurrentUser user, IAgentLookup agents)
{
    private Agent? _agent;
    private bool _looked;

    public CurrentUser User => user;

    public async Task<Agent?> AgentAsync(CancellationToken cancellationToken)
    {
        if (!_looked)
        {
            _agent = user.Email is null ? null : await agents.FindByEmailAsync(user.Email, cancellationToken);
            _looked = true;
        }

        return _agent is { Active: true } ? _agent : null;
    }

    public async Task<Actor> ActorAsync(CancellationToken cancellationToken) =>
        user.IsStaff
            ? Actor.Agent((await AgentAsync(cancellationToken))?.Id ?? user.Subject)
            : Actor.Customer(user.ContactId ?? user.Subject);
}
