using System.Globalization;
using System.Net;
using System.Text.Json.Serialization;
using Helpdesk.Api.Storage.Cosmos;
using Helpdesk.Api.Tickets;
using Microsoft.Azure.Cosmos;

namespace Helpdesk.Api.Mail;

/// <summary>
/// The outbound mail queue in the <c>mailOutbound</c> container (id = the hashed Message-ID, so
/// queuing the same mail twice is a create that answers 409), shared by every instance running
/// <see cref="SendMail"/>. A claim replaces each due mail guarded by the ETag its query returned:
/// a mail two instances race for is claimed by one, the other gets 412 and skips it. Pacing
/// holds across instances because it counts the sent documents of the mailbox in this container,
/// whichever instance sent them; two instances that count at the same instant can each use the
/// last free places of the minute, and the 429 with Retry-After that Graph then answers holds the
/// mailbox back (the queue reschedules without spending an attempt). Sent and merged mail expires
/// after <see cref="KeepSentDays"/> days: pacing looks back one minute, and nothing else reads it.
/// </summary>
internal sealed class CosmosOutboundMailStore(CosmosContainers containers, CosmosSequence sequence, CosmosRetry retry, Common.ClaimOwner owner) : IOutboundMailStore
{
    public const int KeepSentDays = 30;
    private const string OrderSequence = "order:mailOutbound";

    public async Task EnqueueAsync(EmailMessage message, string mailbox, string? coalesceKey, DateTimeOffset dueAt, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var container = await containers.GetAsync(CosmosContainers.MailOutbound, cancellationToken);
        var document = new OutboundDocument(
            IdOf(message.MessageId), await sequence.NextAsync(OrderSequence, cancellationToken), message.MessageId, mailbox, coalesceKey, OutboundMailQueue.Pending, 0, TicketDocument.Time(dueAt), null, message, TicketDocument.Time(now), null, null);
        try
        {
            await retry.RunAsync(ct => container.CreateItemAsync(document, new PartitionKey(document.Id), new ItemRequestOptions { EnableContentResponseOnWrite = false }, ct), cancellationToken);
        }
        catch (CosmosException e) when (e.StatusCode == HttpStatusCode.Conflict)
        {
            // Queued already (a redelivered notification): the first one stands.
        }
    }

    public async Task<IReadOnlyList<QueuedMail>> ClaimAsync(DateTimeOffset now, DateTimeOffset leaseUntil, int limit, CancellationToken cancellationToken)
    {
        var container = await containers.GetAsync(CosmosContainers.MailOutbound, cancellationToken);
        var dueQuery = new QueryDefinition("SELECT TOP @top * FROM c WHERE c.state = @state AND c.dueAt <= @now ORDER BY c.dueAt")
            .WithParameter("@top", limit)
            .WithParameter("@state", OutboundMailQueue.Pending)
            .WithParameter("@now", TicketDocument.Time(now));
        var candidates = (await CosmosQueries.TakeAsync<OutboundDocument>(container, dueQuery, limit, partitionKey: null, retry, cancellationToken)).ToDictionary(d => d.Id, StringComparer.Ordinal);
        foreach (var key in candidates.Values.Select(d => d.CoalesceKey).OfType<string>().Distinct(StringComparer.Ordinal).ToArray())
        {
            var burst = new QueryDefinition("SELECT * FROM c WHERE c.state = @state AND c.coalesceKey = @key").WithParameter("@state", OutboundMailQueue.Pending).WithParameter("@key", key);
            foreach (var mate in await QueryAsync(container, burst, cancellationToken))
            {
                candidates.TryAdd(mate.Id, mate);
            }
        }

        var claimed = new List<QueuedMail>();
        foreach (var row in candidates.Values)
        {
            var next = row with { Attempts = row.Attempts + 1, DueAt = TicketDocument.Time(leaseUntil), ClaimedBy = owner.Name, ETag = null };
            if (await retry.TryReplaceAsync(container, next, next.Id, row.ETag!, cancellationToken))
            {
                claimed.Add(new QueuedMail(next.Seq, next.Mailbox, next.CoalesceKey, next.Attempts, next.Email, next.Handoff));
            }
        }

        return [.. claimed.OrderBy(c => c.Seq)];
    }

    /// <summary>The pending mails claimed by a process of this host that died, each due again at once (an ETag-guarded replace).</summary>
    public async Task<int> ReleaseStaleAsync(Common.ClaimOwner claimant, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claimant);
        var container = await containers.GetAsync(CosmosContainers.MailOutbound, cancellationToken);
        var query = new QueryDefinition("SELECT * FROM c WHERE c.state = @state AND IS_STRING(c.claimedBy) AND c.dueAt > @now")
            .WithParameter("@state", OutboundMailQueue.Pending)
            .WithParameter("@now", TicketDocument.Time(now));
        var released = 0;
        foreach (var row in (await QueryAsync(container, query, cancellationToken)).Where(r => claimant.IsStale(r.ClaimedBy)))
        {
            var next = row with { DueAt = TicketDocument.Time(now), ClaimedBy = null, ETag = null };
            released += await retry.TryReplaceAsync(container, next, next.Id, row.ETag!, cancellationToken) ? 1 : 0;
        }

        return released;
    }

    public async Task RecordHandoffAsync(IReadOnlyList<QueuedMail> group, SendHandoff handoff, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(group);
        foreach (var mail in group)
        {
            await UpdateAsync(mail, d => d.State != OutboundMailQueue.Pending ? null : d with { Handoff = handoff }, cancellationToken);
        }
    }

    public async Task<(int Count, DateTimeOffset? Oldest)> SentSinceAsync(string mailbox, DateTimeOffset since, CancellationToken cancellationToken)
    {
        var container = await containers.GetAsync(CosmosContainers.MailOutbound, cancellationToken);
        var query = new QueryDefinition("SELECT * FROM c WHERE c.mailbox = @mailbox AND c.state = @state AND c.sentAt > @since")
            .WithParameter("@mailbox", mailbox)
            .WithParameter("@state", OutboundMailQueue.Sent)
            .WithParameter("@since", TicketDocument.Time(since));
        var sent = await QueryAsync(container, query, cancellationToken);
        return (sent.Count, sent.Count == 0 ? null : sent.Select(s => Time(s.SentAt!)).Min());
    }

    public async Task MarkSentAsync(IReadOnlyList<QueuedMail> group, string sentAs, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(group);
        var ttl = (int)TimeSpan.FromDays(KeepSentDays).TotalSeconds;
        for (var i = 0; i < group.Count; i++)
        {
            var state = i == 0 ? OutboundMailQueue.Sent : OutboundMailQueue.Merged;
            await UpdateAsync(group[i], d => d with { State = state, SentAt = TicketDocument.Time(now), SentAs = sentAs, Reason = null, Ttl = ttl }, cancellationToken);
        }
    }

    public async Task ReleaseAsync(IReadOnlyList<QueuedMail> group, DateTimeOffset? retryAt, string? reason, bool refund, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(group);
        foreach (var mail in group)
        {
            await UpdateAsync(
                mail,
                d => d.State != OutboundMailQueue.Pending ? null : d with
                {
                    State = retryAt is null ? OutboundMailQueue.Dead : OutboundMailQueue.Pending,
                    DueAt = TicketDocument.Time(retryAt ?? now),
                    Reason = reason is { Length: > 500 } ? reason[..500] : reason ?? d.Reason,
                    Attempts = d.Attempts - (refund ? 1 : 0),
                    SentAt = retryAt is null ? TicketDocument.Time(now) : d.SentAt,
                    ClaimedBy = null,
                },
                cancellationToken);
        }
    }

    /// <summary>Applies <paramref name="change"/> (null = leave it) to the stored mail, again on the stored one when its ETag moved.</summary>
    private async Task UpdateAsync(QueuedMail mail, Func<OutboundDocument, OutboundDocument?> change, CancellationToken cancellationToken)
    {
        var container = await containers.GetAsync(CosmosContainers.MailOutbound, cancellationToken);
        var id = IdOf(mail.Email.MessageId);
        while (true)
        {
            OutboundDocument current;
            try
            {
                current = (await retry.RunAsync(ct => container.ReadItemAsync<OutboundDocument>(id, new PartitionKey(id), cancellationToken: ct), cancellationToken)).Resource;
            }
            catch (CosmosException e) when (e.StatusCode == HttpStatusCode.NotFound)
            {
                return;
            }

            if (change(current) is not { } next || await retry.TryReplaceAsync(container, next with { ETag = null }, next.Id, current.ETag!, cancellationToken))
            {
                return;
            }
        }
    }

    private async Task<List<OutboundDocument>> QueryAsync(Container container, QueryDefinition query, CancellationToken cancellationToken)
    {
        using var iterator = container.GetItemQueryIterator<OutboundDocument>(query);
        var rows = new List<OutboundDocument>();
        while (iterator.HasMoreResults)
        {
            rows.AddRange(await retry.RunAsync(iterator.ReadNextAsync, cancellationToken));
        }

        return rows;
    }

    private static string IdOf(string messageId) => CosmosIds.Hash(messageId);

    private static DateTimeOffset Time(string value) =>
        DateTimeOffset.Parse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    /// <summary>A queued mail; <see cref="ETag"/> is the server's, read with the document and never written.</summary>
    private sealed record OutboundDocument(
        string Id,
        long Seq,
        string MessageId,
        string Mailbox,
        string? CoalesceKey,
        string State,
        int Attempts,
        string DueAt,
        string? Reason,
        EmailMessage Email,
        string CreatedAt,
        string? SentAt,
        string? SentAs,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] SendHandoff? Handoff = null,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ClaimedBy = null,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Ttl = null,
        [property: JsonPropertyName("_etag"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ETag = null);
}
