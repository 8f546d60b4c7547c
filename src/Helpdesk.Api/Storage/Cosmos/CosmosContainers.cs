using System.Collections.ObjectModel;
using System.Net;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Storage.Cosmos;

/// <summary>
/// The containers of docs/adr/0004-cosmos-containers.md, with their partition keys and
/// indexing policies. Created on first use when <see cref="CosmosOptions.CreateIfMissing"/> is
/// on; the stores ask for them through this class so creation happens once.
/// </summary>
public sealed class CosmosContainers(CosmosClient client, IOptions<CosmosOptions> options)
{
    public const string Tickets = "tickets";
    public const string Directory = "directory";
    public const string Keys = "keys";
    public const string Counters = "counters";
    public const string Idempotency = "idempotency";
    public const string Webhooks = "webhooks";
    public const string WebhookDeliveries = "webhookDeliveries";
    public const string Purges = "purges";
    public const string CalendarLinks = "calendarLinks";
    public const string KbArticles = "kbArticles";
    public const string Notifications = "notifications";
    public const string MailInbound = "mailInbound";
    public const string MailMessageIds = "mailMessageIds";
    public const string MailOutbound = "mailOutbound";
    public const string MailState = "mailState";
    public const string ProcessedEvents = "processedEvents";

    private readonly Lazy<Task<Database>> _database = new(() => EnsureAsync(client, options.Value));

    public async Task<Container> GetAsync(string name, CancellationToken cancellationToken)
    {
        var database = await _database.Value.WaitAsync(cancellationToken);
        return database.GetContainer(name);
    }

    /// <summary>
    /// Every container the stores use, as they must be. infra-bicep/modules/cosmos-containers.json
    /// holds the same list for deployments (a test keeps the two equal).
    /// </summary>
    public static IReadOnlyList<ContainerProperties> Definitions() =>
    [
        TicketsContainer(),
        WithPointReadsOnly(new ContainerProperties(Keys, "/id")),
        WithPointReadsOnly(new ContainerProperties(Counters, "/id")),
        WithPointReadsOnly(new ContainerProperties(Idempotency, "/id") { DefaultTimeToLive = -1 }),
        DirectoryContainer(),
        Indexing(new ContainerProperties(Webhooks, "/id"), "/event/?"),
        WithPointReadsOnly(new ContainerProperties(Purges, "/id")),
        WithPointReadsOnly(new ContainerProperties(CalendarLinks, "/id")),
        KbArticlesContainer(),
        Indexing(new ContainerProperties(WebhookDeliveries, "/eventId") { DefaultTimeToLive = -1 }, "/at/?"),
        Indexing(new ContainerProperties(Notifications, "/ticketId"), "/type/?", "/eventId/?", "/state/?", "/agentId/?", "/seq/?"),
        Indexing(new ContainerProperties(MailInbound, "/id"), "/seq/?", "/state/?", "/nextAttemptAt/?", "/ticketId/?"),
        Indexing(new ContainerProperties(MailMessageIds, "/id"), "/messageId/?", "/ticketId/?", "/conversationId/?", "/leaseOwner/?"),
        Indexing(new ContainerProperties(MailOutbound, "/id") { DefaultTimeToLive = -1 }, "/state/?", "/dueAt/?", "/coalesceKey/?", "/mailbox/?", "/sentAt/?"),
        Indexing(new ContainerProperties(MailState, "/id"), "/type/?", "/subscriptionId/?"),
        WithPointReadsOnly(new ContainerProperties(ProcessedEvents, "/id") { DefaultTimeToLive = -1 }),
    ];

    /// <summary>
    /// Creates the database and brings every container to its definition, all containers at
    /// once (each is independent; a first start waits for one round of requests, not one per
    /// container). In a database this call just created, the containers are created without
    /// asking first; one another instance created meanwhile (409) is checked like an existing one.
    /// </summary>
    private static async Task<Database> EnsureAsync(CosmosClient client, CosmosOptions options)
    {
        if (!options.CreateIfMissing)
        {
            return client.GetDatabase(options.Database);
        }

        var created = await client.CreateDatabaseIfNotExistsAsync(options.Database);
        var database = created.Database;
        var isNew = created.StatusCode == HttpStatusCode.Created;
        await Task.WhenAll(Definitions().Select(definition => EnsureAsync(database, definition, isNew)));
        return database;
    }

    private static async Task EnsureAsync(Database database, ContainerProperties definition, bool databaseIsNew)
    {
        if (databaseIsNew)
        {
            try
            {
                await database.CreateContainerAsync(definition);
                return;
            }
            catch (CosmosException e) when (e.StatusCode == HttpStatusCode.Conflict)
            {
                // Another instance created it meanwhile: check it as an existing one.
            }
        }

        var container = database.GetContainer(definition.Id);
        try
        {
            await UpdateAsync(container, (await container.ReadContainerAsync()).Resource, definition);
        }
        catch (CosmosException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            await database.CreateContainerIfNotExistsAsync(definition);
        }
    }

    /// <summary>
    /// A container made by an earlier version keeps its old indexing policy and TTL unless told
    /// otherwise: new excluded paths (cheaper writes), composite indexes a new view's ORDER BY
    /// needs, a TTL. Those are replaced in place (Cosmos DB re-indexes in the background; the
    /// documents stay). A partition key cannot change: that needs a data migration, so the app
    /// refuses to start rather than write documents the container cannot place.
    /// </summary>
    private static async Task UpdateAsync(Container container, ContainerProperties existing, ContainerProperties wanted)
    {
        if (!existing.PartitionKeyPath.Equals(wanted.PartitionKeyPath, StringComparison.Ordinal))
        {
            throw new InvalidOperationException(
                $"Cosmos DB container '{wanted.Id}' is partitioned by '{existing.PartitionKeyPath}', but this version needs '{wanted.PartitionKeyPath}' (docs/adr/0004-cosmos-containers.md); move its data to a new container first.");
        }

        if (Describe(existing.IndexingPolicy) == Describe(wanted.IndexingPolicy) && existing.DefaultTimeToLive == wanted.DefaultTimeToLive)
        {
            return;
        }

        existing.IndexingPolicy = wanted.IndexingPolicy;
        existing.DefaultTimeToLive = wanted.DefaultTimeToLive;
        await container.ReplaceContainerAsync(existing);
    }

    /// <summary>An indexing policy as comparable text; the <c>_etag</c> exclusion Cosmos DB adds by itself is left out.</summary>
    private static string Describe(IndexingPolicy policy) =>
        string.Join(
            '\n',
            [
                policy.IndexingMode.ToString(),
                .. policy.IncludedPaths.Select(p => $"+{p.Path}").Order(StringComparer.Ordinal),
                .. policy.ExcludedPaths.Select(p => $"-{p.Path}").Where(p => p != "-/\"_etag\"/?").Order(StringComparer.Ordinal),
                .. policy.CompositeIndexes.Select(c => string.Join(',', c.Select(p => $"{p.Path} {p.Order}"))).Order(StringComparer.Ordinal),
            ]);

    /// <summary>
    /// One logical partition per ticket (<c>/ticketId</c>): the ticket document carries its
    /// history, the events of its writes and the index of its items; the items (messages, time
    /// entries, cost lines, activities, attachments) are documents of type <c>item</c> under the
    /// same key. Only the small query columns are indexed (an item's kind and key); the
    /// snapshot, history, events, item index, search text and item values are not.
    /// </summary>
    private static ContainerProperties TicketsContainer()
    {
        var container = new ContainerProperties(Tickets, "/ticketId");
        var policy = container.IndexingPolicy;
        policy.IndexingMode = IndexingMode.Consistent;
        policy.IncludedPaths.Add(new IncludedPath { Path = "/*" });
        foreach (var path in new[] { "/snapshot/*", "/history/*", "/events/*", "/items/*", "/search/?", "/value/*", "/writes/*" })
        {
            policy.ExcludedPaths.Add(new ExcludedPath { Path = path });
        }

        // Equality filters first, the sort key (seq, newest first) last: one composite index per
        // view, matched path for path by the ORDER BY of CosmosTicketStore.QueryAsync. The list
        // orders (sort=, Tickets/TicketSort.cs) add, per view, the field then seq in each direction
        // (the test server, unlike Cosmos DB, does not serve a reversed ORDER BY from one index, so
        // both are declared) and the tickets of one priority newest first.
        string[][] views =
        [
            ["/type", "/isOpen"],
            ["/type", "/isOpen", "/assigneeId"],
            ["/type", "/isOpen", "/teamId"],
            ["/type", "/status"],
            ["/type", "/accountId"],
            ["/type", "/contactId"],
            ["/type"],
        ];
        var declared = new HashSet<string>(StringComparer.Ordinal);
        void Add(IEnumerable<string> filters, params (string Path, CompositePathSortOrder Order)[] tail)
        {
            Collection<CompositePath> composite =
            [
                .. filters.Select(f => new CompositePath { Path = f, Order = CompositePathSortOrder.Ascending }),
                .. tail.Select(t => new CompositePath { Path = t.Path, Order = t.Order }),
            ];
            if (declared.Add(string.Join(',', composite.Select(c => $"{c.Path} {c.Order}"))))
            {
                policy.CompositeIndexes.Add(composite);
            }
        }

        foreach (var filters in views)
        {
            Add(filters, ("/seq", CompositePathSortOrder.Descending));
        }

        // The late view: open tickets by the instant they became late (most overdue first), then seq.
        Add(["/type", "/isOpen"], ("/lateAt", CompositePathSortOrder.Ascending), ("/seq", CompositePathSortOrder.Ascending));

        foreach (var filters in views)
        {
            Add(filters, ("/priority", CompositePathSortOrder.Ascending), ("/seq", CompositePathSortOrder.Descending));
            foreach (var path in TicketSortPaths)
            {
                foreach (var order in new[] { CompositePathSortOrder.Ascending, CompositePathSortOrder.Descending })
                {
                    Add(filters, ($"/{path}", order), ("/seq", order));
                }
            }
        }

        return container;
    }

    /// <summary>The ticket document's top-level properties the list orders read in order, then seq (Tickets/TicketSort.cs).</summary>
    public static IReadOnlyList<string> TicketSortPaths { get; } = ["number", "createdAt", "updatedAt", "lateAt"];

    /// <summary>
    /// Knowledge-base articles, partition = id (read by id, listed across partitions): the
    /// order, the published flag, the tags and the source ticket are indexed, the search text and
    /// the article are not. The customers' list (published only, newest first) reads the
    /// composite index; the staff list reads the order's range index.
    /// </summary>
    private static ContainerProperties KbArticlesContainer()
    {
        var container = Indexing(new ContainerProperties(KbArticles, "/id"), "/seq/?", "/published/?", "/tags/[]/?", "/sourceTicketId/?");
        container.IndexingPolicy.CompositeIndexes.Add(
        [
            new CompositePath { Path = "/published", Order = CompositePathSortOrder.Ascending },
            new CompositePath { Path = "/seq", Order = CompositePathSortOrder.Descending },
        ]);
        return container;
    }

    private static ContainerProperties DirectoryContainer()
    {
        var container = new ContainerProperties(Directory, "/kind");
        container.IndexingPolicy.IncludedPaths.Add(new IncludedPath { Path = "/*" });
        container.IndexingPolicy.ExcludedPaths.Add(new ExcludedPath { Path = "/entry/*" });
        container.IndexingPolicy.ExcludedPaths.Add(new ExcludedPath { Path = "/search/?" });
        return container;
    }

    /// <summary>Containers queried on a few paths only: those are indexed, nothing else.</summary>
    private static ContainerProperties Indexing(ContainerProperties container, params string[] paths)
    {
        container.IndexingPolicy.IndexingMode = IndexingMode.Consistent;
        foreach (var path in paths)
        {
            container.IndexingPolicy.IncludedPaths.Add(new IncludedPath { Path = path });
        }

        container.IndexingPolicy.ExcludedPaths.Add(new ExcludedPath { Path = "/*" });
        return container;
    }

    /// <summary>Containers read only by id: indexing nothing makes every write cheaper.</summary>
    private static ContainerProperties WithPointReadsOnly(ContainerProperties container)
    {
        container.IndexingPolicy.IndexingMode = IndexingMode.Consistent;
        container.IndexingPolicy.ExcludedPaths.Add(new ExcludedPath { Path = "/*" });
        return container;
    }
}
