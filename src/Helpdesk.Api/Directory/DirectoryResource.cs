using FluentValidation;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Common;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Helpdesk.Api.Directory;

/// <summary>
/// The CRUD surface shared by accounts, contacts, agents and teams: staff read, admins write
/// (or the resource's <see cref="WritePolicy"/>).
/// Writes state the version they read (If-Match). DELETE deactivates rather than erases, because
/// tickets and history keep pointing at the entry.
/// </summary>
internal abstract class DirectoryResource<TEntity, TRequest>
    where TEntity : class
    where TRequest : class
{
    public abstract DirectoryKind<TEntity> Kind { get; }

    protected abstract string IdPrefix { get; }

    /// <summary>Who may create, replace and deactivate entries: admins, unless a resource says otherwise.</summary>
    protected virtual string WritePolicy => Policies.Admin;

    /// <summary>Builds the entry from a validated request, or names the fields that refer to missing entries.</summary>
    protected abstract Task<IDictionary<string, string[]>?> CheckReferencesAsync(TRequest request, IDirectoryStore store, CancellationToken cancellationToken);

    protected abstract TEntity Build(string id, TRequest request);

    protected abstract TEntity Deactivate(TEntity entry);

    /// <summary>The entry a replace stores: built from the request, unless the kind keeps something the request cannot say.</summary>
    protected virtual TEntity Rebuild(TEntity existing, TRequest request) => Build(Kind.Id(existing), request);

    public void Map(RouteGroupBuilder api, string path)
    {
        var group = api.MapGroup(path).WithTags(path.TrimStart('/'));
        // Handlers whose parameters or results use the type parameters are passed as Delegate:
        // the ASP.NET route analyzer crashes (AD0001) on such lambdas, and the request delegate
        // generator cannot emit code for open generic types (it would name TEntity), so these
        // routes are the ones bound at run time (RDG002) while every other route is generated.
#pragma warning disable RDG002
        Delegate list = (IDirectoryStore store, string? q, int? limit, string? cursor, CancellationToken ct) => ListAsync(store, q, limit, cursor, ct);
        Delegate get = (string id, IDirectoryStore store, HttpResponse response, CancellationToken ct) => GetAsync(id, store, response, ct);
        Delegate create = (TRequest request, IDirectoryStore store, IEnumerable<IDirectoryChanges<TEntity>> changes, TimeProvider clock, HttpResponse response, CancellationToken ct) => CreateAsync(request, store, changes, clock, response, ct);
        Delegate replace = (string id, TRequest request, IDirectoryStore store, IEnumerable<IDirectoryChanges<TEntity>> changes, HttpRequest http, HttpResponse response, CancellationToken ct) => ReplaceAsync(id, request, store, changes, http, response, ct);
        Delegate delete = (string id, IDirectoryStore store, IEnumerable<IDirectoryChanges<TEntity>> changes, HttpRequest http, CancellationToken ct) => DeleteAsync(id, store, changes, http, ct);
        group.MapGet("/", list).RequireAuthorization(Policies.Staff);
        group.MapGet("/{id}", get).RequireAuthorization(Policies.Staff);
        group.MapPost("/", create).RequireAuthorization(WritePolicy).Validate<TRequest>()
            .ProducesProblems(StatusCodes.Status409Conflict);
        group.MapPut("/{id}", replace).RequireAuthorization(WritePolicy).Validate<TRequest>()
            .ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status412PreconditionFailed, StatusCodes.Status428PreconditionRequired);
        group.MapDelete("/{id}", delete).RequireAuthorization(WritePolicy)
            .ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status412PreconditionFailed, StatusCodes.Status428PreconditionRequired);
#pragma warning restore RDG002
    }

    private static async Task ChangedAsync(IEnumerable<IDirectoryChanges<TEntity>> changes, CancellationToken cancellationToken)
    {
        foreach (var change in changes)
        {
            await change.ChangedAsync(cancellationToken);
        }
    }

    private async Task<Results<Ok<Page<TEntity>>, ApiProblem>> ListAsync(IDirectoryStore store, string? q, int? limit, string? cursor, CancellationToken cancellationToken)
    {
        if (Paging.LimitProblem(limit) is { } refused)
        {
            return new ApiProblem(refused);
        }

        var page = await store.ListAsync(Kind, q, limit ?? Paging.DefaultLimit, cursor, cancellationToken);
        return TypedResults.Ok(page.Map(v => v.Value));
    }

    private async Task<Results<Ok<TEntity>, ApiProblem>> GetAsync(string id, IDirectoryStore store, HttpResponse response, CancellationToken cancellationToken)
    {
        var found = await store.FindAsync(Kind, id, cancellationToken);
        if (found is null)
        {
            return new ApiProblem(Problems.Missing(Kind.Name));
        }

        ETags.Set(response, found.Version);
        return TypedResults.Ok(found.Value);
    }

    private async Task<Results<Created<TEntity>, ApiProblem>> CreateAsync(TRequest request, IDirectoryStore store, IEnumerable<IDirectoryChanges<TEntity>> changes, TimeProvider clock, HttpResponse response, CancellationToken cancellationToken)
    {
        if (await CheckReferencesAsync(request, store, cancellationToken) is { } errors)
        {
            return new ApiProblem(Problems.Validation(errors));
        }

        var entry = Build(Ids.New(IdPrefix, clock), request);
        await store.CreateAsync(Kind, entry, cancellationToken);
        await ChangedAsync(changes, cancellationToken);
        ETags.Set(response, 1);
        return TypedResults.Created($"{response.HttpContext.Request.PathBase}{response.HttpContext.Request.Path.Value?.TrimEnd('/')}/{Kind.Id(entry)}", entry);
    }

    private async Task<Results<Ok<TEntity>, ApiProblem>> ReplaceAsync(string id, TRequest request, IDirectoryStore store, IEnumerable<IDirectoryChanges<TEntity>> changes, HttpRequest http, HttpResponse response, CancellationToken cancellationToken)
    {
        var found = await store.FindAsync(Kind, id, cancellationToken);
        if (found is null)
        {
            return new ApiProblem(Problems.Missing(Kind.Name));
        }

        if (ETags.RequireMatch(http, found.Version) is { } refused)
        {
            return new ApiProblem(refused);
        }

        if (await CheckReferencesAsync(request, store, cancellationToken) is { } errors)
        {
            return new ApiProblem(Problems.Validation(errors));
        }

        var entry = Rebuild(found.Value, request);
        var version = await store.ReplaceAsync(Kind, entry, found.Version, cancellationToken);
        await ChangedAsync(changes, cancellationToken);
        ETags.Set(response, version);
        return TypedResults.Ok(entry);
    }

    private async Task<Results<NoContent, ApiProblem>> DeleteAsync(string id, IDirectoryStore store, IEnumerable<IDirectoryChanges<TEntity>> changes, HttpRequest http, CancellationToken cancellationToken)
    {
        var found = await store.FindAsync(Kind, id, cancellationToken);
        if (found is null)
        {
            return new ApiProblem(Problems.Missing(Kind.Name));
        }

        if (ETags.RequireMatch(http, found.Version) is { } refused)
        {
            return new ApiProblem(refused);
        }

        await store.ReplaceAsync(Kind, Deactivate(found.Value), found.Version, cancellationToken);
        await ChangedAsync(changes, cancellationToken);
        return TypedResults.NoContent();
    }
}

/// <summary>Runs after every successful create, replace or deactivation of an entry of the kind (caches, derived data); the capability that owns the kind registers it.</summary>
public interface IDirectoryChanges<TEntity>
{
    Task ChangedAsync(CancellationToken cancellationToken);
}

internal static class DirectoryChecks
{
    public static async Task<bool> Exists<T>(IDirectoryStore store, DirectoryKind<T> kind, string id, CancellationToken cancellationToken) =>
        await store.FindAsync(kind, id, cancellationToken) is not null;

    /// <summary>The fields whose referenced entry does not exist, or null when all do.</summary>
    public static async Task<IDictionary<string, string[]>?> MissingAsync(params (string Field, Task<bool> Exists)[] references)
    {
        var errors = new Dictionary<string, string[]>();
        foreach (var (field, exists) in references)
        {
            if (!await exists)
            {
                errors[field] = ["No such entry in the directory."];
            }
        }

        return errors.Count == 0 ? null : errors;
    }
}

internal static class DirectoryRules
{
    public static IRuleBuilderOptions<T, string?> ValidEmail<T>(this IRuleBuilder<T, string?> rule) =>
        rule.NotEmpty().MaximumLength(254).EmailAddress();
}
