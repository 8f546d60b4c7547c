namespace Helpdesk.Domain.Directory;

/// <summary>
/// A customer organisation; mail from one of its domains is linked to it. <see cref="Address"/>
/// is where its on-site interventions take place unless one says otherwise.
/// </summary>
public sealed record Account(string Id, string Name, IReadOnlyList<string> Domains, bool Active, string? Address = null);

/// <summary>
/// A person at a customer who opens tickets; the email is unique, compared case-insensitively.
/// <see cref="Language"/> (en, fr) is the language the emails about their tickets are written in.
/// </summary>
public sealed record Contact(string Id, string Email, string? Name, string? AccountId, bool Active, string? Language = null);

/// <summary>
/// Someone not yet a customer (Axelor's lead): a name, an email and the company they speak for,
/// with no account. Tickets can be opened for them; converting makes them a contact of an account
/// (<see cref="ConvertedToContactId"/>), and their tickets follow.
/// </summary>
public sealed record Lead(string Id, string Email, string? Name, string? CompanyName, bool Active, string? ConvertedToContactId = null, DateTimeOffset? ConvertedAt = null);

/// <summary>A member of the support staff.</summary>
public sealed record Agent(string Id, string Email, string Name, IReadOnlyList<string> TeamIds, IReadOnlyList<string> Roles, bool Active);

/// <summary>A group of agents that tickets can be assigned to.</summary>
public sealed record Team(string Id, string Name, string? LeadAgentId, bool Active);

public static class EmailAddresses
{
    /// <summary>The form every email is compared in: trimmed, lower-case (RFC 5321 local parts are case-sensitive in theory, never in practice).</summary>
    public static string Normalize(string email) => email.Trim().ToLowerInvariant();

    public static string? DomainOf(string email)
    {
        var at = email.LastIndexOf('@');
        return at < 0 || at == email.Length - 1 ? null : Normalize(email[(at + 1)..]);
    }
}
