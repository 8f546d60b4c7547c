namespace Helpdesk.Api.Auth;

public static class Roles
{
    public const string Agent = "agent";
    public const string Supervisor = "supervisor";
    public const string Admin = "admin";
    public const string Customer = "customer";

    public static readonly IReadOnlyList<string> All = [Agent, Supervisor, Admin, Customer];
}

/// <summary>Authorization policies; a route group names one, never a list of roles.</summary>
public static class Policies
{
    /// <summary>Support staff: agents, supervisors and admins.</summary>
    public const string Staff = "staff";
    public const string Supervisor = "supervisor";
    public const string Admin = "admin";
    public const string Customer = "customer";
}
