using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using Helpdesk.Api.Common;
using Helpdesk.Api.Idempotency;
using Helpdesk.Api.Storage.Cosmos;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;
using Microsoft.Azure.Cosmos;

namespace Helpdesk.Api.Tickets;

/// <summary>
/// Tickets in Cosmos DB: one document per ticket in its own logical partition, holding the
/// snapshot, the query columns, the whole history and the events not yet relayed. A save is one
/// replace of that document guarded by its ETag, so the ticket, its history and its events are
/// written atomically without TransactionalBatch; the relay's change-feed function publishes the
/// events from the document (see docs/adr/0004-cosmos-containers.md).
/// </summary>
public sealed partial class CosmosTicketStore(
    CosmosContainers containers,
    CosmosSequence sequence,
    CosmosUniqueKeys keys,
    ITicketScheduler scheduler,
    CosmosRetry retry,
    CosmosTicketItems items,
    IEnumerable<CosmosItemKind> itemKinds,
    IEnumerable<ICosmosMessageFollower> messageFollowers,
    ILogger<CosmosTicketStore> logger) : ITicketStore
{
    internal const string NumberKind = "ticket-number";
    internal const string OrderSequence = "order:tickets";

    /// <summary>
    /// The stored state a loaded ticket was read at (ETag, history, events), so a save
    /// replaces the document without reading it again.
    /// </summary>
    private readonly ConditionalWeakTable<Ticket, Loaded> _loaded = [];

    public async Task<Ticket?> FindAsync(string id, CancellationToken cancellationToken)
    {
        var ticket = await FindIncludingDeletedAsync(id, cancellationToken);
        return ticket is { IsDeleted: false } ? ticket : null;
    }

    public async Task<Ticket?> FindIncludingDeletedAsync(string id, CancellationToken cancellationToken)
    {
        var container = await containers.GetAsync(CosmosContainers.Tickets, cancellationToken);
        var loaded = await ReadAsync(container, id, cancellationToken);
        if (loaded?.Document.ItemRefs.Any(IsPendingMerge) == true)
        {
            // A merge or undo of this ticket whose second write never landed: complete it first.
            await CompleteMergeAsync(id, cancellationToken);
            loaded = await ReadAsync(container, id, cancellationToken);
        }

        if (loaded?.Document.ItemRefs.Any(IsPendingMove) == true)
        {
            // A message move from this ticket whose second write never landed: complete it first.
            await CompleteMovesAsync(id, cancellationToken);
            loaded = await ReadAsync(container, id, cancellationToken);
        }

        if (loaded is null)
        {
            return null;
        }

        var ticket = Ticket.Rehydrate(loaded.Document.Snapshot, loaded.Document.Version);
        _loaded.AddOrUpdate(ticket, loaded);
        return ticket;
    }

    /// <summary>Creates the ticket's document with <paramref name="change"/> applied to it (the first items of its partition).</summary>
    private async Task CreateAsync(Ticket ticket, Func<TicketDocument, TicketDocument> change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        ArgumentNullException.ThrowIfNull(change);
        var container = await containers.GetAsync(CosmosContainers.Tickets, cancellationToken);
        var claimed = await keys.ClaimAsync(
            NumberKind,
            ticket.Number,
            ticket.Id,
            async (owner, ct) => await ReadAsync(container, owner, ct) is { } other && other.Document.Number == ticket.Number,
            cancellationToken);
        if (!claimed)
        {
            throw new UniqueConstraintException("number", $"Ticket number {ticket.Number} is already taken.");
        }

        var seq = await sequence.NextAsync(OrderSequence, cancellationToken);
        var schedule = await scheduler.ScheduleAsync(ticket, cancellationToken);
        var writeId = Guid.NewGuid().ToString("N");
        var document = change(TicketDocument.Of(ticket.ToSnapshot(), schedule, seq, 1, [.. ticket.PendingHistory], ticket.PendingEvents.Traced())).Marked(writeId);
        for (var attempt = 1; ; attempt++)
        {
            Loaded? stored;
            try
            {
                var created = await retry.RunAsync(ct => container.CreateItemAsync(document, new PartitionKey(document.TicketId), cancellationToken: ct), cancellationToken);
                stored = new Loaded(created.Resource, created.ETag);
            }
            catch (CosmosException e) when (e.StatusCode == HttpStatusCode.Conflict)
            {
                // A create retried after its first answer was lost finds its own document.
                stored = await ReadAsync(container, ticket.Id, cancellationToken) is { } existing && existing.Document.Holds(writeId)
                    ? existing
                    : throw new UniqueConstraintException("id", $"A ticket with id '{ticket.Id}' already exists.");
            }
            catch (Exception e) when (CosmosRetry.IsLostAnswer(e, cancellationToken) && attempt < CosmosRetry.MaxAttempts)
            {
                stored = await ReadAsync(container, ticket.Id, cancellationToken);
                if (stored is null)
                {
                    continue;
                }

                if (!stored.Document.Holds(writeId))
                {
                    throw new UniqueConstraintException("id", $"A ticket with id '{ticket.Id}' already exists.");
                }
            }

            ticket.MarkSaved(1);
            _loaded.AddOrUpdate(ticket, stored);
            return;
        }
    }

    /// <summary>
    /// One replace of the ticket's document, guarded by its ETag: the ticket's pending changes
    /// (a new version, its history and events) when it has any, its events and history notes
    /// otherwise, then <paramref name="change"/> (the partition's item index). When something
    /// else moved the document, it is read again and, unless the ticket's version moved on,
    /// <paramref name="change"/> is applied again: it checks its own preconditions and throws
    /// <see cref="ConcurrencyConflictException"/> when they no longer hold. A ticket at version
    /// 0 is created instead. Returns the written document.
    /// </summary>
    internal async Task<TicketDocument> CommitAsync(Ticket? ticket, string ticketId, Func<TicketDocument, TicketDocument> change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (ticket is { Version: 0 })
        {
            TicketDocument? written = null;
            await CreateAsync(ticket, d => written = change(d), cancellationToken);
            return written!;
        }

        var container = await containers.GetAsync(CosmosContainers.Tickets, cancellationToken);
        Loaded? loaded = null;
        var fresh = ticket is null || !_loaded.TryGetValue(ticket, out loaded);
        if (fresh)
        {
            loaded = await ReadAsync(container, ticketId, cancellationToken);
        }

        var changed = ticket is { HasChanges: true } ? ticket : null;
        var schedule = changed is null ? null : await scheduler.ScheduleAsync(changed, cancellationToken);
        var writeId = Guid.NewGuid().ToString("N");
        var lostAnswers = 0;
        while (true)
        {
            if (loaded is null || (changed is not null && loaded.Document.Version != changed.Version))
            {
                throw ticket is null ? new ConcurrencyConflictException($"Ticket {ticketId} no longer exists.") : Conflict(ticket);
            }

            var before = loaded.Document;
            var next = changed is null
                ? before.WithEvents(ticket?.PendingEvents.Traced() ?? [])
                : TicketDocument.Of(changed.ToSnapshot(), schedule!, before.Seq, before.Version + 1, [.. before.History, .. changed.PendingHistory], [.. before.Events, .. changed.PendingEvents.Traced()])
                    with { Items = before.Items, ItemSeq = before.ItemSeq, Notified = before.Notified, Writes = before.Writes, Receipts = before.Receipts };
            next = next.WithNotes(ticket?.PendingNotes ?? []);
            TicketDocument document;
            try
            {
                document = change(next).Marked(writeId);
            }
            catch (ConcurrencyConflictException) when (!fresh)
            {
                // The remembered document may predate a write that did not move the version: judge on the stored one.
                loaded = await ReadAsync(container, ticketId, cancellationToken);
                fresh = true;
                continue;
            }

            Loaded stored;
            try
            {
                var replaced = await retry.RunAsync(
                    ct => container.ReplaceItemAsync(document, document.Id, new PartitionKey(document.TicketId), new ItemRequestOptions { IfMatchEtag = loaded.ETag }, ct),
                    cancellationToken);
                stored = new Loaded(replaced.Resource, replaced.ETag);
            }
            catch (Exception e) when (e is CosmosException { StatusCode: HttpStatusCode.PreconditionFailed or HttpStatusCode.NotFound }
                || (CosmosRetry.IsLostAnswer(e, cancellationToken) && ++lostAnswers < CosmosRetry.MaxAttempts))
            {
                // Something else moved the ETag, or the answer was lost. The stored document tells
                // whether this write landed (a 412 can be the retry of a write whose first answer
                // was lost); if not, only a new version is a conflict: anything else is merged again.
                loaded = await ReadAsync(container, ticketId, cancellationToken);
                fresh = true;
                if (loaded is null || !loaded.Document.Holds(writeId))
                {
                    continue;
                }

                stored = loaded;
            }

            if (ticket is not null)
            {
                ticket.MarkSaved(changed is null ? ticket.Version : document.Version);
                _loaded.AddOrUpdate(ticket, stored);
            }

            return document;
        }
    }

    /// <summary>The stored document of a ticket (its item index, query columns), or null.</summary>
    internal Task<TicketDocument?> ReadDocumentAsync(string ticketId, CancellationToken cancellationToken) =>
        items.ReadDocumentAsync(ticketId, cancellationToken);

    public async Task<IReadOnlyList<QueuedTicket>> UnassignedQueueAsync(IReadOnlyList<string> teamIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(teamIds);

        // The (type, isOpen, assigneeId) range of the unassigned view's composite index; four small
        // fields a ticket, so the whole queue costs about one RU per hundred tickets read.
        var container = await containers.GetAsync(CosmosContainers.Tickets, cancellationToken);
        var query = new QueryDefinition(
            """
            SELECT c.id, c.lateAt, c.priority, c.seq FROM c
            WHERE c.type = 'ticket' AND c.isOpen = true AND c.assigneeId = null AND c.status != @waiting
              AND (NOT IS_DEFINED(c.teamId) OR IS_NULL(c.teamId) OR ARRAY_CONTAINS(@teams, c.teamId))
            """)
            .WithParameter("@waiting", Names.Of(TicketStatus.WaitingOnCustomer))
            .WithParameter("@teams", teamIds.ToArray());
        using var iterator = container.GetItemQueryIterator<QueuedTicket>(query);
        var queue = new List<QueuedTicket>();
        while (iterator.HasMoreResults)
        {
            queue.AddRange(await retry.RunAsync(iterator.ReadNextAsync, cancellationToken));
        }

        return queue;
    }

    public async Task<Page<Ticket>> QueryAsync(TicketQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var sql = new StringBuilder("SELECT TOP @top c.seq, c.version, c.snapshot, c.lateAt, c.number, c.createdAt, c.updatedAt FROM c WHERE c.type = 'ticket'");
        var parameters = new Dictionary<string, object?>(StringComparer.Ordinal) { ["@top"] = query.Limit + 1 };

        void Where(string clause, string name, object? value)
        {
            sql.Append(" AND ").Append(clause);
            parameters[name] = value;
        }

        // The equality filters the view's composite index starts with; the ORDER BY names them
        // too, so the query reads that index range in seq order (docs/adr/0004-cosmos-containers.md).
        string[] index = ["type"];
        if (query.View != TicketView.All)
        {
            sql.Append(" AND c.isOpen = true");
            index = ["type", "isOpen"];
        }

        switch (query.View)
        {
            case TicketView.Mine:
                Where("c.assigneeId = @me", "@me", query.CallerAgentId ?? string.Empty);
                index = ["type", "isOpen", "assigneeId"];
                break;
            case TicketView.Team:
                var teams = query.CallerTeamIds ?? [];
                if (teams.Count == 0)
                {
                    return new Page<Ticket>([], null);
                }

                if (teams.Count == 1)
                {
                    Where("c.teamId = @team0", "@team0", teams[0]);
                    index = ["type", "isOpen", "teamId"];
                    break;
                }

                sql.Append(" AND c.teamId IN (")
                    .AppendJoin(", ", teams.Select((_, i) => string.Create(CultureInfo.InvariantCulture, $"@team{i}")))
                    .Append(')');
                for (var i = 0; i < teams.Count; i++)
                {
                    parameters[string.Create(CultureInfo.InvariantCulture, $"@team{i}")] = teams[i];
                }

                break;
            case TicketView.Unassigned:
                sql.Append(" AND c.assigneeId = null");
                index = ["type", "isOpen", "assigneeId"];
                break;
            case TicketView.Late:
                Where("IS_STRING(c.lateAt) AND c.lateAt <= @now", "@now", TicketDocument.Time(query.Now));
                break;
            case TicketView.All when query.Status is not null:
                index = ["type", "status"];
                break;
            case TicketView.All when query.AccountId is not null:
                index = ["type", "accountId"];
                break;
            case TicketView.All when query.ContactId is not null:
                index = ["type", "contactId"];
                break;
        }

        if (query.Status is { } status)
        {
            Where("c.status = @status", "@status", Names.Of(status));
        }

        if (query.Priority is { } priority)
        {
            Where("c.priority = @priority", "@priority", Names.Of(priority));
        }

        if (query.AssigneeId is not null)
        {
            Where("c.assigneeId = @assignee", "@assignee", query.AssigneeId);
        }

        if (query.TeamId is not null)
        {
            Where("c.teamId = @team", "@team", query.TeamId);
        }

        if (query.AccountId is not null)
        {
            Where("c.accountId = @account", "@account", query.AccountId);
        }

        if (query.ContactId is not null)
        {
            Where("c.contactId = @contact", "@contact", query.ContactId);
        }

        if (query.ProjectId is not null)
        {
            Where("c.snapshot.project.id = @project", "@project", query.ProjectId);
        }

        if (query.ContractId is not null)
        {
            Where("c.snapshot.contract.id = @contract", "@contract", query.ContractId);
        }

        if (query.ExcludeId is not null)
        {
            Where("c.id != @exclude", "@exclude", query.ExcludeId);
        }

        if (query.Portal is { } viewer)
        {
            // A document written before portal visibility existed has none: it is "default".
            sql.Append(" AND ((c.contactId = @portalContact AND (NOT IS_DEFINED(c.portal) OR c.portal != 'hidden'))");
            parameters["@portalContact"] = viewer.ContactId;
            if (viewer.AccountId is not null)
            {
                sql.Append(" OR (c.accountId = @portalAccount AND (ARRAY_CONTAINS(@portalShared, c.portal)")
                    .Append(viewer.AccountWide ? " OR NOT IS_DEFINED(c.portal)))" : "))");
                parameters["@portalAccount"] = viewer.AccountId;
                parameters["@portalShared"] = viewer.SharedWithAccount.ToArray();
            }

            sql.Append(')');
        }

        if (query.CreatedFrom is { } createdFrom)
        {
            Where("c.createdAt >= @createdFrom", "@createdFrom", TicketDocument.Time(createdFrom));
        }

        if (query.CreatedBefore is { } createdBefore)
        {
            Where("c.createdAt < @createdBefore", "@createdBefore", TicketDocument.Time(createdBefore));
        }

        if (!string.IsNullOrWhiteSpace(query.Text))
        {
            AppendTextFilter(sql, parameters, query.Text.Trim(), query.TextScope);
        }

        if (query.Sort is { } sort)
        {
            var filtered = sql.ToString();
            return await SortedTicketPages.ReadAsync(
                query, sort, (segment, after, take, ct) => ReadSegmentAsync(filtered, parameters, index, segment, after, take, ct), cancellationToken);
        }

        // The late view reads its composite index (type, isOpen, lateAt, seq) in order, most overdue
        // first, so a page costs a page however many tickets are late; the others, newest first.
        var late = query.View == TicketView.Late;
        if (query.Cursor is not null && late)
        {
            var (lateAt, seq) = Paging.DecodeOrderedKey(query.Cursor);
            sql.Append(" AND (c.lateAt > @afterLate OR (c.lateAt = @afterLate AND c.seq > @after))");
            parameters["@afterLate"] = lateAt;
            parameters["@after"] = seq;
        }
        else if (query.Cursor is not null)
        {
            Where("c.seq < @after", "@after", Paging.DecodeKey(query.Cursor));
        }

        sql.Append(" ORDER BY ").AppendJoin(", ", index.Select(path => $"c.{path}")).Append(late ? ", c.lateAt, c.seq" : ", c.seq DESC");
        var definition = new QueryDefinition(sql.ToString());
        foreach (var (name, value) in parameters)
        {
            definition.WithParameter(name, value);
        }

        var container = await containers.GetAsync(CosmosContainers.Tickets, cancellationToken);
        var rows = await CosmosQueries.TakeAsync<TicketRow>(container, definition, query.Limit + 1, partitionKey: null, retry, cancellationToken);
        var items = rows.Take(query.Limit).Select(r => Ticket.Rehydrate(r.Snapshot, r.Version)).ToArray();
        if (rows.Count <= query.Limit)
        {
            return new Page<Ticket>(items, null);
        }

        var last = rows[query.Limit - 1];
        return new Page<Ticket>(items, late ? Paging.EncodeKey(last.LateAt!, last.Seq) : Paging.EncodeKey(last.Seq));
    }

    /// <summary>
    /// The search (docs/adr/0014-conversation-search.md): the ticket's lower-cased search field
    /// (number, subject, description), its requester's name and email (read from the snapshot, so
    /// documents written before they were searched are found too), and in the conversation
    /// scopes the messages' text kept in the document's item index (<see cref="ItemRef.Text"/>),
    /// public messages only for the portal. All of it is in the one ticket document: the query
    /// reads no item document, and none of these paths is indexed (CONTAINS reads the text of
    /// each document the view's filters leave).
    /// </summary>
    private static void AppendTextFilter(StringBuilder sql, Dictionary<string, object?> parameters, string text, TicketTextScope scope)
    {
        sql.Append(" AND (CONTAINS(c.search, @q) OR CONTAINS(c.snapshot.requester.name, @q, true) OR CONTAINS(c.snapshot.requester.email, @q, true)");
        if (scope != TicketTextScope.Ticket)
        {
            sql.Append(" OR EXISTS(SELECT VALUE i FROM i IN c.items WHERE i.kind = @messageKind AND CONTAINS(i.text, @q)")
                .Append(scope == TicketTextScope.PublicConversation ? " AND i.internal = false" : string.Empty)
                .Append(')');
            parameters["@messageKind"] = TicketItemKinds.Message;
        }

        sql.Append(')');
        parameters["@q"] = text.ToLowerInvariant();
    }

    /// <summary>
    /// One range of a sorted list (<see cref="TicketSort.Segments"/>) from the row after
    /// <paramref name="after"/>: the ORDER BY names the view's equality paths, then the field and
    /// seq, matching one of the composite indexes CosmosContainers declares per view and direction.
    /// </summary>
    private async Task<IReadOnlyList<SortedTicketRow>> ReadSegmentAsync(
        string filtered, IReadOnlyDictionary<string, object?> filters, IReadOnlyList<string> index, TicketSortSegment segment, SortedTicketAfter? after, int take, CancellationToken cancellationToken)
    {
        var sql = new StringBuilder(filtered);
        var parameters = new Dictionary<string, object?>(filters, StringComparer.Ordinal) { ["@top"] = take };
        var path = segment.Field switch
        {
            TicketSortField.Number => "number",
            TicketSortField.CreatedAt => "createdAt",
            TicketSortField.UpdatedAt => "updatedAt",
            TicketSortField.DueAt => "lateAt",
            _ => null,
        };
        var order = index.Select(p => $"c.{p}").ToList();
        if (path is null)
        {
            if (segment.Priority is { } priority)
            {
                sql.Append(" AND c.priority = @sortPriority");
                parameters["@sortPriority"] = Names.Of(priority);
                order.Add("c.priority");
            }
            else
            {
                sql.Append(" AND NOT IS_STRING(c.lateAt)");
            }

            if (after is not null)
            {
                sql.Append(" AND c.seq < @sortAfter");
                parameters["@sortAfter"] = after.Seq;
            }

            order.Add("c.seq DESC");
        }
        else
        {
            if (segment.Field == TicketSortField.DueAt)
            {
                sql.Append(" AND IS_STRING(c.lateAt)");
            }

            if (after is not null)
            {
                var beyond = segment.Descending ? "<" : ">";
                sql.Append(CultureInfo.InvariantCulture, $" AND (c.{path} {beyond} @sortKey OR (c.{path} = @sortKey AND c.seq {beyond} @sortAfter))");
                parameters["@sortKey"] = after.Key ?? throw new InvalidCursorException();
                parameters["@sortAfter"] = after.Seq;
            }

            var direction = segment.Descending ? " DESC" : " ASC";
            order.Add($"c.{path}{direction}");
            order.Add($"c.seq{direction}");
        }

        sql.Append(" ORDER BY ").AppendJoin(", ", order);
        var definition = new QueryDefinition(sql.ToString());
        foreach (var (name, value) in parameters)
        {
            definition.WithParameter(name, value);
        }

        var container = await containers.GetAsync(CosmosContainers.Tickets, cancellationToken);
        var rows = await CosmosQueries.TakeAsync<TicketRow>(container, definition, take, partitionKey: null, retry, cancellationToken);
        return [.. rows.Select(r => new SortedTicketRow(Ticket.Rehydrate(r.Snapshot, r.Version), r.Seq, r.KeyOf(segment.Field)))];
    }

    public async Task<bool> UsesListValueAsync(TicketListField field, string value, CancellationToken cancellationToken)
    {
        var container = await containers.GetAsync(CosmosContainers.Tickets, cancellationToken);
        var path = $"c.snapshot.{TicketLists.FieldName(field)}";
        var query = new QueryDefinition($"SELECT TOP 1 c.id FROM c WHERE c.type = 'ticket' AND IS_STRING({path}) AND LOWER({path}) = @value")
            .WithParameter("@value", value.ToLowerInvariant());
        var rows = await CosmosQueries.TakeAsync<IdRow>(container, query, 1, partitionKey: null, retry, cancellationToken);
        return rows.Count > 0;
    }

    public async Task<IReadOnlyList<string>> DueForSlaAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken)
    {
        var container = await containers.GetAsync(CosmosContainers.Tickets, cancellationToken);
        var query = new QueryDefinition("SELECT TOP @top c.id FROM c WHERE c.type = 'ticket' AND IS_STRING(c.slaNextAt) AND c.slaNextAt <= @now ORDER BY c.slaNextAt")
            .WithParameter("@top", limit)
            .WithParameter("@now", TicketDocument.Time(now));
        var rows = await CosmosQueries.TakeAsync<IdRow>(container, query, limit, partitionKey: null, retry, cancellationToken);
        return [.. rows.Select(r => r.Id)];
    }

    public async Task<bool> RescheduleAsync(Ticket ticket, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        var schedule = await scheduler.ScheduleAsync(ticket, cancellationToken);
        var container = await containers.GetAsync(CosmosContainers.Tickets, cancellationToken);
        var loaded = await ReadAsync(container, ticket.Id, cancellationToken);
        if (loaded is null || loaded.Document.Version != ticket.Version)
        {
            return false;
        }

        return await ReplaceScheduleAsync(container, loaded, TicketDocument.Time(schedule.LateAt), TicketDocument.Time(schedule.NextSlaChangeAt), cancellationToken);
    }

    /// <summary>
    /// Marks each open ticket due now; a ticket written meanwhile is skipped, its write having
    /// scheduled it with the new policies already (the catalog is refreshed before this runs).
    /// </summary>
    public async Task RequestSlaReviewAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var container = await containers.GetAsync(CosmosContainers.Tickets, cancellationToken);
        var query = new QueryDefinition("SELECT c.id FROM c WHERE c.type = 'ticket' AND c.isOpen = true");
        using var iterator = container.GetItemQueryIterator<IdRow>(query);
        while (iterator.HasMoreResults)
        {
            foreach (var row in await retry.RunAsync(iterator.ReadNextAsync, cancellationToken))
            {
                if (await ReadAsync(container, row.Id, cancellationToken) is { } loaded)
                {
                    await ReplaceScheduleAsync(container, loaded, loaded.Document.LateAt, TicketDocument.Time(now), cancellationToken);
                }
            }
        }
    }

    private async Task<bool> ReplaceScheduleAsync(Container container, Loaded loaded, string? lateAt, string? slaNextAt, CancellationToken cancellationToken)
    {
        var document = loaded.Document with { LateAt = lateAt, SlaNextAt = slaNextAt };
        try
        {
            await retry.RunAsync(
                ct => container.ReplaceItemAsync(document, document.Id, new PartitionKey(document.TicketId), new ItemRequestOptions { IfMatchEtag = loaded.ETag }, ct),
                cancellationToken);
            return true;
        }
        catch (CosmosException e) when (e.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    public async Task<string?> FindReceiptAsync(string receiptId, DateTimeOffset since, CancellationToken cancellationToken)
    {
        var container = await containers.GetAsync(CosmosContainers.Tickets, cancellationToken);
        var query = new QueryDefinition("SELECT VALUE c.ticketId FROM c JOIN r IN c.receipts WHERE r.id = @id AND r.at >= @since")
            .WithParameter("@id", receiptId)
            .WithParameter("@since", TicketDocument.Time(since));
        using var iterator = container.GetItemQueryIterator<string>(query);
        while (iterator.HasMoreResults)
        {
            if ((await retry.RunAsync(iterator.ReadNextAsync, cancellationToken)).FirstOrDefault() is { } ticketId)
            {
                return ticketId;
            }
        }

        return null;
    }

    public async Task<Page<HistoryEntry>> HistoryAsync(string ticketId, int limit, string? cursor, CancellationToken cancellationToken)
    {
        var container = await containers.GetAsync(CosmosContainers.Tickets, cancellationToken);
        var after = cursor is null ? 0 : Paging.DecodeKey(cursor);
        var history = (await ReadAsync(container, ticketId, cancellationToken))?.Document.History ?? [];
        var items = history.Skip((int)Math.Min(after, history.Count)).Take(limit).ToArray();
        var end = after + items.Length;
        return new Page<HistoryEntry>(items, end < history.Count ? Paging.EncodeKey(end) : null);
    }

    private async Task<Loaded?> ReadAsync(Container container, string id, CancellationToken cancellationToken)
    {
        try
        {
            var read = await retry.RunAsync(ct => container.ReadItemAsync<TicketDocument>(id, new PartitionKey(id), cancellationToken: ct), cancellationToken);
            return new Loaded(read.Resource, read.ETag);
        }
        catch (CosmosException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private static ConcurrencyConflictException Conflict(Ticket ticket) =>
        new($"Ticket {ticket.Number} was changed by someone else since version {ticket.Version}.");

    private sealed record Loaded(TicketDocument Document, string ETag);

    private sealed record TicketRow(long Seq, long Version, TicketSnapshot Snapshot, string? LateAt, string? Number, string? CreatedAt, string? UpdatedAt)
    {
        public string? KeyOf(TicketSortField? field) => field switch
        {
            TicketSortField.Number => Number,
            TicketSortField.CreatedAt => CreatedAt,
            TicketSortField.UpdatedAt => UpdatedAt,
            TicketSortField.DueAt => LateAt,
            _ => null,
        };
    }

    private sealed record IdRow(string Id);
}

/// <summary>
/// The stored shape of a ticket: query columns at the top level, the rest unindexed.
/// <see cref="Events"/> holds the events of the ticket's latest writes, oldest first: the change
/// feed may skip intermediate versions of a document, so each version carries the events of the
/// writes before it as well (up to <see cref="RetainedEvents"/>), the relay's change-feed
/// function publishes the <c>events</c> array of every document it is given, and consumers drop
/// the event ids they have already seen. <see cref="Notified"/> names the notifications whose
/// history line the document holds, so each is recorded once.
/// </summary>
internal sealed record TicketDocument(
    string Id,
    string TicketId,
    string Type,
    long Seq,
    long Version,
    string Number,
    bool IsOpen,
    string Status,
    string Priority,
    string? AssigneeId,
    string? TeamId,
    string? AccountId,
    string? ContactId,
    string CreatedAt,
    string UpdatedAt,
    string? LateAt,
    string? SlaNextAt,
    string Search,
    TicketSnapshot Snapshot,
    IReadOnlyList<HistoryEntry> History,
    IReadOnlyList<DomainEvent> Events,
    IReadOnlyList<ItemRef>? Items = null,
    long ItemSeq = 0,
    IReadOnlyList<string>? Notified = null,
    IReadOnlyList<string>? Writes = null,
    IReadOnlyList<ReceiptRef>? Receipts = null,
    string? Portal = null)
{
    /// <summary>
    /// The ids of the latest writes that committed this document: after a write's answer is lost
    /// (a timeout, a 503), finding its id here is how the writer learns it landed. Far more than
    /// the writes one ticket gets between a lost answer and the re-read that follows it.
    /// </summary>
    public const int RetainedWrites = 20;

    /// <summary>
    /// An event drops out of the document after this many later events of the same ticket:
    /// far more than one ticket receives between two change-feed polls (seconds apart).
    /// </summary>
    public const int RetainedEvents = 50;

    /// <summary>Indexed: the standalone relay (Events/CosmosEventRelay) finds the documents it has to drain by it.</summary>
    public bool HasEvents => Events.Count > 0;

    /// <summary>The partition's committed items (see <see cref="CosmosTicketItems"/>), oldest first.</summary>
    public IReadOnlyList<ItemRef> ItemRefs => Items ?? [];

    /// <summary>Whether the write <paramref name="writeId"/> committed this document (or one of its last <see cref="RetainedWrites"/> predecessors).</summary>
    public bool Holds(string writeId) => Writes?.Contains(writeId, StringComparer.Ordinal) == true;

    /// <summary>This document as the write <paramref name="writeId"/> stores it.</summary>
    public TicketDocument Marked(string writeId) =>
        this with { Writes = [.. (Writes ?? []).TakeLast(RetainedWrites - 1), writeId] };

    /// <summary>
    /// This document with the receipt of the request that wrote it (<see cref="TicketReceipt"/>),
    /// the receipts past their retention dropped.
    /// </summary>
    public TicketDocument WithReceipt(TicketReceipt? receipt)
    {
        if (receipt is null || Receipts?.Any(r => r.Id == receipt.Id) == true)
        {
            return this;
        }

        var kept = Time(receipt.At - IdempotentRequest.Retention);
        return this with { Receipts = [.. (Receipts ?? []).Where(r => string.CompareOrdinal(r.At, kept) >= 0), new ReceiptRef(receipt.Id, Time(receipt.At))] };
    }

    /// <summary>This document with <paramref name="more"/> events appended, keeping the last <see cref="RetainedEvents"/>.</summary>
    public TicketDocument WithEvents(IReadOnlyList<DomainEvent> more) =>
        more.Count == 0 ? this : this with { Events = Retain([.. Events, .. more]) };

    /// <summary>This document with the history notes it does not hold yet (by key) appended.</summary>
    public TicketDocument WithNotes(IReadOnlyList<HistoryNote> notes)
    {
        var fresh = notes.Where(n => Notified?.Contains(n.Key, StringComparer.Ordinal) != true).ToArray();
        return fresh.Length == 0 ? this : this with { History = [.. History, .. fresh.Select(n => n.Entry)], Notified = [.. Notified ?? [], .. fresh.Select(n => n.Key)] };
    }

    /// <summary>A deleted ticket is stored as type <c>deletedTicket</c>, which no ticket query reads.</summary>
    public static TicketDocument Of(TicketSnapshot s, TicketSchedule schedule, long seq, long version, IReadOnlyList<HistoryEntry> history, IReadOnlyList<DomainEvent> events) =>
        new(
            s.Id,
            s.Id,
            s.DeletedAt is null ? "ticket" : "deletedTicket",
            seq,
            version,
            s.Number,
            s.Status.IsActive() && s.DeletedAt is null,
            Names.Of(s.Status),
            Names.Of(s.Priority),
            s.AssigneeId,
            s.TeamId,
            s.AccountId,
            s.Requester?.ContactId,
            Time(s.CreatedAt),
            Time(s.UpdatedAt),
            s.DeletedAt is null ? Time(schedule.LateAt) : null,
            s.DeletedAt is null ? Time(schedule.NextSlaChangeAt) : null,
            $"{s.Number}\n{s.Subject}\n{s.Description}".ToLowerInvariant(),
            s,
            history,
            Retain(events),
            Portal: Names.Of(Ticket.PortalOf(s)));

    private static IReadOnlyList<DomainEvent> Retain(IReadOnlyList<DomainEvent> events) =>
        events.Count > RetainedEvents ? events.Skip(events.Count - RetainedEvents).ToArray() : events;

    /// <summary>Fixed-width UTC text (seven fractional digits), so string order is time order in queries.</summary>
    public static string Time(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    public static string? Time(DateTimeOffset? value) => value is { } v ? Time(v) : null;
}

/// <summary>The receipt of a request with an Idempotency-Key that wrote a ticket document, and when (fixed-width UTC text).</summary>
internal sealed record ReceiptRef(string Id, string At);
