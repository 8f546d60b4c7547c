using System.Globalization;
using Helpdesk.Api.Storage;
using Helpdesk.Api.Storage.Sqlite;

namespace Helpdesk.Api.Mail;

/// <summary>
/// The outbound queue in the embedded file (<c>mail_outbound</c>): a claim is one UPDATE …
/// RETURNING in a write transaction, so concurrent runs of the job never take the same mail.
/// </summary>
public sealed class SqliteOutboundMailStore(SqliteDatabase database) : IOutboundMailStore
{
    public static SqliteMigration Schema { get; } = new(
        "0402-mail-outbound",
        """
        CREATE TABLE mail_outbound (
            seq           INTEGER PRIMARY KEY AUTOINCREMENT,
            message_id    TEXT NOT NULL UNIQUE,
            mailbox       TEXT NOT NULL,
            coalesce_key  TEXT,
            state         TEXT NOT NULL,
            attempts      INTEGER NOT NULL DEFAULT 0,
            due_at        TEXT NOT NULL,
            reason        TEXT,
            email         TEXT NOT NULL,
            created_at    TEXT NOT NULL,
            sent_at       TEXT,
            sent_as       TEXT
        );
        CREATE INDEX ix_mail_outbound_due  ON mail_outbound (due_at) WHERE state = 'pending';
        CREATE INDEX ix_mail_outbound_key  ON mail_outbound (coalesce_key) WHERE state = 'pending';
        CREATE INDEX ix_mail_outbound_sent ON mail_outbound (mailbox, sent_at) WHERE state = 'sent';
        """);

    public async Task EnqueueAsync(EmailMessage message, string mailbox, string? coalesceKey, DateTimeOffset dueAt, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        await using var connection = await database.OpenWriterAsync(cancellationToken);
        await using var insert = connection.Command(
            """
            INSERT INTO mail_outbound (message_id, mailbox, coalesce_key, state, due_at, email, created_at)
            VALUES ($id, $mailbox, $key, 'pending', $due, $email, $now)
            ON CONFLICT (message_id) DO NOTHING
            """,
            null,
            ("$id", message.MessageId),
            ("$mailbox", mailbox),
            ("$key", coalesceKey),
            ("$due", SqliteTime.Format(dueAt)),
            ("$email", StoreJson.Serialize(message)),
            ("$now", SqliteTime.Format(now)));
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Claims the due mails, oldest first, each with the pending mails that coalesce with it (due
    /// or not yet). Claimed mail is hidden until <paramref name="leaseUntil"/>: after a crash it comes back then.
    /// </summary>
    public async Task<IReadOnlyList<QueuedMail>> ClaimAsync(DateTimeOffset now, DateTimeOffset leaseUntil, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenWriterAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction(deferred: false);
        await using var claim = connection.Command(
            """
            UPDATE mail_outbound SET attempts = attempts + 1, due_at = $lease
            WHERE state = 'pending' AND (
                seq IN (SELECT seq FROM mail_outbound WHERE state = 'pending' AND due_at <= $now ORDER BY due_at, seq LIMIT $limit)
                OR coalesce_key IN (SELECT coalesce_key FROM mail_outbound WHERE state = 'pending' AND due_at <= $now AND coalesce_key IS NOT NULL ORDER BY due_at, seq LIMIT $limit))
            RETURNING seq, mailbox, coalesce_key, attempts, email
            """,
            transaction,
            ("$now", SqliteTime.Format(now)),
            ("$lease", SqliteTime.Format(leaseUntil)),
            ("$limit", limit));
        var claimed = new List<QueuedMail>();
        await using (var reader = await claim.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                claimed.Add(new QueuedMail(reader.GetInt64(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetInt32(3), StoreJson.Deserialize<EmailMessage>(reader.GetString(4))));
            }
        }

        await transaction.CommitAsync(cancellationToken);
        return [.. claimed.OrderBy(c => c.Seq)];
    }

    /// <summary>How many messages this mailbox sent after <paramref name="since"/>, and when the oldest of them went.</summary>
    public async Task<(int Count, DateTimeOffset? Oldest)> SentSinceAsync(string mailbox, DateTimeOffset since, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var count = connection.Command(
            "SELECT count(*), min(sent_at) FROM mail_outbound WHERE mailbox = $mailbox AND state = 'sent' AND sent_at > $since",
            null,
            ("$mailbox", mailbox),
            ("$since", SqliteTime.Format(since)));
        await using var reader = await count.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetInt32(0), reader.IsDBNull(1) ? null : Parse(reader.GetString(1)));
    }

    /// <summary>The first mail of a coalesced group is the one sent (as <paramref name="sentAs"/>); the others are merged into it.</summary>
    public async Task MarkSentAsync(IReadOnlyList<QueuedMail> group, string sentAs, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenWriterAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction();
        for (var i = 0; i < group.Count; i++)
        {
            await using var update = connection.Command(
                "UPDATE mail_outbound SET state = $state, sent_at = $now, sent_as = $as, reason = NULL WHERE seq = $seq",
                transaction,
                ("$seq", group[i].Seq),
                ("$state", i == 0 ? OutboundMailQueue.Sent : OutboundMailQueue.Merged),
                ("$as", sentAs),
                ("$now", SqliteTime.Format(now)));
            await update.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// Puts the mails back for a later attempt at <paramref name="retryAt"/> (or dead-letters them
    /// with the reason when null). <paramref name="refund"/> gives back the attempt: a mail held
    /// back by pacing or throttling did not fail.
    /// </summary>
    public async Task ReleaseAsync(IReadOnlyList<QueuedMail> group, DateTimeOffset? retryAt, string? reason, bool refund, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenWriterAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction();
        foreach (var mail in group)
        {
            await using var update = connection.Command(
                """
                UPDATE mail_outbound SET state = $state, due_at = $due, reason = coalesce($reason, reason),
                    attempts = attempts - $refund, sent_at = CASE WHEN $state = 'dead' THEN $now ELSE sent_at END
                WHERE seq = $seq AND state = 'pending'
                """,
                transaction,
                ("$seq", mail.Seq),
                ("$state", retryAt is null ? OutboundMailQueue.Dead : OutboundMailQueue.Pending),
                ("$due", SqliteTime.Format(retryAt ?? now)),
                ("$reason", reason is { Length: > 500 } ? reason[..500] : reason),
                ("$refund", refund ? 1 : 0),
                ("$now", SqliteTime.Format(now)));
            await update.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    private static DateTimeOffset Parse(string value) =>
        DateTimeOffset.Parse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}
