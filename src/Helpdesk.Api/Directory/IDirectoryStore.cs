using Helpdesk.Api.Common;
using Helpdesk.Domain.Directory;

namespace Helpdesk.Api.Directory;

/// <summary>
/// How a kind of directory entry is stored: its name, id, the text searched by <c>q</c>, and the
/// keys that must be unique across entries of the kind (contact and agent emails, account domains).
/// </summary>
public sealed record DirectoryKind<T>(string Name, Func<T, string> Id, Func<T, string> SearchText, string KeyField, Func<T, IEnumerable<string>> Keys);

public static class DirectoryKinds
{
    public static readonly DirectoryKind<Account> Account =
        new("account", a => a.Id, a => $"{a.Name} {string.Join(' ', a.Domains)}", "domains", a => a.Domains.Select(EmailAddresses.Normalize));

    public static readonly DirectoryKind<Contact> Contact =
        new("contact", c => c.Id, c => $"{c.Name} {c.Email}", "email", c => [EmailAddresses.Normalize(c.Email)]);

    public static readonly DirectoryKind<Lead> Lead =
        new("lead", l => l.Id, l => $"{l.Name} {l.Email} {l.CompanyName}", "email", l => [EmailAddresses.Normalize(l.Email)]);

    public static readonly DirectoryKind<Agent> Agent =
        new("agent", a => a.Id, a => $"{a.Name} {a.Email}", "email", a => [EmailAddresses.Normalize(a.Email)]);

    public static readonly DirectoryKind<Team> Team =
        new("team", t => t.Id, t => t.Name, "name", _ => []);
}

/// <summary>Accounts, contacts, agents and teams. Writes are guarded by version; unique keys by the store.</summary>
public interface IDirectoryStore
{
    Task<Versioned<T>?> FindAsync<T>(DirectoryKind<T> kind, string id, CancellationToken cancellationToken);

    /// <summary>Finds by a unique key (a normalized email or domain).</summary>
    Task<T?> FindByKeyAsync<T>(DirectoryKind<T> kind, string key, CancellationToken cancellationToken)
        where T : class;

    Task<Page<Versioned<T>>> ListAsync<T>(DirectoryKind<T> kind, string? text, int limit, string? cursor, CancellationToken cancellationToken);

    /// <summary>Throws <see cref="UniqueConstraintException"/> when a unique key is taken.</summary>
    Task CreateAsync<T>(DirectoryKind<T> kind, T entry, CancellationToken cancellationToken);

    /// <summary>Returns the new version; throws <see cref="ConcurrencyConflictException"/> when stale.</summary>
    Task<long> ReplaceAsync<T>(DirectoryKind<T> kind, T entry, long expectedVersion, CancellationToken cancellationToken);
}

/// <summary>The agent behind a staff token, from the directory (by normalised email).</summary>
internal sealed class DirectoryAgentLookup(IDirectoryStore directory) : Auth.IAgentLookup
{
    public Task<Domain.Directory.Agent?> FindByEmailAsync(string email, CancellationToken cancellationToken) =>
        directory.FindByKeyAsync(DirectoryKinds.Agent, EmailAddresses.Normalize(email), cancellationToken);
}
