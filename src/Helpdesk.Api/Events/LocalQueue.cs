using System.Globalization;
using Helpdesk.Api.Common;
using Helpdesk.Api.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Helpdesk.Api.Events;

/// <summary>A message held by one delivery until it is completed, failed or its visibility timeout passes.</summary>
public sealed record QueueLease(long Seq, string Queue, string MessageId, string Body, int Attempts, string Token, DateTimeOffset EnqueuedAt);

/// <summary>The messages waiting on one queue, the oldest one's enqueue time, and the earliest time one of them is due.</summary>
public sealed record QueueDepth(string Queue, long Count, DateTimeOffset OldestEnqueuedAt, DateTimeOffset EarliestDueAt);

/// <summary>A message the queue gave up on, as the admin routes show it.</summary>
public sealed record DeadLetter(string Id, string Queue, string MessageId, string? Type, string? TicketId, int Attempts, DateTimeOffset EnqueuedAt, DateTimeOffset? DeadLetteredAt, string? LastError, string Body);

/// <summary>
/// The standalone stand-in for Service Bus: a SQLite table with attempts, exponential backoff,
/// a visibility timeout and a dead-letter state. Enqueueing the same message id on the same queue
/// twice keeps one message, so a relay that repeats itself duplicates nothing. A lease names the
/// process holding it: one that died holding a message loses it at the next start-up of its host's
/// app, not only after the visibility timeout.
/// </summary>
public sealed class LocalQueue(SqliteDatabase database, TimeProvider clock, ClaimOwner owner) : IStaleClaims
{
    private const string Ready = "ready";
    private const string Dead = "dead";

    public async Task EnqueueAsync(string queue, EventMessage message, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenWriterAsync(cancellationToken);
        await EnqueueAsync(connection, null, queue, message, clock.GetUtcNow(), cancellationToken);
    }

    /// <summary>Enqueues inside the caller's transaction (the relay marks the event published in the same one).</summary>
    internal static async Task EnqueueAsync(SqliteConnection connection, SqliteTransaction? transaction, string queue, EventMessage message, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var insert = connection.Command(
            """
            INSERT INTO queue_messages (queue, message_id, body, state, attempts, enqueued_at, visible_at)
            VALUES ($queue, $id, $body, 'ready', 0, $now, $now)
            ON CONFLICT (queue, message_id) DO NOTHING
            """,
            transaction,
            ("$queue", queue),
            ("$id", message.EventId),
            ("$body", message.ToJson()),
            ("$now", SqliteTime.Format(now)));
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Takes the next due message of one of these queues and hides it for the queue's visibility
    /// timeout. A message that already used all its deliveries (its workers kept dying) is
    /// dead-lettered instead of delivered once more.
    /// </summary>
    public async Task<QueueLease?> LeaseNextAsync(IReadOnlyDictionary<string, QueuePolicy> queues, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenWriterAsync(cancellationToken);
        while (true)
        {
            var now = clock.GetUtcNow();
            await using var transaction = connection.BeginTransaction();
            QueueLease? candidate;
            await using (var select = connection.Command(
                """
                SELECT seq, queue, message_id, body, attempts, enqueued_at FROM queue_messages
                WHERE state = 'ready' AND visible_at <= $now AND queue IN (SELECT value FROM json_each($queues))
                ORDER BY visible_at, seq LIMIT 1
                """,
                transaction,
                ("$now", SqliteTime.Format(now)),
                ("$queues", Storage.StoreJson.Serialize(queues.Keys))))
            await using (var reader = await select.ExecuteReaderAsync(cancellationToken))
            {
                candidate = await reader.ReadAsync(cancellationToken)
                    ? new QueueLease(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetInt32(4), Guid.NewGuid().ToString("N"), ParseTime(reader.GetString(5)))
                    : null;
            }

            if (candidate is null)
            {
                return null;
            }

            var policy = queues[candidate.Queue];
            if (candidate.Attempts >= policy.MaxAttempts)
            {
                await MarkDeadAsync(connection, transaction, candidate.Seq, null, "Every delivery attempt was used up without the message being completed.", now, cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                continue;
            }

            await using (var lease = connection.Command(
                "UPDATE queue_messages SET attempts = attempts + 1, lease = $lease, leased_by = $owner, visible_at = $hidden WHERE seq = $seq",
                transaction,
                ("$lease", candidate.Token),
                ("$owner", owner.Name),
                ("$hidden", SqliteTime.Format(now + policy.VisibilityTimeout)),
                ("$seq", candidate.Seq)))
            {
                await lease.ExecuteNonQueryAsync(cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
            return candidate with { Attempts = candidate.Attempts + 1 };
        }
    }

    /// <summary>Removes a delivered message; false when this lease no longer holds it.</summary>
    public async Task<bool> CompleteAsync(QueueLease lease, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenWriterAsync(cancellationToken);
        await using var delete = connection.Command("DELETE FROM queue_messages WHERE seq = $seq AND lease = $lease", null, ("$seq", lease.Seq), ("$lease", lease.Token));
        return await delete.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>
    /// Puts a failed message back after the backoff delay, or dead-letters it when its attempts or
    /// its retry window are used up. Returns whether it was dead-lettered.
    /// </summary>
    public async Task<bool> FailAsync(QueueLease lease, QueuePolicy policy, string error, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var exhausted = lease.Attempts >= policy.MaxAttempts || (policy.RetryFor is { } window && now - lease.EnqueuedAt >= window);
        await using var connection = await database.OpenWriterAsync(cancellationToken);
        if (exhausted)
        {
            await MarkDeadAsync(connection, null, lease.Seq, lease.Token, error, now, cancellationToken);
            return true;
        }

        await using var retry = connection.Command(
            "UPDATE queue_messages SET lease = NULL, leased_by = NULL, visible_at = $visible, last_error = $error WHERE seq = $seq AND lease = $lease",
            null,
            ("$visible", SqliteTime.Format(now + policy.DelayAfter(lease.Attempts))),
            ("$error", Truncate(error)),
            ("$seq", lease.Seq),
            ("$lease", lease.Token));
        await retry.ExecuteNonQueryAsync(cancellationToken);
        return false;
    }

    /// <summary>The messages leased by a process of this host that died, visible again at once (the delivery it spent still counts).</summary>
    public async Task<int> ReleaseStaleAsync(ClaimOwner claimant, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claimant);
        await using var connection = await database.OpenAsync(cancellationToken);
        var holders = new List<string>();
        await using (var read = connection.Command(
            "SELECT DISTINCT leased_by FROM queue_messages WHERE state = 'ready' AND lease IS NOT NULL AND leased_by IS NOT NULL AND visible_at > $now", null, ("$now", SqliteTime.Format(now))))
        await using (var reader = await read.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                holders.Add(reader.GetString(0));
            }
        }

        var released = 0;
        foreach (var holder in holders.Where(claimant.IsStale))
        {
            await using var release = connection.Command(
                "UPDATE queue_messages SET lease = NULL, leased_by = NULL, visible_at = $now WHERE state = 'ready' AND leased_by = $holder AND visible_at > $now",
                null,
                ("$now", SqliteTime.Format(now)),
                ("$holder", holder));
            released += await release.ExecuteNonQueryAsync(cancellationToken);
        }

        return released;
    }

    /// <summary>Gives up on a message at once (its body can never be delivered).</summary>
    public async Task DeadLetterAsync(QueueLease lease, string error, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenWriterAsync(cancellationToken);
        await MarkDeadAsync(connection, null, lease.Seq, lease.Token, error, clock.GetUtcNow(), cancellationToken);
    }

    public async Task<Page<DeadLetter>> ListDeadAsync(string? queue, int limit, string? cursor, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command(
            $"""
            SELECT {DeadColumns} FROM queue_messages
            WHERE state = 'dead' AND ($queue IS NULL OR queue = $queue) AND ($after IS NULL OR seq < $after)
            ORDER BY seq DESC LIMIT $limit
            """,
            null,
            ("$queue", queue),
            ("$after", cursor is null ? null : Paging.DecodeKey(cursor)),
            ("$limit", limit + 1));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var items = new List<DeadLetter>();
        while (items.Count < limit && await reader.ReadAsync(cancellationToken))
        {
            items.Add(ReadDead(reader));
        }

        var hasMore = items.Count == limit && await reader.ReadAsync(cancellationToken);
        return new Page<DeadLetter>(items, hasMore ? Paging.EncodeKey(long.Parse(items[^1].Id, CultureInfo.InvariantCulture)) : null);
    }

    public async Task<DeadLetter?> FindDeadAsync(long seq, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command($"SELECT {DeadColumns} FROM queue_messages WHERE state = 'dead' AND seq = $seq", null, ("$seq", seq));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadDead(reader) : null;
    }

    /// <summary>Sends a dead letter round again with fresh attempts; false when there is no such dead letter.</summary>
    public async Task<bool> RedriveAsync(long seq, CancellationToken cancellationToken)
    {
        var now = SqliteTime.Format(clock.GetUtcNow());
        await using var connection = await database.OpenWriterAsync(cancellationToken);
        await using var update = connection.Command(
            """
            UPDATE queue_messages SET state = 'ready', attempts = 0, lease = NULL, dead_at = NULL, enqueued_at = $now, visible_at = $now
            WHERE seq = $seq AND state = 'dead'
            """,
            null,
            ("$seq", seq),
            ("$now", now));
        return await update.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>Deletes a queue's dead letters that died before <paramref name="before"/>; returns how many.</summary>
    public async Task<int> PurgeDeadAsync(string queue, DateTimeOffset before, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenWriterAsync(cancellationToken);
        await using var delete = connection.Command(
            "DELETE FROM queue_messages WHERE queue = $queue AND state = 'dead' AND dead_at < $before",
            null,
            ("$before", SqliteTime.Format(before)),
            ("$queue", queue));
        return await delete.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>For each queue: the messages waiting (due or backing off) and when the oldest of them was enqueued.</summary>
    public async Task<IReadOnlyList<QueueDepth>> DepthAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var select = connection.Command(
            "SELECT queue, COUNT(*), MIN(enqueued_at), MIN(visible_at) FROM queue_messages WHERE state = 'ready' GROUP BY queue",
            null);
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        var depths = new List<QueueDepth>();
        while (await reader.ReadAsync(cancellationToken))
        {
            depths.Add(new QueueDepth(reader.GetString(0), reader.GetInt64(1), ParseTime(reader.GetString(2)), ParseTime(reader.GetString(3))));
        }

        return depths;
    }

    /// <summary>Whether the message is still on the queue: waiting, being delivered, or dead-lettered.</summary>
    public async Task<bool> HoldsAsync(string queue, string messageId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var select = connection.Command("SELECT 1 FROM queue_messages WHERE queue = $queue AND message_id = $id", null, ("$queue", queue), ("$id", messageId));
        return await select.ExecuteScalarAsync(cancellationToken) is not null;
    }

    private const string DeadColumns = "seq, queue, message_id, json_extract(body, '$.type'), json_extract(body, '$.ticketId'), attempts, enqueued_at, dead_at, last_error, body";

    private static DeadLetter ReadDead(SqliteDataReader reader) => new(
        reader.GetInt64(0).ToString(CultureInfo.InvariantCulture),
        reader.GetString(1),
        reader.GetString(2),
        reader.IsDBNull(3) ? null : reader.GetString(3),
        reader.IsDBNull(4) ? null : reader.GetString(4),
        reader.GetInt32(5),
        ParseTime(reader.GetString(6)),
        reader.IsDBNull(7) ? null : ParseTime(reader.GetString(7)),
        reader.IsDBNull(8) ? null : reader.GetString(8),
        reader.GetString(9));

    private static async Task MarkDeadAsync(SqliteConnection connection, SqliteTransaction? transaction, long seq, string? lease, string error, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var dead = connection.Command(
            $"UPDATE queue_messages SET state = '{Dead}', lease = NULL, dead_at = $now, last_error = $error WHERE seq = $seq AND state = '{Ready}' AND ($lease IS NULL OR lease = $lease)",
            transaction,
            ("$now", SqliteTime.Format(now)),
            ("$error", Truncate(error)),
            ("$seq", seq),
            ("$lease", lease));
        await dead.ExecuteNonQueryAsync(cancellationToken);
    }

    private static string Truncate(string error) => error.Length <= 2000 ? error : error[..2000];

    private static DateTimeOffset ParseTime(string value) =>
        DateTimeOffset.Parse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}
