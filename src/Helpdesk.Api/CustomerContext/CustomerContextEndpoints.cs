using Helpdesk.Api.Auth;
using Helpdesk.Api.Common;
using Helpdesk.Api.Directory;
using Helpdesk.Api.Sla;
using Helpdesk.Api.Storage;
using Helpdesk.Api.Storage.Sqlite;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Tickets;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;

namespace Helpdesk.Api.CustomerContext;

public sealed record ContextContact(string Id, string Email, string? Name);

public sealed record AccountSummary(string Id, string Name, IReadOnlyList<string> Domains, IReadOnlyList<ContextContact> Contacts, int OpenTickets, int TotalTickets);

public sealed record PolicyInForce(string Id, string Name);

public sealed record PreviousTicket(string Id, string Number, string Subject, TicketStatus Status, DateTimeOffset CreatedAt, DateTimeOffset? EndAt);

/// <summary>
/// GET /api/tickets/{id}/context: what an agent wants to know about the customer while working
/// the ticket. <c>previousTickets</c> are the requester's other tickets, latest first, paged with
/// <c>limit</c> and <c>cursor</c>; <c>extensions</c> is what the configured provider (the
/// customer's CRM/ERP) answered, and <c>extensionsStatus</c> whether it answered.
/// </summary>
public sealed record CustomerContextResponse(
    string TicketId,
    RequesterResponse? Requester,
    AccountSummary? Account,
    PolicyInForce? SlaPolicy,
    Page<PreviousTicket> PreviousTickets,
    IReadOnlyDictionary<string, System.Text.Json.JsonElement> Extensions,
    ExtensionsStatus ExtensionsStatus);

public static class CustomerContextEndpoints
{
    private const int MaxContacts = 50;

    public static IServiceCollection AddCustomerContext(this IServiceCollection services)
    {
        services.AddOptions<CustomerContextOptions>().BindConfiguration(CustomerContextOptions.Section)
            .Validate(o => CustomerContextOptions.IsAllowedUrl(o.Url), "CustomerContext:Url is an absolute https URL (http only to this machine), without credentials, or empty.")
            .Validate(o => !o.IsConfigured || o.Secret.Length >= 16, "CustomerContext:Secret (at least 16 characters) signs the requests to CustomerContext:Url.")
            .Validate(o => o.TimeoutSeconds is >= 0.1 and <= 30, "CustomerContext:TimeoutSeconds is from 0.1 to 30.")
            .Validate(o => o.CacheSeconds is >= 0 and <= 86400 && o.UnavailableSeconds is >= 0 and <= 3600, "CustomerContext:CacheSeconds is from 0 to 86400, CustomerContext:UnavailableSeconds from 0 to 3600.")
            .ValidateOnStart();
        services.AddHttpClient(HttpCustomerContext.HttpClientName, c => c.MaxResponseContentBufferSize = HttpCustomerContext.MaxAnswerBytes)
            .AddResilienceHandler(HttpCustomerContext.HttpClientName, (pipeline, context) => pipeline
                .AddTimeout(context.ServiceProvider.GetRequiredService<IOptions<CustomerContextOptions>>().Value.Timeout)
                .AddRetry(new HttpRetryStrategyOptions { MaxRetryAttempts = 1, Delay = TimeSpan.Zero, UseJitter = false, ShouldRetryAfterHeader = false }));
        services.AddSingleton<HttpCustomerContext>();
        services.AddSingleton<ICustomerContextProvider>(sp => sp.GetRequiredService<IOptions<CustomerContextOptions>>().Value.IsConfigured
            ? sp.GetRequiredService<HttpCustomerContext>()
            : new NoCustomerContext());
        return services
            .AddSqliteMigration(SqliteAccountSummaries.ContactAccountIndex.Name, SqliteAccountSummaries.ContactAccountIndex.Sql)
            .AddSingleton(StoreSelection.Of<IAccountSummaries, SqliteAccountSummaries, CosmosAccountSummaries>());
    }

    public static RouteGroupBuilder MapCustomerContextEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/tickets/{id}/context", GetAsync).WithTags("tickets").RequireAuthorization(Policies.Staff).WithName("GetCustomerContext")
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound);
        return api;
    }

    private static async Task<Results<Ok<CustomerContextResponse>, ApiProblem>> GetAsync(
        string id,
        string? sort,
        int? limit,
        string? cursor,
        ITicketStore tickets,
        IDirectoryStore directory,
        IAccountSummaries summaries,
        SlaCatalog sla,
        ICustomerContextProvider provider,
        TimeProvider clock,
        CancellationToken cancellationToken)
    {
        if (Paging.LimitProblem(limit) is { } refused)
        {
            return new ApiProblem(refused);
        }

        if (!TicketSort.TryParse(sort, out var order))
        {
            return new ApiProblem(Problems.Validation(TicketSort.Parameter, TicketSort.Refusal));
        }

        var ticket = await tickets.FindAsync(id, cancellationToken);
        if (ticket is null)
        {
            return new ApiProblem(Problems.Missing("ticket"));
        }

        AccountSummary? account = null;
        if (ticket.AccountId is not null && (await directory.FindAsync(DirectoryKinds.Account, ticket.AccountId, cancellationToken))?.Value is { } found)
        {
            var (open, total) = await summaries.TicketCountsAsync(found.Id, cancellationToken);
            var contacts = await summaries.ContactsAsync(found.Id, MaxContacts, cancellationToken);
            account = new AccountSummary(found.Id, found.Name, found.Domains, contacts.Select(c => new ContextContact(c.Id, c.Email, c.Name)).ToArray(), open, total);
        }

        var policy = (await sla.GetAsync(cancellationToken)).For(ticket)?.Policy;
        // An internal ticket has no requester: no previous tickets, no customer systems to ask.
        var previous = ticket.Requester is not { } requester
            ? new Page<Ticket>([], null)
            : await tickets.QueryAsync(new TicketQuery(TicketView.All, clock.GetUtcNow(), limit ?? Paging.DefaultLimit, cursor, ContactId: requester.ContactId, ExcludeId: ticket.Id, Sort: order), cancellationToken);
        var extensions = ticket.Requester is { } asked
            ? await provider.GetAsync(new CustomerContextQuery(ticket.AccountId, account?.Name, asked.ContactId, asked.Email, asked.Name), cancellationToken)
            : ProviderAnswer.NotAsked;

        return TypedResults.Ok(new CustomerContextResponse(
            ticket.Id,
            RequesterResponse.Of(ticket.Requester),
            account,
            policy is null ? null : new PolicyInForce(policy.Id, policy.Name),
            new Page<PreviousTicket>(
                previous.Items.Select(t => new PreviousTicket(t.Id, t.Number, t.Subject, t.Status, t.CreatedAt, t.EndAt)).ToArray(),
                previous.NextCursor),
            extensions.Data,
            extensions.Status));
    }
}
