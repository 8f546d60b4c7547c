using Helpdesk.Api.Auth;
using Helpdesk.Api.Common;
using Helpdesk.Api.Directory;
using Helpdesk.Api.Sla;
using Helpdesk.Api.Storage;
using Helpdesk.Api.Storage.Sqlite;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Tickets;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Helpdesk.Api.CustomerContext;

public sealed record ContextContact(string Id, string Email, string? Name);

public sealed record AccountSummary(string Id, string Name, IReadOnlyList<string> Domains, IReadOnlyList<ContextContact> Contacts, int OpenTickets, int TotalTickets);

public sealed record PolicyInForce(string Id, string Name);

public sealed record PreviousTicket(string Id, string Number, string Subject, TicketStatus Status, DateTimeOffset CreatedAt, DateTimeOffset? EndAt);

/// <summary>
/// GET /api/tickets/{id}/context: what an agent wants to know about the customer while working
/// the ticket. <c>previousTickets</c> are the requester's other tickets, latest first, paged with
/// <c>limit</c> and <c>cursor</c>; <c>extensions</c> is whatever the configured provider adds.
/// </summary>
public sealed record CustomerContextResponse(
    string TicketId,
    RequesterResponse? Requester,
    AccountSummary? Account,
    PolicyInForce? SlaPolicy,
    Page<PreviousTicket> PreviousTickets,
    IReadOnlyDictionary<string, object?> Extensions);

public static class CustomerContextEndpoints
{
    private const int MaxContacts = 50;

    public static IServiceCollection AddCustomerContext(this IServiceCollection services)
    {
        services.TryAddSingleton<ICustomerContextProvider, NoCustomerContext>();
        return services
            .AddSqliteMigration(SqliteAccountSummaries.ContactAccountIndex.Name, SqliteAccountSummaries.ContactAccountIndex.Sql)
            .AddSingleton(StoreSelection.Of<IAccountSummaries, SqliteAccountSummaries, CosmosAccountSummaries>());
    }

    public static RouteGroupBuilder MapCustomerContextEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/tickets/{id}/context", GetAsync).WithTags("tickets").RequireAuthorization(Policies.Staff).WithName("GetCustomerContext");
        return api;
    }

    private static async Task<IResult> GetAsync(
        string id,
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
        if (Paging.RefuseLimit(limit) is { } refused)
        {
            return refused;
        }

        var ticket = await tickets.FindAsync(id, cancellationToken);
        if (ticket is null)
        {
            return Problems.NotFound("ticket");
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
            : await tickets.QueryAsync(new TicketQuery(TicketView.All, clock.GetUtcNow(), limit ?? Paging.DefaultLimit, cursor, ContactId: requester.ContactId, ExcludeId: ticket.Id), cancellationToken);
        var extensions = ticket.Requester is { } asked
            ? await provider.GetAsync(new CustomerContextQuery(ticket.AccountId, asked.ContactId, asked.Email), cancellationToken)
            : new Dictionary<string, object?>();

        return TypedResults.Ok(new CustomerContextResponse(
            ticket.Id,
            RequesterResponse.Of(ticket.Requester),
            account,
            policy is null ? null : new PolicyInForce(policy.Id, policy.Name),
            new Page<PreviousTicket>(
                previous.Items.Select(t => new PreviousTicket(t.Id, t.Number, t.Subject, t.Status, t.CreatedAt, t.EndAt)).ToArray(),
                previous.NextCursor),
            extensions));
    }
}
