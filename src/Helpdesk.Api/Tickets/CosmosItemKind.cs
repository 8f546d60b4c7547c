namespace Helpdesk.Api.Tickets;

/// <summary>
/// How one kind of ticket item is indexed in Cosmos DB, declared by the capability that owns the
/// kind: the one value a cross-ticket query of the kind filters on, whether the customer's thread
/// leaves it out, and what must be checked outside the ticket's partition around its writes.
/// </summary>
public sealed record CosmosItemKind(string Kind)
{
    /// <summary>The indexed <c>key</c> of an item document (a work date, a pending reminder's time, a content hash), or null.</summary>
    public Func<object, string?> Key { get; init; } = _ => null;

    /// <summary>Whether the item stays out of the customer's thread (an internal note), known without reading the item.</summary>
    public Func<object, bool> Internal { get; init; } = _ => false;

    /// <summary>
    /// The text a ticket search finds the item by (a message's), or null: kept in the ticket
    /// document's item index (<see cref="Searchable"/>), where the list query reads it.
    /// </summary>
    public Func<object, string?> SearchText { get; init; } = _ => null;

    /// <summary>
    /// Characters of an item's text the ticket document keeps for search: the document is
    /// rewritten on every write of the ticket, and its size is what a write costs in RU
    /// (docs/adr/0014-conversation-search.md). A term further into a long message is found on
    /// SQLite only.
    /// </summary>
    public const int MaxSearchText = 1000;

    /// <summary>The text as the item index keeps it: lower-cased (CONTAINS then compares it with the lower-cased term, as the ticket's search field), bounded.</summary>
    public static string? Searchable(string? text) =>
        string.IsNullOrWhiteSpace(text) ? null
        : text.Length <= MaxSearchText ? text.ToLowerInvariant()
        : text[..MaxSearchText].ToLowerInvariant();

    /// <summary>Checks and claims beyond the ticket's partition around each write of the kind (an agent's one running timer).</summary>
    public ICosmosItemGuard? Guard { get; init; }
}

/// <summary>
/// What a kind of item needs beyond the ticket's partition, where no transaction reaches (one
/// running timer per agent across tickets): a claim taken before the write commits, released
/// after, and moved when a merge moves the item.
/// </summary>
public interface ICosmosItemGuard
{
    /// <summary>The write as the partition stores it, once what lives outside allows it; throws <see cref="Common.ConcurrencyConflictException"/> when it does not.</summary>
    Task<TicketItemWrite> BeforeAsync(string ticketId, TicketItemWrite write, CancellationToken cancellationToken);

    /// <summary>After the write committed.</summary>
    Task AfterAsync(string ticketId, TicketItemWrite write, CancellationToken cancellationToken);

    /// <summary>After a merge (or its undo) moved the item to another ticket.</summary>
    Task MovedAsync(string itemId, string fromTicketId, string toTicketId, CancellationToken cancellationToken);
}

/// <summary>Records outside a ticket's partition that follow a message when it moves to another ticket (the threading ids of the mail it came from); repeating it changes nothing.</summary>
public interface ICosmosMessageFollower
{
    Task FollowAsync(string messageId, string fromTicketId, string toTicketId, CancellationToken cancellationToken);
}

/// <summary>
/// The registration of a kind of ticket item on both engines (each engine's ticket store reads
/// only its own side, so the other is never built).
/// </summary>
public static class TicketItemRegistration
{
    public static IServiceCollection AddTicketItemKind(this IServiceCollection services, SqliteItemTable sqlite, CosmosItemKind cosmos)
    {
        ArgumentNullException.ThrowIfNull(sqlite);
        ArgumentNullException.ThrowIfNull(cosmos);
        return services.AddTicketItemKind(_ => sqlite, _ => cosmos);
    }

    /// <summary>A kind whose Cosmos DB side needs services (a guard): built only when the Cosmos DB store is.</summary>
    public static IServiceCollection AddTicketItemKind(this IServiceCollection services, SqliteItemTable sqlite, Func<IServiceProvider, CosmosItemKind> cosmos)
    {
        ArgumentNullException.ThrowIfNull(sqlite);
        return services.AddTicketItemKind(_ => sqlite, cosmos);
    }

    /// <summary>A kind whose storage depends on settings (an approval's deadline).</summary>
    public static IServiceCollection AddTicketItemKind(this IServiceCollection services, Func<IServiceProvider, SqliteItemTable> sqlite, Func<IServiceProvider, CosmosItemKind> cosmos)
    {
        ArgumentNullException.ThrowIfNull(sqlite);
        ArgumentNullException.ThrowIfNull(cosmos);
        return services.AddSingleton(sqlite).AddSingleton(cosmos);
    }
}
