using FluentValidation;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Common;
using Helpdesk.Api.Storage;
using Helpdesk.Domain.Directory;

namespace Helpdesk.Api.Directory;

public sealed record AccountRequest(string? Name, IReadOnlyList<string>? Domains, bool? Active, string? Address = null);

public sealed record ContactRequest(string? Email, string? Name, string? AccountId, bool? Active, string? Language = null);

public sealed record LeadRequest(string? Email, string? Name, string? CompanyName, bool? Active);

public sealed record AgentRequest(string? Email, string? Name, IReadOnlyList<string>? TeamIds, IReadOnlyList<string>? Roles, bool? Active);

public sealed record TeamRequest(string? Name, string? LeadAgentId, bool? Active);

internal sealed class AccountRequestValidator : AbstractValidator<AccountRequest>
{
    public AccountRequestValidator()
    {
        RuleFor(r => r.Name).NotEmpty().MaximumLength(200);
        RuleFor(r => r.Address).MaximumLength(Domain.Work.Intervention.MaxAddressLength);
        RuleForEach(r => r.Domains).NotEmpty().MaximumLength(253)
            .Matches(@"^(?=.{1,253}$)([a-zA-Z0-9-]{1,63}\.)+[a-zA-Z]{2,63}$").WithMessage("'{PropertyValue}' is not a domain name.");
    }
}

internal sealed class ContactRequestValidator : AbstractValidator<ContactRequest>
{
    public ContactRequestValidator()
    {
        RuleFor(r => r.Email).ValidEmail();
        RuleFor(r => r.Name).MaximumLength(200);
        RuleFor(r => r.Language).Must(l => Languages.IsSupported(l!.Trim().ToLowerInvariant()))
            .When(r => !string.IsNullOrWhiteSpace(r.Language))
            .WithMessage($"The language is one of: {string.Join(", ", Languages.All)}.");
    }
}

internal sealed class LeadRequestValidator : AbstractValidator<LeadRequest>
{
    public LeadRequestValidator()
    {
        RuleFor(r => r.Email).ValidEmail();
        RuleFor(r => r.Name).MaximumLength(200);
        RuleFor(r => r.CompanyName).MaximumLength(200);
    }
}

internal sealed class AgentRequestValidator : AbstractValidator<AgentRequest>
{
    public AgentRequestValidator()
    {
        RuleFor(r => r.Email).ValidEmail();
        RuleFor(r => r.Name).NotEmpty().MaximumLength(200);
        RuleForEach(r => r.Roles).Must(role => role is Auth.Roles.Agent or Auth.Roles.Supervisor or Auth.Roles.Admin)
            .WithMessage("A staff role is agent, supervisor or admin.");
    }
}

internal sealed class TeamRequestValidator : AbstractValidator<TeamRequest>
{
    public TeamRequestValidator() => RuleFor(r => r.Name).NotEmpty().MaximumLength(200);
}

internal sealed class Accounts : DirectoryResource<Account, AccountRequest>
{
    public override DirectoryKind<Account> Kind => DirectoryKinds.Account;

    protected override string IdPrefix => "acc";

    protected override Task<IDictionary<string, string[]>?> CheckReferencesAsync(AccountRequest request, IDirectoryStore store, CancellationToken cancellationToken) =>
        Task.FromResult<IDictionary<string, string[]>?>(null);

    protected override Account Build(string id, AccountRequest request) =>
        new(id, request.Name!.Trim(), (request.Domains ?? []).Select(EmailAddresses.Normalize).Distinct().ToArray(), request.Active ?? true, string.IsNullOrWhiteSpace(request.Address) ? null : request.Address.Trim());

    protected override Account Deactivate(Account entry) => entry with { Active = false };
}

internal sealed class Contacts : DirectoryResource<Contact, ContactRequest>
{
    public override DirectoryKind<Contact> Kind => DirectoryKinds.Contact;

    protected override string IdPrefix => "con";

    protected override Task<IDictionary<string, string[]>?> CheckReferencesAsync(ContactRequest request, IDirectoryStore store, CancellationToken cancellationToken) =>
        request.AccountId is null
            ? Task.FromResult<IDictionary<string, string[]>?>(null)
            : DirectoryChecks.MissingAsync(("accountId", DirectoryChecks.Exists(store, DirectoryKinds.Account, request.AccountId, cancellationToken)));

    protected override Contact Build(string id, ContactRequest request) =>
        new(id, request.Email!.Trim(), request.Name?.Trim(), request.AccountId, request.Active ?? true, string.IsNullOrWhiteSpace(request.Language) ? null : request.Language.Trim().ToLowerInvariant());

    protected override Contact Deactivate(Contact entry) => entry with { Active = false };
}

/// <summary>
/// Leads: staff register them (an agent taking a call from someone unknown), since they are
/// where a ticket for a not-yet-customer starts. Someone already a contact is no lead. A replace
/// keeps a converted lead's conversion; converting is <c>POST /api/leads/{id}/convert</c>.
/// </summary>
internal sealed class Leads : DirectoryResource<Lead, LeadRequest>
{
    public override DirectoryKind<Lead> Kind => DirectoryKinds.Lead;

    protected override string IdPrefix => "led";

    protected override string WritePolicy => Policies.Staff;

    protected override async Task<IDictionary<string, string[]>?> CheckReferencesAsync(LeadRequest request, IDirectoryStore store, CancellationToken cancellationToken) =>
        await store.FindByKeyAsync(DirectoryKinds.Contact, EmailAddresses.Normalize(request.Email!), cancellationToken) is { } contact
            ? new Dictionary<string, string[]> { ["email"] = [$"Contact {contact.Id} has this email: open the ticket for the contact."] }
            : null;

    protected override Lead Build(string id, LeadRequest request) =>
        new(id, request.Email!.Trim(), Clean(request.Name), Clean(request.CompanyName), request.Active ?? true);

    protected override Lead Rebuild(Lead existing, LeadRequest request) =>
        Build(existing.Id, request) with { ConvertedToContactId = existing.ConvertedToContactId, ConvertedAt = existing.ConvertedAt };

    protected override Lead Deactivate(Lead entry) => entry with { Active = false };

    private static string? Clean(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
}

internal sealed class Agents : DirectoryResource<Agent, AgentRequest>
{
    public override DirectoryKind<Agent> Kind => DirectoryKinds.Agent;

    protected override string IdPrefix => "agt";

    protected override async Task<IDictionary<string, string[]>?> CheckReferencesAsync(AgentRequest request, IDirectoryStore store, CancellationToken cancellationToken)
    {
        var teams = request.TeamIds ?? [];
        var checks = teams.Select((teamId, i) => ($"teamIds[{i}]", DirectoryChecks.Exists(store, DirectoryKinds.Team, teamId, cancellationToken))).ToArray();
        return await DirectoryChecks.MissingAsync(checks);
    }

    protected override Agent Build(string id, AgentRequest request) =>
        new(id, request.Email!.Trim(), request.Name!.Trim(), (request.TeamIds ?? []).Distinct().ToArray(), request.Roles is { Count: > 0 } roles ? roles.Distinct().ToArray() : [Roles.Agent], request.Active ?? true);

    protected override Agent Deactivate(Agent entry) => entry with { Active = false };
}

internal sealed class Teams : DirectoryResource<Team, TeamRequest>
{
    public override DirectoryKind<Team> Kind => DirectoryKinds.Team;

    protected override string IdPrefix => "team";

    protected override Task<IDictionary<string, string[]>?> CheckReferencesAsync(TeamRequest request, IDirectoryStore store, CancellationToken cancellationToken) =>
        request.LeadAgentId is null
            ? Task.FromResult<IDictionary<string, string[]>?>(null)
            : DirectoryChecks.MissingAsync(("leadAgentId", DirectoryChecks.Exists(store, DirectoryKinds.Agent, request.LeadAgentId, cancellationToken)));

    protected override Team Build(string id, TeamRequest request) => new(id, request.Name!.Trim(), request.LeadAgentId, request.Active ?? true);

    protected override Team Deactivate(Team entry) => entry with { Active = false };
}

public static class DirectoryEndpoints
{
    public static IServiceCollection AddDirectory(this IServiceCollection services) =>
        services
            .AddSingleton(StoreSelection.Of<IDirectoryStore, SqliteDirectoryStore, CosmosDirectoryStore>())
            .AddSingleton<IAgentLookup, DirectoryAgentLookup>();

    public static RouteGroupBuilder MapDirectoryEndpoints(this RouteGroupBuilder api)
    {
        new Accounts().Map(api, "/accounts");
        new Contacts().Map(api, "/contacts");
        new Leads().Map(api, "/leads");
        new Agents().Map(api, "/agents");
        new Teams().Map(api, "/teams");
        return api;
    }
}
