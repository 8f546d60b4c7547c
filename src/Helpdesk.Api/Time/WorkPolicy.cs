using Helpdesk.Api.Auth;
using Helpdesk.Api.Common;
using Helpdesk.Domain.Common;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Time;

/// <summary>Who may change recorded work (time entries, cost lines), and the time-tracking settings those writes follow.</summary>
public sealed class WorkPolicy(Caller caller, IOptions<TimeOptions> options)
{
    public TimeOptions Options => options.Value;

    /// <summary>An entry is changed by its author or by a supervisor.</summary>
    public bool MayChange(Actor actor, string agentId) => caller.User.IsSupervisor || agentId == actor.Id;

    public bool IsSupervisor => caller.User.IsSupervisor;

    /// <summary>Null when <paramref name="actor"/> may change the work of <paramref name="agentId"/>, else the 403.</summary>
    public ProblemDetails? Refuse(Actor actor, string agentId) => MayChange(actor, agentId) ? null : NotAuthor();

    public static ProblemDetails NotAuthor() =>
        Problems.Create(StatusCodes.Status403Forbidden, ProblemTypes.Rule("not-entry-author"), "Only the author of an entry or a supervisor may change it.", null);
}
