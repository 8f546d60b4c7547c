using FluentValidation;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Common;
using Helpdesk.Api.Storage;
using Helpdesk.Api.Storage.Sqlite;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Knowledge;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Helpdesk.Api.Knowledge;

public sealed record ResolutionRequest(string? Details, bool? Publish, string? ArticleTitle, IReadOnlyList<string>? Tags, bool? EmailContact);

public sealed record ArticleRequest(string? Title, string? Body, IReadOnlyList<string>? Tags, bool? Published);

internal sealed class ResolutionValidator : AbstractValidator<ResolutionRequest>
{
    public ResolutionValidator()
    {
        RuleFor(r => r.Details).NotEmpty().MaximumLength(Resolution.MaxDetailsLength);
        RuleFor(r => r.ArticleTitle).MaximumLength(KbArticle.MaxTitleLength);
        RuleFor(r => r.Tags).Must(t => t is null || t.Count <= KbArticle.MaxTags).WithMessage($"At most {KbArticle.MaxTags} tags.");
        RuleForEach(r => r.Tags).NotEmpty().MaximumLength(KbArticle.MaxTagLength);
    }
}

internal sealed class ArticleValidator : AbstractValidator<ArticleRequest>
{
    public ArticleValidator()
    {
        RuleFor(r => r.Title).NotEmpty().MaximumLength(KbArticle.MaxTitleLength);
        RuleFor(r => r.Body).NotEmpty().MaximumLength(KbArticle.MaxBodyLength);
        RuleFor(r => r.Tags).Must(t => t is null || t.Count <= KbArticle.MaxTags).WithMessage($"At most {KbArticle.MaxTags} tags.");
        RuleForEach(r => r.Tags).NotEmpty().MaximumLength(KbArticle.MaxTagLength);
    }
}

/// <summary>
/// The resolution record of a ticket (<c>PUT /api/tickets/{id}/resolution</c>), optionally published
/// as a knowledge-base article and emailed to the contact, and the knowledge base itself
/// (<c>/api/kb/articles</c>): staff write and read everything, customers read published articles.
/// </summary>
public static class KnowledgeEndpoints
{
    public static IServiceCollection AddKnowledge(this IServiceCollection services) =>
        services
            .AddSqliteMigration(SqliteKnowledgeStore.Schema.Name, SqliteKnowledgeStore.Schema.Sql)
            .AddTicketItemKind(SqliteKnowledgeStore.Resolutions, CosmosKnowledgeStore.Resolutions)
            .AddSingleton(StoreSelection.Of<IKnowledgeStore, SqliteKnowledgeStore, CosmosKnowledgeStore>());

    public static RouteGroupBuilder MapKnowledgeEndpoints(this RouteGroupBuilder api)
    {
        var resolution = api.MapGroup("/tickets/{id}/resolution").WithTags("knowledge").RequireAuthorization(Policies.Staff);
        resolution.MapGet("/", GetResolutionAsync).WithName("GetResolution")
            .Produces<Resolution>().ProducesProblems(StatusCodes.Status404NotFound);
        resolution.MapPut("/", PutResolutionAsync).Validate<ResolutionRequest>().WithName("PutResolution")
            .Produces<Resolution>().Produces<Resolution>(StatusCodes.Status201Created)
            .ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status412PreconditionFailed, StatusCodes.Status428PreconditionRequired);

        var articles = api.MapGroup("/kb/articles").WithTags("knowledge");
        articles.MapGet("/", SearchAsync).RequireAuthorization(p => p.RequireRole(Roles.All)).WithName("SearchArticles")
            .Produces<Page<KbArticle>>();
        articles.MapGet("/{articleId}", GetArticleAsync).RequireAuthorization(p => p.RequireRole(Roles.All)).WithName("GetArticle")
            .Produces<KbArticle>().ProducesProblems(StatusCodes.Status404NotFound);
        articles.MapPost("/", CreateArticleAsync).RequireAuthorization(Policies.Staff).Validate<ArticleRequest>().WithName("CreateArticle");
        articles.MapPut("/{articleId}", UpdateArticleAsync).RequireAuthorization(Policies.Staff).Validate<ArticleRequest>().WithName("UpdateArticle")
            .Produces<KbArticle>().ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status412PreconditionFailed, StatusCodes.Status428PreconditionRequired);
        return api;
    }

    private static async Task<IResult> GetResolutionAsync(string id, IKnowledgeStore store, HttpResponse response, CancellationToken ct)
    {
        var found = await store.FindResolutionAsync(id, ct);
        if (found is null)
        {
            return Problems.NotFound("resolution");
        }

        ETags.Set(response, found.Version);
        return TypedResults.Ok(found.Value);
    }

    /// <summary>
    /// Creates the ticket's resolution record, or replaces it (If-Match required then): there is
    /// exactly one. Publishing writes the article first; a refused ticket write takes it back.
    /// </summary>
    private static async Task<IResult> PutResolutionAsync(string id, ResolutionRequest request, TicketRunner runner, Caller caller, IKnowledgeStore store, HttpContext http, CancellationToken ct)
    {
        var created = false;
        return (await runner.RunAsync<Versioned<Resolution>>(
            id,
            await caller.ActorAsync(ct),
            TicketPrecondition.None,
            async c =>
            {
                var current = await store.FindResolutionAsync(id, ct);
                var refused = current is null ? ETags.CheckIfSent(http.Request, 0) : ETags.RequireMatch(http.Request, current.Version);
                if (refused is not null)
                {
                    return refused;
                }

                string? articleId = null;
                if (request.Publish == true)
                {
                    var existing = current?.Value.ArticleId is { } publishedId ? await store.FindArticleAsync(publishedId, ct) : null;
                    var written = KbArticle.Write(
                        existing?.Value,
                        existing?.Value.Id ?? Ids.New("kba", c.Now),
                        request.ArticleTitle ?? existing?.Value.Title ?? c.Ticket.Subject,
                        request.Details!,
                        request.Tags ?? existing?.Value.Tags ?? c.Ticket.Tags,
                        published: true,
                        id,
                        c.Actor.Id,
                        c.Now);
                    var write = await store.SaveArticleAsync(existing is null ? new Versioned<KbArticle>(written, 0) : existing with { Value = written }, ct);
                    c.TakeBackIfRefused(() => store.TakeBackAsync(write, CancellationToken.None));
                    articleId = written.Id;
                }

                var resolution = Resolution.Write(current?.Value, id, request.Details!, articleId, c.Actor.Id, c.Now);
                c.Ticket.RecordResolution(current?.Value, resolution, request.EmailContact ?? false, c.Actor, c.Now);
                c.Write(TicketItemWrite.Put(TicketItemKinds.Resolution, id, new Versioned<Resolution>(resolution, current?.Version ?? 0)));
                created = current is null;
                return new Versioned<Resolution>(resolution, (current?.Version ?? 0) + 1);
            },
            ct)).ToResult(resolution =>
            {
                ETags.Set(http.Response, resolution.Version);
                return created
                    ? TypedResults.Created($"/api/tickets/{id}/resolution", resolution.Value)
                    : TypedResults.Ok(resolution.Value);
            });
    }

    private static async Task<IResult> SearchAsync(IKnowledgeStore store, CurrentUser user, string? q, string? tag, int? limit, string? cursor, CancellationToken ct)
    {
        if (Paging.RefuseLimit(limit) is { } refused)
        {
            return refused;
        }

        return TypedResults.Ok(await store.SearchAsync(q, tag, publishedOnly: !user.IsStaff, limit ?? Paging.DefaultLimit, cursor, ct));
    }

    private static async Task<IResult> GetArticleAsync(string articleId, IKnowledgeStore store, CurrentUser user, HttpResponse response, CancellationToken ct)
    {
        var found = await store.FindArticleAsync(articleId, ct);
        if (found is null || (!user.IsStaff && !found.Value.Published))
        {
            return Problems.NotFound("article");
        }

        ETags.Set(response, found.Version);
        return TypedResults.Ok(found.Value);
    }

    private static async Task<Created<KbArticle>> CreateArticleAsync(ArticleRequest request, IKnowledgeStore store, Caller caller, TimeProvider clock, HttpResponse response, CancellationToken ct)
    {
        var by = await caller.ActorAsync(ct);
        var article = KbArticle.Write(null, Ids.New("kba", clock), request.Title!, request.Body!, request.Tags ?? [], request.Published ?? false, null, by.Id, clock.GetUtcNow());
        await store.SaveArticleAsync(new Versioned<KbArticle>(article, 0), ct);
        ETags.Set(response, 1);
        return TypedResults.Created($"/api/kb/articles/{article.Id}", article);
    }

    private static async Task<IResult> UpdateArticleAsync(string articleId, ArticleRequest request, IKnowledgeStore store, TimeProvider clock, HttpContext http, CancellationToken ct)
    {
        var found = await store.FindArticleAsync(articleId, ct);
        if (found is null)
        {
            return Problems.NotFound("article");
        }

        if (ETags.RequireMatch(http.Request, found.Version) is { } refused)
        {
            return Problems.Result(refused);
        }

        var article = KbArticle.Write(found.Value, articleId, request.Title!, request.Body!, request.Tags ?? found.Value.Tags, request.Published ?? found.Value.Published, found.Value.SourceTicketId, found.Value.CreatedBy, clock.GetUtcNow());
        await store.SaveArticleAsync(found with { Value = article }, ct);
        ETags.Set(http.Response, found.Version + 1);
        return TypedResults.Ok(article);
    }
}
