using System.Globalization;
using System.Net;
using Helpdesk.Api.Common;
using Helpdesk.Api.Mail;
using Helpdesk.Api.Storage.Cosmos;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Common;
using Microsoft.Azure.Cosmos;

namespace Helpdesk.Api.Notifications;

/// <summary>
/// Notifications in the <c>notifications</c> container, partitioned by ticket (the ticket's list
/// is one single-partition query, a purge deletes one partition), shared by every instance that
/// consumes the notifications queue. Planning creates each record if absent (409 = planned
/// already). Marking one sent first appends the ticket's history line through the ticket store,
/// once per notification id (the ticket document remembers the ids it recorded), then moves the
/// record on, guarded by its ETag: a crash in between leaves the record pending, the redelivery
/// sends again (as on SQLite, where a crash between send and mark does the same) and finds its
/// history line already written. An agent's last digest is a document of its own partition
/// (<c>digest:{agentId}</c>).
/// </summary>
internal sealed class CosmosNotificationStore(CosmosContainers containers, CosmosSequence sequence, CosmosRetry retry, TimeProvider clock) : INotificationStore
{
    private const string RecordType = "notification";
    private const string DigestType = "digestStamp";
    private const string OrderSequence = "order:notifications";

    /// <summary>The partition of a notification about no ticket (none is planned so far, but the record allows it).</summary>
    private const string NoTicket = "-";

    public async Task PlanAsync(IReadOnlyList<PlannedNotification> planned, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(planned);
        if (planned.Count == 0)
        {
            return;
        }

        var container = await containers.GetAsync(CosmosContainers.Notifications, cancellationToken);
        var first = await sequence.ReserveAsync(OrderSequence, planned.Count, cancellationToken);
        var now = TicketDocument.Time(clock.GetUtcNow());
        for (var i = 0; i < planned.Count; i++)
        {
            var n = planned[i];
            var document = new NotificationDocument(
                CosmosIds.Safe(n.Id), n.Id, PartitionOf(n.TicketId), RecordType, n.EventId, first + i, n.Trigger, "email", n.Recipient, n.AgentId, Names.Of(n.State), n.Email, now, null);
            try
            {
                await retry.RunAsync(ct => container.CreateItemAsync(document, new PartitionKey(document.TicketId), new ItemRequestOptions { EnableContentResponseOnWrite = false }, ct), cancellationToken);
            }
            catch (CosmosException e) when (e.StatusCode == HttpStatusCode.Conflict)
            {
                // Planned by an earlier delivery of the same event: the first plan stands.
            }
        }
    }

    /// <summary>An index query on the event id: the few records of one event, across ticket partitions.</summary>
    public async Task<IReadOnlyList<(string Id, string? TicketId, EmailMessage Email)>> PendingAsync(string eventId, CancellationToken cancellationToken)
    {
        var query = new QueryDefinition("SELECT * FROM c WHERE c.type = @type AND c.eventId = @event AND c.state = @state")
            .WithParameter("@type", RecordType)
            .WithParameter("@event", eventId)
            .WithParameter("@state", Names.Of(NotificationState.Pending));
        var rows = await QueryAsync(query, null, cancellationToken);
        return [.. rows.OrderBy(r => r.NotificationId, StringComparer.Ordinal).Select(r => (r.NotificationId, TicketOf(r.TicketId), r.Email))];
    }

    public Task MarkSentAsync(string id, string? ticketId, CancellationToken cancellationToken) =>
        SettleAsync(id, ticketId, NotificationState.Pending, NotificationState.Sent, cancellationToken);

    public async Task<Page<NotificationRecord>> ForTicketAsync(string ticketId, int limit, string? cursor, CancellationToken cancellationToken)
    {
        var query = new QueryDefinition("SELECT * FROM c WHERE c.type = @type AND c.seq > @after ORDER BY c.seq")
            .WithParameter("@type", RecordType)
            .WithParameter("@after", cursor is null ? 0 : Paging.DecodeKey(cursor));
        var container = await containers.GetAsync(CosmosContainers.Notifications, cancellationToken);
        var rows = await CosmosQueries.TakeAsync<NotificationDocument>(container, query, limit + 1, new PartitionKey(ticketId), retry, cancellationToken);
        var items = rows.Take(limit).Select(r => new NotificationRecord(
            r.NotificationId,
            r.EventId,
            TicketOf(r.TicketId),
            r.Trigger,
            r.Channel,
            r.Recipient,
            Names.TryParse<NotificationState>(r.State, out var state) ? state : throw new InvalidDataException($"Unknown notification state {r.State}."),
            r.Email.Subject,
            Time(r.CreatedAt),
            r.SentAt is null ? null : Time(r.SentAt))).ToArray();
        return new Page<NotificationRecord>(items, rows.Count > limit ? Paging.EncodeKey(rows[limit - 1].Seq) : null);
    }

    public async Task<IReadOnlyList<(string AgentId, DateTimeOffset? LastSentAt)>> DigestRecipientsAsync(CancellationToken cancellationToken)
    {
        var query = new QueryDefinition("SELECT * FROM c WHERE c.type = @type AND c.state = @state")
            .WithParameter("@type", RecordType)
            .WithParameter("@state", Names.Of(NotificationState.Digest));
        var agents = (await QueryAsync(query, null, cancellationToken)).Select(r => r.AgentId).OfType<string>().Distinct(StringComparer.Ordinal).ToArray();
        var container = await containers.GetAsync(CosmosContainers.Notifications, cancellationToken);
        var result = new List<(string, DateTimeOffset?)>();
        foreach (var agentId in agents)
        {
            var stamp = await ReadAsync<DigestDocument>(container, DigestId(agentId), DigestId(agentId), cancellationToken);
            result.Add((agentId, stamp is null ? null : Time(stamp.Document.LastSentAt)));
        }

        return result;
    }

    public async Task<IReadOnlyList<(string Id, string? TicketId, EmailMessage Email)>> DigestOfAsync(string agentId, CancellationToken cancellationToken)
    {
        var query = new QueryDefinition("SELECT * FROM c WHERE c.type = @type AND c.state = @state AND c.agentId = @agent")
            .WithParameter("@type", RecordType)
            .WithParameter("@state", Names.Of(NotificationState.Digest))
            .WithParameter("@agent", agentId);
        var rows = await QueryAsync(query, null, cancellationToken);

        // What waits for one agent's digest is small: sorted here rather than by an ORDER BY on two paths that needs its own composite index.
        return [.. rows.OrderBy(r => r.CreatedAt, StringComparer.Ordinal).ThenBy(r => r.NotificationId, StringComparer.Ordinal).Take(200).Select(r => (r.NotificationId, TicketOf(r.TicketId), r.Email))];
    }

    /// <summary>
    /// Each item is settled like a sent notification; the stamp comes last, so a crash half-way
    /// sends the rest at the next run, as a digest sent but never marked does on SQLite.
    /// </summary>
    public async Task MarkDigestSentAsync(string agentId, IReadOnlyList<(string Id, string? TicketId, EmailMessage Email)> items, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(items);
        foreach (var (id, ticketId, _) in items)
        {
            await SettleAsync(id, ticketId, NotificationState.Digest, NotificationState.Digested, cancellationToken);
        }

        var container = await containers.GetAsync(CosmosContainers.Notifications, cancellationToken);
        var stamp = new DigestDocument(DigestId(agentId), DigestId(agentId), DigestType, agentId, TicketDocument.Time(clock.GetUtcNow()));
        await retry.RunAsync(ct => container.UpsertItemAsync(stamp, new PartitionKey(stamp.TicketId), new ItemRequestOptions { EnableContentResponseOnWrite = false }, ct), cancellationToken);
    }

    private async Task SettleAsync(string id, string? ticketId, NotificationState from, NotificationState to, CancellationToken cancellationToken)
    {
        var container = await containers.GetAsync(CosmosContainers.Notifications, cancellationToken);
        var partition = PartitionOf(ticketId);
        var read = await ReadAsync<NotificationDocument>(container, CosmosIds.Safe(id), partition, cancellationToken);
        if (read is null || read.Document.State != Names.Of(from))
        {
            return;
        }

        var settled = read.Document with { State = Names.Of(to), SentAt = TicketDocument.Time(clock.GetUtcNow()) };
        try
        {
            await retry.RunAsync(
                ct => container.ReplaceItemAsync(settled, settled.Id, new PartitionKey(partition), new ItemRequestOptions { IfMatchEtag = read.ETag, EnableContentResponseOnWrite = false }, ct),
                cancellationToken);
        }
        catch (CosmosException e) when (e.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.NotFound)
        {
            // Settled by another delivery of the same event meanwhile (or purged with its ticket).
        }
    }

    private async Task<IReadOnlyList<NotificationDocument>> QueryAsync(QueryDefinition query, PartitionKey? partition, CancellationToken cancellationToken)
    {
        var container = await containers.GetAsync(CosmosContainers.Notifications, cancellationToken);
        using var iterator = container.GetItemQueryIterator<NotificationDocument>(query, requestOptions: new QueryRequestOptions { PartitionKey = partition });
        var rows = new List<NotificationDocument>();
        while (iterator.HasMoreResults)
        {
            rows.AddRange(await retry.RunAsync(iterator.ReadNextAsync, cancellationToken));
        }

        return rows;
    }

    private async Task<Read<T>?> ReadAsync<T>(Container container, string id, string partition, CancellationToken cancellationToken)
    {
        try
        {
            var read = await retry.RunAsync(ct => container.ReadItemAsync<T>(id, new PartitionKey(partition), cancellationToken: ct), cancellationToken);
            return new Read<T>(read.Resource, read.ETag);
        }
        catch (CosmosException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private static string PartitionOf(string? ticketId) => ticketId ?? NoTicket;

    private static string? TicketOf(string partition) => partition == NoTicket ? null : partition;

    private static DateTimeOffset Time(string value) =>
        DateTimeOffset.Parse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    private static string DigestId(string agentId) => CosmosIds.Safe("digest:" + agentId);

    private sealed record NotificationDocument(
        string Id,
        string NotificationId,
        string TicketId,
        string Type,
        string EventId,
        long Seq,
        string Trigger,
        string Channel,
        string Recipient,
        string? AgentId,
        string State,
        EmailMessage Email,
        string CreatedAt,
        string? SentAt);

    private sealed record Read<T>(T Document, string ETag);

    private sealed record DigestDocument(string Id, string TicketId, string Type, string AgentId, string LastSentAt);
}
