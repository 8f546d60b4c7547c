using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Serialization;
using Helpdesk.Api.Storage.Cosmos;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Directory;
using Helpdesk.Domain.Tickets;
using Microsoft.Azure.Cosmos;

namespace Helpdesk.Api.Mail;

/// <summary>
/// The email channel's shared state on Cosmos DB (docs/adr/0006, 0004), so every Functions
/// instance sees the same journal, dedup keys, subscriptions and delta links:
/// <list type="bullet">
/// <item><c>mailInbound</c>: one document per (mailbox, Graph id), that pair hashed into its id,
/// so recording a notified mail is a create that a repeat (409) turns into a no-op; its journal
/// number (<c>seq</c>, the id the admin routes use) comes from a counter.</item>
/// <item>A claim replaces each due document guarded by the ETag the query returned: of two
/// instances claiming the same mail, one gets a 412 and skips it.</item>
/// <item><c>mailMessageIds</c>: one document per (Message-ID, mailbox), created if absent. A
/// settled mail records its Message-ID first and its journal row second (no transaction across
/// documents); the record names its journal row, so a retry after a crash in between is not
/// taken for a duplicate of itself and completes through the stored-message recovery.</item>
/// <item><c>mailState</c>: each mailbox's subscription and delta link; a delta round records its
/// mail before its link, so a crash repeats the round and never skips it.</item>
/// <item>The reply-token secret is one document of <c>counters</c>, drawn by whichever instance
/// needs it first.</item>
/// </list>
/// </summary>
internal sealed class CosmosMailStore(CosmosContainers containers, CosmosSequence sequence, CosmosTicketItems items, CosmosRetry retry, Common.ClaimOwner owner) : IMailSubscriptions, IMailJournal, IMailThreadIds
{
    private const string SecretId = "secret:mail-reply-token";
    private const string InboundSequence = "order:mailInbound";
    private const string SubscriptionType = "subscription";
    private const string DeltaType = "delta";
    private const string SenderType = "sender";
    private static readonly string[] Counted = [InboundStates.Pending, InboundStates.Done, InboundStates.Quarantined];

    public async Task<byte[]> SecretAsync(CancellationToken cancellationToken)
    {
        var container = await containers.GetAsync(CosmosContainers.Counters, cancellationToken);
        var partition = new PartitionKey(SecretId);
        if (await ReadAsync<Secret>(container, SecretId, cancellationToken) is { } stored)
        {
            return stored.Document.Key;
        }

        var made = new Secret(SecretId, RandomNumberGenerator.GetBytes(32));
        try
        {
            await retry.RunAsync(ct => container.CreateItemAsync(made, partition, cancellationToken: ct), cancellationToken);
            return made.Key;
        }
        catch (CosmosException e) when (e.StatusCode == HttpStatusCode.Conflict)
        {
            return (await retry.RunAsync(ct => container.ReadItemAsync<Secret>(SecretId, partition, cancellationToken: ct), cancellationToken)).Resource.Key;
        }
    }

    public async Task<IReadOnlyList<ThreadMail>> ThreadOfAsync(string ticketId, CancellationToken cancellationToken)
    {
        var rows = await QueryAsync<MessageIdDocument>(CosmosContainers.MailMessageIds, new QueryDefinition("SELECT * FROM c WHERE c.ticketId = @ticket").WithParameter("@ticket", ticketId), cancellationToken);
        return [.. rows.Where(r => r.Direction is MessageIdRecord.In or MessageIdRecord.Out).OrderBy(r => r.At, StringComparer.Ordinal).ThenBy(r => r.MessageId, StringComparer.Ordinal).Select(r => new ThreadMail(r.MessageId, r.Mailbox, r.Direction, r.GraphId))];
    }

    public async Task<IReadOnlyList<MailSubscription>> SubscriptionsAsync(CancellationToken cancellationToken)
    {
        var rows = await QueryAsync<SubscriptionDocument>(CosmosContainers.MailState, new QueryDefinition("SELECT * FROM c WHERE c.type = @type").WithParameter("@type", SubscriptionType), cancellationToken);
        return [.. rows.Select(r => r.Subscription)];
    }

    public async Task<MailSubscription?> FindSubscriptionAsync(string subscriptionId, CancellationToken cancellationToken) =>
        (await FindSubscriptionDocumentAsync(subscriptionId, cancellationToken))?.Subscription;

    public async Task SaveSubscriptionAsync(MailSubscription subscription, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        var container = await containers.GetAsync(CosmosContainers.MailState, cancellationToken);
        var document = new SubscriptionDocument(StateId(SubscriptionType, subscription.Mailbox), SubscriptionType, subscription.SubscriptionId, subscription);
        await retry.RunAsync(ct => container.UpsertItemAsync(document, new PartitionKey(document.Id), new ItemRequestOptions { EnableContentResponseOnWrite = false }, ct), cancellationToken);
    }

    public async Task RemoveSubscriptionAsync(string subscriptionId, CancellationToken cancellationToken)
    {
        if (await FindSubscriptionDocumentAsync(subscriptionId, cancellationToken) is not { } found)
        {
            return;
        }

        var container = await containers.GetAsync(CosmosContainers.MailState, cancellationToken);
        using var deleted = await container.DeleteItemStreamAsync(found.Id, new PartitionKey(found.Id), cancellationToken: cancellationToken);
        if (!deleted.IsSuccessStatusCode && deleted.StatusCode != HttpStatusCode.NotFound)
        {
            throw new CosmosException($"Removing the subscription {subscriptionId} failed.", deleted.StatusCode, 0, deleted.Headers.ActivityId, deleted.Headers.RequestCharge);
        }
    }

    /// <summary>A patch of one flag: a renewal writing the same document meanwhile keeps its own fields.</summary>
    public async Task RequestReauthorizationAsync(string subscriptionId, CancellationToken cancellationToken)
    {
        if (await FindSubscriptionDocumentAsync(subscriptionId, cancellationToken) is not { } found)
        {
            return;
        }

        var container = await containers.GetAsync(CosmosContainers.MailState, cancellationToken);
        try
        {
            await retry.RunAsync(
                ct => container.PatchItemAsync<SubscriptionDocument>(found.Id, new PartitionKey(found.Id), [PatchOperation.Set("/subscription/reauthorizeRequested", true)], cancellationToken: ct),
                cancellationToken);
        }
        catch (CosmosException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            // Removed meanwhile: nothing left to reauthorize.
        }
    }

    public async Task<string?> DeltaLinkAsync(string mailbox, CancellationToken cancellationToken)
    {
        var container = await containers.GetAsync(CosmosContainers.MailState, cancellationToken);
        return (await ReadAsync<DeltaDocument>(container, StateId(DeltaType, mailbox), cancellationToken))?.Document.DeltaLink;
    }

    public async Task<int> RecordDeltaAsync(string mailbox, IReadOnlyList<string> graphIds, string deltaLink, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(graphIds);
        var added = await InsertInboundAsync([.. graphIds.Select(id => (mailbox, id))], "delta", now, cancellationToken);
        var container = await containers.GetAsync(CosmosContainers.MailState, cancellationToken);
        var link = new DeltaDocument(StateId(DeltaType, mailbox), DeltaType, mailbox, deltaLink, TicketDocument.Time(now));
        await retry.RunAsync(ct => container.UpsertItemAsync(link, new PartitionKey(link.Id), new ItemRequestOptions { EnableContentResponseOnWrite = false }, ct), cancellationToken);
        return added;
    }

    public Task<int> RecordNotifiedAsync(IReadOnlyList<(string Mailbox, string GraphId)> mails, DateTimeOffset now, CancellationToken cancellationToken) =>
        InsertInboundAsync(mails, "notification", now, cancellationToken);

    /// <summary>
    /// The due mails, then one ETag-guarded replace each: a mail another instance claimed between
    /// the query and the replace answers 412 and is left to it.
    /// </summary>
    public async Task<IReadOnlyList<InboundMail>> ClaimAsync(DateTimeOffset now, DateTimeOffset leaseUntil, int limit, CancellationToken cancellationToken)
    {
        var query = new QueryDefinition("SELECT TOP @top * FROM c WHERE c.state = @state AND c.nextAttemptAt <= @now ORDER BY c.nextAttemptAt")
            .WithParameter("@top", limit)
            .WithParameter("@state", InboundStates.Pending)
            .WithParameter("@now", TicketDocument.Time(now));
        var container = await containers.GetAsync(CosmosContainers.MailInbound, cancellationToken);
        var due = await CosmosQueries.TakeAsync<InboundDocument>(container, query, limit, partitionKey: null, retry, cancellationToken);
        var claimed = new List<InboundMail>();
        foreach (var row in due)
        {
            var next = row with { Attempts = row.Attempts + 1, NextAttemptAt = TicketDocument.Time(leaseUntil), ClaimedBy = owner.Name, ETag = null };
            if (await retry.TryReplaceAsync(container, next, next.Id, row.ETag!, cancellationToken))
            {
                claimed.Add(new InboundMail(next.Seq, next.Mailbox, next.GraphId, next.Attempts, next.Released));
            }
        }

        return [.. claimed.OrderBy(c => c.Seq)];
    }

    /// <summary>The pending mails claimed by a process of this host that died, each due again at once (an ETag-guarded replace).</summary>
    public async Task<int> ReleaseStaleAsync(Common.ClaimOwner claimant, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claimant);
        var container = await containers.GetAsync(CosmosContainers.MailInbound, cancellationToken);
        var query = new QueryDefinition("SELECT * FROM c WHERE c.state = @state AND IS_STRING(c.claimedBy) AND c.nextAttemptAt > @now")
            .WithParameter("@state", InboundStates.Pending)
            .WithParameter("@now", TicketDocument.Time(now));
        var released = 0;
        foreach (var row in (await ReadAllAsync<InboundDocument>(container, query, retry, cancellationToken)).Where(r => claimant.IsStale(r.ClaimedBy)))
        {
            var next = row with { NextAttemptAt = TicketDocument.Time(now), ClaimedBy = null, ETag = null };
            released += await retry.TryReplaceAsync(container, next, next.Id, row.ETag!, cancellationToken) ? 1 : 0;
        }

        // The conversation leases the dead process held (LeaseAsync).
        var ids = await containers.GetAsync(CosmosContainers.MailMessageIds, cancellationToken);
        var leases = await ReadAllAsync<LeaseDocument>(ids, new QueryDefinition("SELECT * FROM c WHERE IS_STRING(c.leaseOwner)"), retry, cancellationToken);
        foreach (var lease in leases.Where(l => claimant.IsStale(l.LeaseOwner)))
        {
            released += await TryDeleteAsync(ids, lease.Id, lease.ETag!, cancellationToken) ? 1 : 0;
        }

        return released;
    }

    public Task PutBackAsync(long seq, string reason, DateTimeOffset retryAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reason);
        return UpdateAsync(
            seq,
            d => d.State != InboundStates.Pending ? null : d with
            {
                Attempts = Math.Max(d.Attempts - 1, 0),
                Reason = reason.Length > 500 ? reason[..500] : reason,
                NextAttemptAt = TicketDocument.Time(retryAt),
                ClaimedBy = null,
            },
            cancellationToken);
    }

    /// <summary>
    /// One lease document per key in <c>mailMessageIds</c>, created if absent (409: held); a held
    /// one is taken over with an ETag-guarded replace when it is this mail's, expired or of a
    /// settled mail. A key held by another mail gives back the ones this call took.
    /// </summary>
    public async Task<long?> LeaseAsync(string mailbox, IReadOnlyList<string> keys, long seq, DateTimeOffset now, DateTimeOffset until, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var container = await containers.GetAsync(CosmosContainers.MailMessageIds, cancellationToken);
        var taken = new List<string>();
        foreach (var key in keys.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            var lease = new LeaseDocument(LeaseKey(key, mailbox), mailbox, key, seq, owner.Name, TicketDocument.Time(until));
            if (await TakeLeaseAsync(container, lease, now, cancellationToken) is { } holder)
            {
                await ReleaseLeasesAsync(mailbox, taken, seq, cancellationToken);
                return holder;
            }

            taken.Add(key);
        }

        return null;
    }

    public async Task ReleaseLeasesAsync(string mailbox, IReadOnlyList<string> keys, long seq, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var container = await containers.GetAsync(CosmosContainers.MailMessageIds, cancellationToken);
        foreach (var key in keys)
        {
            if (await ReadWithETagAsync<LeaseDocument>(container, LeaseKey(key, mailbox), cancellationToken) is { Document.Seq: var holder } stored && holder == seq)
            {
                await TryDeleteAsync(container, stored.Document.Id, stored.ETag, cancellationToken);
            }
        }
    }

    /// <summary>Null when <paramref name="lease"/> is stored (created, or taken over); else the seq of the mail holding the key.</summary>
    private async Task<long?> TakeLeaseAsync(Container container, LeaseDocument lease, DateTimeOffset now, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                await retry.RunAsync(ct => container.CreateItemAsync(lease, new PartitionKey(lease.Id), new ItemRequestOptions { EnableContentResponseOnWrite = false }, ct), cancellationToken);
                return null;
            }
            catch (CosmosException e) when (e.StatusCode == HttpStatusCode.Conflict)
            {
                // Held: whose it is decides below.
            }

            if (await ReadWithETagAsync<LeaseDocument>(container, lease.Id, cancellationToken) is not { } stored)
            {
                continue;
            }

            var held = stored.Document;
            if (held.Seq != lease.Seq && Time(held.Until) > now && await FindInboundAsync(held.Seq, cancellationToken) is not { State: not InboundStates.Pending })
            {
                return held.Seq;
            }

            if (await retry.TryReplaceAsync(container, lease, lease.Id, stored.ETag, cancellationToken))
            {
                return null;
            }
        }
    }

    /// <summary>Deletes a document partitioned by its own id if it still has <paramref name="etag"/>: false when it changed or is gone.</summary>
    private async Task<bool> TryDeleteAsync(Container container, string id, string etag, CancellationToken cancellationToken)
    {
        try
        {
            await retry.RunAsync(ct => container.DeleteItemAsync<LeaseDocument>(id, new PartitionKey(id), new ItemRequestOptions { IfMatchEtag = etag, EnableContentResponseOnWrite = false }, ct), cancellationToken);
            return true;
        }
        catch (CosmosException e) when (e.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    public Task FailAsync(long seq, string reason, DateTimeOffset? retryAt, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reason);
        return UpdateAsync(
            seq,
            d => d.State != InboundStates.Pending ? null : d with
            {
                State = retryAt is null ? InboundStates.Dead : InboundStates.Pending,
                Reason = reason.Length > 500 ? reason[..500] : reason,
                NextAttemptAt = TicketDocument.Time(retryAt ?? now),
                ProcessedAt = retryAt is null ? TicketDocument.Time(now) : null,
                ClaimedBy = null,
            },
            cancellationToken);
    }

    public Task SettleAsync(long seq, InboundOutcome outcome, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        return UpdateAsync(
            seq,
            d => d with
            {
                State = outcome.State,
                Reason = outcome.Reason,
                From = outcome.From,
                Subject = outcome.Subject is { Length: > 300 } s ? s[..300] : outcome.Subject,
                InternetMessageId = outcome.InternetMessageId,
                TicketId = outcome.TicketId,
                ThreadedBy = outcome.ThreadedBy,
                ProcessedAt = TicketDocument.Time(now),
            },
            cancellationToken);
    }

    /// <summary>
    /// A create (409: another record exists) and, over a <c>cited</c> record, an ETag-guarded
    /// replace: of two copies taken in parallel on any instances, exactly one holds the Message-ID.
    /// </summary>
    public async Task<string?> TakeAsync(MessageIdRecord record, long seq, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        var container = await containers.GetAsync(CosmosContainers.MailMessageIds, cancellationToken);
        var taking = new MessageIdDocument(
            MessageIdKey(record.MessageId, record.Mailbox), record.MessageId, record.Mailbox, string.Empty, MessageIdRecord.Taking, record.GraphId, record.ConversationId, TicketDocument.Time(now), seq, record.Cites is { Count: > 0 } cites ? cites : null);
        while (true)
        {
            try
            {
                await retry.RunAsync(ct => container.CreateItemAsync(taking, new PartitionKey(taking.Id), new ItemRequestOptions { EnableContentResponseOnWrite = false }, ct), cancellationToken);
                return null;
            }
            catch (CosmosException e) when (e.StatusCode == HttpStatusCode.Conflict)
            {
                // Recorded already: whose it is decides below.
            }

            if (await ReadWithETagAsync<MessageIdDocument>(container, taking.Id, cancellationToken) is not { } stored)
            {
                continue;
            }

            switch (stored.Document.Direction)
            {
                case MessageIdRecord.In or MessageIdRecord.Taking:
                    return stored.Document.GraphId == record.GraphId ? null : stored.Document.GraphId ?? string.Empty;
                case MessageIdRecord.Out:
                    return null;
            }

            try
            {
                var held = stored.Document with { Direction = MessageIdRecord.Taking, GraphId = record.GraphId, Seq = seq, ConversationId = taking.ConversationId, Cites = taking.Cites };
                await retry.RunAsync(ct => container.ReplaceItemAsync(held, held.Id, new PartitionKey(held.Id), new ItemRequestOptions { IfMatchEtag = stored.ETag, EnableContentResponseOnWrite = false }, ct), cancellationToken);
                return null;
            }
            catch (CosmosException e) when (e.StatusCode == HttpStatusCode.PreconditionFailed)
            {
                // Another copy took it first: look again.
            }
        }
    }

    public async Task<string?> TicketOfMessageIdsAsync(IReadOnlyList<string> messageIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messageIds);
        if (messageIds.Count == 0)
        {
            return null;
        }

        var rows = await QueryAsync<MessageIdDocument>(
            CosmosContainers.MailMessageIds,
            new QueryDefinition("SELECT * FROM c WHERE ARRAY_CONTAINS(@ids, c.messageId)").WithParameter("@ids", messageIds.ToArray()),
            cancellationToken);
        return messageIds.Select(id => rows.FirstOrDefault(r => r.MessageId == id && r.TicketId.Length > 0)?.TicketId).FirstOrDefault(t => t is not null);
    }

    public async Task<string?> TicketCitingAsync(string mailbox, string internetMessageId, CancellationToken cancellationToken)
    {
        var container = await containers.GetAsync(CosmosContainers.MailMessageIds, cancellationToken);
        var found = await ReadAsync<MessageIdDocument>(container, MessageIdKey(internetMessageId, mailbox), cancellationToken);
        return found is { Document.Direction: MessageIdRecord.Cited or MessageIdRecord.Taking, Document.TicketId.Length: > 0 } ? found.Document.TicketId : null;
    }

    public async Task<IReadOnlyList<string>> TakingCitingAsync(string mailbox, string internetMessageId, CancellationToken cancellationToken)
    {
        var rows = await QueryAsync<MessageIdDocument>(
            CosmosContainers.MailMessageIds,
            new QueryDefinition("SELECT * FROM c WHERE c.direction = @taking AND c.mailbox = @mailbox AND ARRAY_CONTAINS(c.cites, @id)")
                .WithParameter("@taking", MessageIdRecord.Taking)
                .WithParameter("@mailbox", mailbox)
                .WithParameter("@id", internetMessageId),
            cancellationToken);
        return Oldest(rows);
    }

    public async Task<IReadOnlyList<string>> TakingInConversationAsync(string mailbox, string conversationId, CancellationToken cancellationToken)
    {
        var rows = await QueryAsync<MessageIdDocument>(
            CosmosContainers.MailMessageIds,
            new QueryDefinition("SELECT * FROM c WHERE c.conversationId = @id AND c.direction = @taking AND c.mailbox = @mailbox")
                .WithParameter("@taking", MessageIdRecord.Taking)
                .WithParameter("@mailbox", mailbox)
                .WithParameter("@id", conversationId),
            cancellationToken);
        return Oldest(rows);
    }

    private static List<string> Oldest(IEnumerable<MessageIdDocument> rows) =>
        [.. rows.OrderBy(r => r.At, StringComparer.Ordinal).ThenBy(r => r.MessageId, StringComparer.Ordinal).Select(r => r.MessageId)];

    public async Task<string?> TicketOfConversationAsync(string conversationId, CancellationToken cancellationToken)
    {
        var rows = await QueryAsync<MessageIdDocument>(
            CosmosContainers.MailMessageIds,
            new QueryDefinition("SELECT * FROM c WHERE c.conversationId = @id").WithParameter("@id", conversationId),
            cancellationToken);
        return rows.Where(r => r.TicketId.Length > 0).OrderByDescending(r => r.At, StringComparer.Ordinal).FirstOrDefault()?.TicketId;
    }

    /// <summary>An index query on the item id across ticket partitions, kept only where the ticket's index names it (committed).</summary>
    public async Task<string?> TicketOfStoredMessageAsync(string messageId, CancellationToken cancellationToken)
    {
        var query = new QueryDefinition("SELECT * FROM c WHERE c.type = @type AND c.kind = @kind AND c.itemId = @id")
            .WithParameter("@type", CosmosTicketItems.ItemType)
            .WithParameter("@kind", TicketItemKinds.Message)
            .WithParameter("@id", messageId);
        await foreach (var (_, ticket) in items.QueryAsync<TicketMessage>(query, cancellationToken))
        {
            return ticket.TicketId;
        }

        return null;
    }

    public async Task<string?> SubjectOfAsync(string ticketId, string messageId, CancellationToken cancellationToken)
    {
        var rows = await QueryAsync<InboundDocument>(
            CosmosContainers.MailInbound,
            new QueryDefinition("SELECT * FROM c WHERE c.ticketId = @ticket AND c.state = @state").WithParameter("@ticket", ticketId).WithParameter("@state", InboundStates.Done),
            cancellationToken);
        return rows.FirstOrDefault(r => r.InternetMessageId is not null && MailIntake.MessageIdFor(r.Mailbox, r.InternetMessageId) == messageId)?.Subject;
    }

    /// <summary>
    /// The Message-IDs and journal rows of the mail a conversation message was taken from follow
    /// the message to <paramref name="toTicket"/> (re-threading); each is one replace, and a
    /// repeat finds nothing left on <paramref name="fromTicket"/>.
    /// </summary>
    internal static async Task RethreadAsync(CosmosContainers containers, CosmosRetry retry, string messageId, string fromTicket, string toTicket, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(containers);
        ArgumentNullException.ThrowIfNull(retry);
        var ids = await containers.GetAsync(CosmosContainers.MailMessageIds, cancellationToken);
        var journal = await containers.GetAsync(CosmosContainers.MailInbound, cancellationToken);
        var records = await ReadAllAsync<MessageIdDocument>(ids, new QueryDefinition("SELECT * FROM c WHERE c.ticketId = @from").WithParameter("@from", fromTicket), retry, cancellationToken);
        foreach (var record in records.Where(r => r.Direction == MessageIdRecord.In && MailIntake.MessageIdFor(r.Mailbox, r.MessageId) == messageId))
        {
            var moved = record with { TicketId = toTicket };
            await retry.RunAsync(ct => ids.ReplaceItemAsync(moved, moved.Id, new PartitionKey(moved.Id), new ItemRequestOptions { EnableContentResponseOnWrite = false }, ct), cancellationToken);
            var rows = await ReadAllAsync<InboundDocument>(journal, new QueryDefinition("SELECT * FROM c WHERE c.ticketId = @from").WithParameter("@from", fromTicket), retry, cancellationToken);
            foreach (var row in rows.Where(r => r.Mailbox == record.Mailbox && r.InternetMessageId == record.MessageId))
            {
                var next = row with { TicketId = toTicket, ETag = null };
                await retry.RunAsync(ct => journal.ReplaceItemAsync(next, next.Id, new PartitionKey(next.Id), new ItemRequestOptions { EnableContentResponseOnWrite = false }, ct), cancellationToken);
            }
        }
    }

    public async Task CompleteAsync(long seq, InboundOutcome outcome, MessageIdRecord? record, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (record is not null)
        {
            await InsertMessageIdAsync(record, seq, now, cancellationToken);
        }

        await SettleAsync(seq, outcome, now, cancellationToken);
    }

    public Task RecordSentAsync(MessageIdRecord record, DateTimeOffset now, CancellationToken cancellationToken) =>
        InsertMessageIdAsync(record, null, now, cancellationToken);

    /// <summary>
    /// One document per sender in <c>mailState</c> lists the mails taken in from it within the
    /// window; adding a mail is an ETag-guarded replace (412 = another mail of the sender got in
    /// first: read again). That orders the sender's mails as SQLite's serialized transactions do,
    /// on one instance or several: each counts the mails listed before it, of those the ones
    /// still pending, done or quarantined.
    /// </summary>
    public async Task<int> TakeInFromSenderAsync(long seq, string from, DateTimeOffset since, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await UpdateAsync(seq, d => d with { From = from, ProcessedAt = TicketDocument.Time(now) }, cancellationToken);
        var container = await containers.GetAsync(CosmosContainers.MailState, cancellationToken);
        var id = StateId(SenderType, from);
        IReadOnlyList<long> before;
        while (true)
        {
            var stored = await ReadWithETagAsync<SenderDocument>(container, id, cancellationToken);
            var window = (stored?.Document.Taken ?? []).Where(t => t.Seq != seq && string.CompareOrdinal(t.At, TicketDocument.Time(since)) >= 0).ToArray();
            var next = new SenderDocument(id, SenderType, [.. window, new TakenMail(seq, TicketDocument.Time(now))]);
            try
            {
                await retry.RunAsync(
                    ct => stored is null
                        ? container.CreateItemAsync(next, new PartitionKey(id), new ItemRequestOptions { EnableContentResponseOnWrite = false }, ct)
                        : container.ReplaceItemAsync(next, id, new PartitionKey(id), new ItemRequestOptions { IfMatchEtag = stored.ETag, EnableContentResponseOnWrite = false }, ct),
                    cancellationToken);
                before = [.. window.Select(t => t.Seq)];
                break;
            }
            catch (CosmosException e) when (e.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.Conflict or HttpStatusCode.NotFound)
            {
                // Another mail of this sender was taken in meanwhile: count again with it.
            }
        }

        if (before.Count == 0)
        {
            return 0;
        }

        var rows = await QueryAsync<InboundDocument>(
            CosmosContainers.MailInbound,
            new QueryDefinition("SELECT * FROM c WHERE ARRAY_CONTAINS(@seqs, c.seq)").WithParameter("@seqs", before.ToArray()),
            cancellationToken);
        return rows.Count(r => Counted.Contains(r.State, StringComparer.Ordinal));
    }

    public async Task<IReadOnlyList<InboundMailView>> ListAsync(string state, int limit, long? before, CancellationToken cancellationToken)
    {
        var query = new QueryDefinition("SELECT TOP @top * FROM c WHERE c.state = @state AND c.seq < @before ORDER BY c.seq DESC")
            .WithParameter("@top", limit)
            .WithParameter("@state", state)
            .WithParameter("@before", before ?? long.MaxValue);
        var container = await containers.GetAsync(CosmosContainers.MailInbound, cancellationToken);
        var rows = await CosmosQueries.TakeAsync<InboundDocument>(container, query, limit, partitionKey: null, retry, cancellationToken);
        return [.. rows.Select(View)];
    }

    public async Task<IReadOnlyList<InboundMailView>> FromSenderAsync(string address, CancellationToken cancellationToken) =>
        [.. (await SenderRowsAsync(address, cancellationToken)).OrderBy(r => r.Seq).Select(View)];

    public async Task<int> ForgetSenderAsync(string address, string pseudonym, CancellationToken cancellationToken)
    {
        var from = EmailAddresses.Normalize(address);
        var changed = 0;
        foreach (var row in await SenderRowsAsync(address, cancellationToken))
        {
            await UpdateAsync(
                row.Seq,
                d => d.From is { } sender && EmailAddresses.Normalize(sender) == from
                    ? d with { From = pseudonym, Subject = null, Reason = d.Reason?.Replace(address, pseudonym, StringComparison.OrdinalIgnoreCase) }
                    : null,
                cancellationToken);
            changed++;
        }

        return changed;
    }

    private Task<IReadOnlyList<InboundDocument>> SenderRowsAsync(string address, CancellationToken cancellationToken) =>
        QueryAsync<InboundDocument>(
            CosmosContainers.MailInbound,
            new QueryDefinition("SELECT * FROM c WHERE LOWER(c[\"from\"]) = @from").WithParameter("@from", EmailAddresses.Normalize(address)),
            cancellationToken);

    public async Task<InboundMailView?> FindAsync(long id, CancellationToken cancellationToken) =>
        await FindInboundAsync(id, cancellationToken) is { } found ? View(found) : null;

    public async Task<bool> MoveAsync(long id, string from, string to, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var moved = false;
        await UpdateAsync(
            id,
            d =>
            {
                moved = d.State == from;
                return !moved ? null : d with
                {
                    State = to,
                    NextAttemptAt = TicketDocument.Time(now),
                    ProcessedAt = to == InboundStates.Pending ? null : TicketDocument.Time(now),
                    Attempts = to == InboundStates.Pending ? 0 : d.Attempts,
                    Released = d.Released || (from == InboundStates.Quarantined && to == InboundStates.Pending),
                    ClaimedBy = null,
                };
            },
            cancellationToken);
        return moved;
    }

    private async Task<int> InsertInboundAsync(IReadOnlyList<(string Mailbox, string GraphId)> mails, string source, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (mails.Count == 0)
        {
            return 0;
        }

        var container = await containers.GetAsync(CosmosContainers.MailInbound, cancellationToken);
        var first = await sequence.ReserveAsync(InboundSequence, mails.Count, cancellationToken);
        var at = TicketDocument.Time(now);
        var added = 0;
        for (var i = 0; i < mails.Count; i++)
        {
            var (mailbox, graphId) = mails[i];
            var document = new InboundDocument(
                CosmosIds.Hash(mailbox + "\n" + graphId), first + i, mailbox, graphId, source, InboundStates.Pending, 0, at, false, null, null, null, null, null, null, at, null);
            try
            {
                await retry.RunAsync(ct => container.CreateItemAsync(document, new PartitionKey(document.Id), new ItemRequestOptions { EnableContentResponseOnWrite = false }, ct), cancellationToken);
                added++;
            }
            catch (CosmosException e) when (e.StatusCode == HttpStatusCode.Conflict)
            {
                // Recorded already (a repeated notification, or seen by delta): the first record stands.
            }
        }

        return added;
    }

    private async Task InsertMessageIdAsync(MessageIdRecord record, long? seq, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        var container = await containers.GetAsync(CosmosContainers.MailMessageIds, cancellationToken);
        var document = new MessageIdDocument(
            MessageIdKey(record.MessageId, record.Mailbox), record.MessageId, record.Mailbox, record.TicketId, record.Direction, record.GraphId, record.ConversationId, TicketDocument.Time(now), seq);
        try
        {
            await retry.RunAsync(ct => container.CreateItemAsync(document, new PartitionKey(document.Id), new ItemRequestOptions { EnableContentResponseOnWrite = false }, ct), cancellationToken);
        }
        catch (CosmosException e) when (e.StatusCode == HttpStatusCode.Conflict)
        {
            // Recorded already: the first record stands, unless it is only cited or held while the mail is taken in.
            await ReplaceProvisionalAsync(container, document, cancellationToken);
        }

        foreach (var cited in record.Cites ?? [])
        {
            await InsertMessageIdAsync(new MessageIdRecord(cited, record.Mailbox, record.TicketId, MessageIdRecord.Cited, null, null), null, now, cancellationToken);
        }
    }

    /// <summary>A <c>cited</c> or <c>taking</c> record gives way to the mail taken in, guarded by its ETag (412: read it again).</summary>
    private async Task ReplaceProvisionalAsync(Container container, MessageIdDocument document, CancellationToken cancellationToken)
    {
        if (document.Direction is MessageIdRecord.Cited or MessageIdRecord.Taking)
        {
            return;
        }

        while (await ReadWithETagAsync<MessageIdDocument>(container, document.Id, cancellationToken) is { Document.Direction: MessageIdRecord.Cited or MessageIdRecord.Taking } stored)
        {
            try
            {
                await retry.RunAsync(ct => container.ReplaceItemAsync(document, document.Id, new PartitionKey(document.Id), new ItemRequestOptions { IfMatchEtag = stored.ETag, EnableContentResponseOnWrite = false }, ct), cancellationToken);
                return;
            }
            catch (CosmosException e) when (e.StatusCode == HttpStatusCode.PreconditionFailed)
            {
                // Another write came first: look again.
            }
        }
    }

    /// <summary>Applies <paramref name="change"/> (null = leave it) to journal row <paramref name="seq"/>, again on the stored row when its ETag moved.</summary>
    private async Task UpdateAsync(long seq, Func<InboundDocument, InboundDocument?> change, CancellationToken cancellationToken)
    {
        var container = await containers.GetAsync(CosmosContainers.MailInbound, cancellationToken);
        while (await FindInboundAsync(seq, cancellationToken) is { } current)
        {
            if (change(current) is not { } next)
            {
                return;
            }

            if (await retry.TryReplaceAsync(container, next with { ETag = null }, next.Id, current.ETag!, cancellationToken))
            {
                return;
            }
        }
    }

    private async Task<InboundDocument?> FindInboundAsync(long seq, CancellationToken cancellationToken)
    {
        var rows = await QueryAsync<InboundDocument>(CosmosContainers.MailInbound, new QueryDefinition("SELECT * FROM c WHERE c.seq = @seq").WithParameter("@seq", seq), cancellationToken);
        return rows.Count == 0 ? null : rows[0];
    }

    private async Task<SubscriptionDocument?> FindSubscriptionDocumentAsync(string subscriptionId, CancellationToken cancellationToken)
    {
        var rows = await QueryAsync<SubscriptionDocument>(
            CosmosContainers.MailState,
            new QueryDefinition("SELECT * FROM c WHERE c.type = @type AND c.subscriptionId = @id").WithParameter("@type", SubscriptionType).WithParameter("@id", subscriptionId),
            cancellationToken);
        return rows.Count == 0 ? null : rows[0];
    }

    private async Task<IReadOnlyList<T>> QueryAsync<T>(string name, QueryDefinition query, CancellationToken cancellationToken) =>
        await ReadAllAsync<T>(await containers.GetAsync(name, cancellationToken), query, retry, cancellationToken);

    private static async Task<IReadOnlyList<T>> ReadAllAsync<T>(Container container, QueryDefinition query, CosmosRetry retry, CancellationToken cancellationToken)
    {
        using var iterator = container.GetItemQueryIterator<T>(query);
        var rows = new List<T>();
        while (iterator.HasMoreResults)
        {
            rows.AddRange(await retry.RunAsync(iterator.ReadNextAsync, cancellationToken));
        }

        return rows;
    }

    private async Task<Read<T>?> ReadAsync<T>(Container container, string id, CancellationToken cancellationToken)
    {
        try
        {
            var read = await retry.RunAsync(ct => container.ReadItemAsync<T>(id, new PartitionKey(id), cancellationToken: ct), cancellationToken);
            return new Read<T>(read.Resource);
        }
        catch (CosmosException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private async Task<ReadWithETag<T>?> ReadWithETagAsync<T>(Container container, string id, CancellationToken cancellationToken)
    {
        try
        {
            var read = await retry.RunAsync(ct => container.ReadItemAsync<T>(id, new PartitionKey(id), cancellationToken: ct), cancellationToken);
            return new ReadWithETag<T>(read.Resource, read.ETag);
        }
        catch (CosmosException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private static InboundMailView View(InboundDocument d) => new(
        d.Seq, d.Mailbox, d.GraphId, d.State, d.Reason, d.From, d.Subject, d.InternetMessageId, d.TicketId, d.ThreadedBy, d.Attempts, Time(d.ReceivedAt), d.ProcessedAt is null ? null : Time(d.ProcessedAt));

    private static DateTimeOffset Time(string value) =>
        DateTimeOffset.Parse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    private static string MessageIdKey(string messageId, string mailbox) => CosmosIds.Hash(messageId + "\n" + mailbox);

    private static string LeaseKey(string key, string mailbox) => CosmosIds.Hash("lease\n" + key + "\n" + mailbox);

    private static string StateId(string type, string mailbox) => CosmosIds.Hash(type + "\n" + mailbox);

    private sealed record Read<T>(T Document);

    private sealed record ReadWithETag<T>(T Document, string ETag);

    private sealed record TakenMail(long Seq, string At);

    private sealed record SenderDocument(string Id, string Type, IReadOnlyList<TakenMail> Taken);

    private sealed record Secret(string Id, byte[] Key);

    /// <summary>A journal row; <see cref="ETag"/> is the server's, read with the document and never written.</summary>
    private sealed record InboundDocument(
        string Id,
        long Seq,
        string Mailbox,
        string GraphId,
        string Source,
        string State,
        int Attempts,
        string NextAttemptAt,
        bool Released,
        string? Reason,
        string? From,
        string? Subject,
        string? InternetMessageId,
        string? TicketId,
        string? ThreadedBy,
        string ReceivedAt,
        string? ProcessedAt,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ClaimedBy = null,
        [property: JsonPropertyName("_etag"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ETag = null);

    /// <summary>A Message-ID's record; a <c>taking</c> one also lists the ids its mail cites (none once settled).</summary>
    private sealed record MessageIdDocument(
        string Id,
        string MessageId,
        string Mailbox,
        string TicketId,
        string Direction,
        string? GraphId,
        string? ConversationId,
        string At,
        long? Seq,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? Cites = null);

    /// <summary>
    /// A conversation key leased to journal mail <see cref="Seq"/> by process <see cref="LeaseOwner"/>
    /// until <see cref="Until"/>; it has no <c>messageId</c>, <c>ticketId</c> or <c>direction</c>, so
    /// no query for Message-ID records finds it.
    /// </summary>
    private sealed record LeaseDocument(
        string Id,
        string Mailbox,
        string Key,
        long Seq,
        string LeaseOwner,
        string Until,
        [property: JsonPropertyName("_etag"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ETag = null);

    private sealed record SubscriptionDocument(string Id, string Type, string SubscriptionId, MailSubscription Subscription);

    private sealed record DeltaDocument(string Id, string Type, string Mailbox, string DeltaLink, string UpdatedAt);
}
