using Helpdesk.Api.Auth;
using Helpdesk.Api.Directory;
using Helpdesk.Api.Storage;
using Microsoft.IdentityModel.Tokens;

namespace Helpdesk.Api.Hosting;

/// <summary>
/// The web console's development sign-in: lists the staff and customers of the directory and
/// issues the same token as the <c>token</c> command. Mapped only in the Development environment
/// and only when a development signing key is configured (as the command needs), so a deployed
/// API never mints tokens; kept out of the OpenAPI document so that the document and the client
/// generated from it are the same in every environment.
/// </summary>
public static class DevelopmentSignIn
{
    public const string Route = "/dev/sign-in";
    private const int ListLimit = 50;
    private static readonly TimeSpan Lifetime = TimeSpan.FromHours(8);

    public sealed record Person(string User, string Name, string Role, string? ContactId, string? AccountId);

    public sealed record People(IReadOnlyList<Person> Staff, IReadOnlyList<Person> Customers);

    public sealed record SignInRequest(string? User, string? Role, string? ContactId);

    public sealed record SignInToken(string Token, DateTimeOffset ExpiresAt);

    public static RouteGroupBuilder MapDevelopmentSignIn(this RouteGroupBuilder api, WebApplication app)
    {
        if (!app.Environment.IsDevelopment())
        {
            return api;
        }

        var auth = app.Configuration.GetSection(AuthOptions.Section).Get<AuthOptions>() ?? new AuthOptions();
        var storage = app.Configuration.GetSection(StorageOptions.Section).Get<StorageOptions>() ?? new StorageOptions();
        if (DevelopmentTokens.LoadKey(auth, storage.ResolvedDataFolder) is not { } key)
        {
            return api;
        }

        var group = api.MapGroup(Route).AllowAnonymous().ExcludeFromDescription();
        group.MapGet("/", ListAsync);
        group.MapPost("/", (SignInRequest request, TimeProvider clock) => Issue(key, request, clock));
        return api;
    }

    private static async Task<People> ListAsync(IDirectoryStore directory, CancellationToken cancellationToken)
    {
        var agents = await directory.ListAsync(DirectoryKinds.Agent, null, ListLimit, null, cancellationToken);
        var contacts = await directory.ListAsync(DirectoryKinds.Contact, null, ListLimit, null, cancellationToken);
        return new People(
            [.. agents.Items.Select(a => a.Value).Where(a => a.Active)
                .Select(a => new Person(a.Email, a.Name, a.Roles.FirstOrDefault(Roles.All.Contains) ?? Roles.Agent, null, null))],
            [.. contacts.Items.Select(c => c.Value).Where(c => c.Active)
                .Select(c => new Person(c.Email, c.Name ?? c.Email, Roles.Customer, c.Id, c.AccountId))]);
    }

    private static IResult Issue(SecurityKey key, SignInRequest request, TimeProvider clock)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(request.User))
        {
            errors["user"] = ["The user's email is required."];
        }

        if (request.Role is null || !Roles.All.Contains(request.Role))
        {
            errors["role"] = [$"The role must be one of {string.Join(", ", Roles.All)}."];
        }
        else if (request.Role == Roles.Customer && string.IsNullOrWhiteSpace(request.ContactId))
        {
            errors["contactId"] = ["A customer token needs the contact id."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var now = clock.GetUtcNow();
        var contact = request.Role == Roles.Customer ? request.ContactId : null;
        return TypedResults.Ok(new SignInToken(DevelopmentTokens.Create(key, request.User!, request.Role!, contact, now, Lifetime), now.Add(Lifetime)));
    }
}
