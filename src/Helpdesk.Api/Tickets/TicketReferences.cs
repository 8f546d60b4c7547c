using Helpdesk.Api.Common;
using Helpdesk.Api.Directory;
using Helpdesk.Domain.Directory;

namespace Helpdesk.Api.Tickets;

/// <summary>Resolves and checks the directory entries a ticket points at.</summary>
public sealed class TicketReferences(IDirectoryStore directory, TimeProvider clock)
{
    /// <summary>
    /// The contact with this email (case-insensitive), or a new one linked to the account whose
    /// domain matches. Two requests racing to create the same contact end with one contact.
    /// </summary>
    public async Task<Contact> FindOrCreateContactAsync(string email, string? name, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var key = EmailAddresses.Normalize(email);
        var existing = await directory.FindByKeyAsync(DirectoryKinds.Contact, key, cancellationToken);
        if (existing is not null)
        {
            return existing;
        }

        var domain = EmailAddresses.DomainOf(key);
        var account = domain is null ? null : await directory.FindByKeyAsync(DirectoryKinds.Account, domain, cancellationToken);
        var contact = new Contact(Ids.New("con", clock), email.Trim(), string.IsNullOrWhiteSpace(name) ? null : name.Trim(), account?.Id, Active: true);
        try
        {
            await directory.CreateAsync(DirectoryKinds.Contact, contact, cancellationToken);
            return contact;
        }
        catch (UniqueConstraintException)
        {
            return await directory.FindByKeyAsync(DirectoryKinds.Contact, key, cancellationToken)
                ?? throw new InvalidOperationException($"Contact {key} vanished while being created.");
        }
    }

    /// <summary>Adds an error for an agent or team that does not exist or is inactive.</summary>
    public async Task CheckAssignmentAsync(string? agentId, string? teamId, Dictionary<string, string[]> errors, string agentField, string teamField, CancellationToken cancellationToken)
    {
        if (agentId is not null && (await directory.FindAsync(DirectoryKinds.Agent, agentId, cancellationToken))?.Value is not { Active: true })
        {
            errors[agentField] = ["No active agent with this id."];
        }

        if (teamId is not null && (await directory.FindAsync(DirectoryKinds.Team, teamId, cancellationToken))?.Value is not { Active: true })
        {
            errors[teamField] = ["No active team with this id."];
        }
    }
}
