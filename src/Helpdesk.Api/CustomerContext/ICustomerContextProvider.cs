using System.Text.Json;

namespace Helpdesk.Api.CustomerContext;

/// <summary>Who the context is asked for: the ticket's account (if any) and requester.</summary>
public sealed record CustomerContextQuery(string? AccountId, string? AccountName, string ContactId, string Email, string? Name);

/// <summary>Whether the customer's systems told anything: <c>notAsked</c> when no provider is configured (or no requester to ask about).</summary>
public enum ExtensionsStatus
{
    NotAsked,
    Available,
    Unavailable,
}

/// <summary>What the customer's systems hold about the customer (services, contracts, invoices...): each top-level field of their answer.</summary>
public sealed record ProviderAnswer(ExtensionsStatus Status, IReadOnlyDictionary<string, JsonElement> Data)
{
    public static ProviderAnswer NotAsked { get; } = new(ExtensionsStatus.NotAsked, new Dictionary<string, JsonElement>());

    public static ProviderAnswer Unavailable { get; } = new(ExtensionsStatus.Unavailable, new Dictionary<string, JsonElement>());
}

/// <summary>
/// Data about a customer held by other systems, shown beside a ticket: the configured HTTP
/// endpoint (<see cref="HttpCustomerContext"/>), or nothing.
/// </summary>
public interface ICustomerContextProvider
{
    Task<ProviderAnswer> GetAsync(CustomerContextQuery query, CancellationToken cancellationToken);
}

/// <summary>The default: no other system is connected, so there is nothing to add.</summary>
internal sealed class NoCustomerContext : ICustomerContextProvider
{
    public Task<ProviderAnswer> GetAsync(CustomerContextQuery query, CancellationToken cancellationToken) => Task.FromResult(ProviderAnswer.NotAsked);
}
