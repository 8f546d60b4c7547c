namespace Helpdesk.Domain.Common;

public enum ActorType
{
    Agent,
    Customer,
    System,
}

/// <summary>Who did something: recorded on every history entry and event.</summary>
public sealed record Actor(ActorType Type, string Id)
{
    public static Actor System(string id) => new(ActorType.System, id);

    public static Actor Agent(string id) => new(ActorType.Agent, id);

    public static Actor Customer(string id) => new(ActorType.Customer, id);
}
