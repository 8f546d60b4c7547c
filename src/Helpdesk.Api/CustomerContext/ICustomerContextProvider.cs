namespace Helpdesk.Api.CustomerContext;

/// <summary>Who the context is asked for: the ticket's account (if any) and requester.</summary>
public sealed record CustomerContextQuery(string? AccountId, string ContactId, string Email);

/// <summary>
/// Data about a customer held by other systems (active services, recent invoices...), shown
/// beside a ticket. A deployment registers its own provider; each top-level key becomes a field
/// of <c>extensions</c> in the context answer.
/// </summary>
public interface ICustomerContextProvider
{
    Task<IReadOnlyDictionary<string, object?>> GetAsync(CustomerContextQuery query, CancellationToken cancellationToken);
}

/// <summary>The default: no other system is connected, so there is nothing to add.</summary>
internal sealed class NoCustomerContext : ICustomerContextProvider
{
    private static readonly IReadOnlyDictionary<string, object?> Nothing = new Dictionary<string, object?>();

    public Task<IReadOnlyDictionary<string, object?>> GetAsync(CustomerContextQuery query, CancellationToken cancellationToken) =>
        Task.FromResult(Nothing);
}
