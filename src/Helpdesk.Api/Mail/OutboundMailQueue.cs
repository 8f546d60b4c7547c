using System.Globalization;
using Helpdesk.Api.Storage;
using Helpdesk.Api.Storage.Sqlite;
using Helpdesk.Domain.Directory;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Mail;

/// <summary>One queued email, claimed for a send attempt.</summary>
public sealed record QueuedMail(long Seq, string Mailbox, string? CoalesceKey, int Attempts, EmailMessage Email);

/// <summary>
/// The email channel's outbound queue: with a support mailbox configured, this is the
/// <see cref="IEmailSender"/> the app uses. Handing a mail over stores it (once per Message-ID)
/// in the embedded store, so a crash loses nothing; the <see cref="SendMail"/> job sends it,
/// paced to Graph's limits. A mail about a ticket waits a short window first: updates to the same
/// recipients on the same ticket arriving meanwhile go out as one message.
/// </summary>
public sealed class OutboundMailQueue(SqliteDatabase database, OutboundMail outbound, IOptions<MailOptions> options, TimeProvider clock) : IEmailSender
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

    public const string Pending = "pending";
    public const string Sent = "sent";
    public const string Merged = "merged";
    public const string Dead = "dead";

    public async Task SendAsync(EmailMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var now = clock.GetUtcNow();
        var mailbox = await outbound.MailboxForAsync(message, cancellationToken);
        var key = CoalesceKey(message);
        var due = key is null ? now : now.AddSeconds(options.Value.Outbound.CoalesceSeconds);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var insert = connection.Command(
            """
            INSERT INTO mail_outbound (message_id, mailbox, coalesce_key, state, due_at, email, created_at)
            VALUES ($id, $mailbox, $key, 'pending', $due, $email, $now)
            ON CONFLICT (message_id) DO NOTHING
            """,
            null,
            ("$id", message.MessageId),
            ("$mailbox", mailbox),
            ("$key", key),
            ("$due", SqliteTime.Format(due)),
            ("$email", StoreJson.Serialize(message)),
            ("$now", SqliteTime.Format(now)));
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Mail about a ticket coalesces with other mail to the same recipients on that ticket; other mail never does.</summary>
    public static string? CoalesceKey(EmailMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return message.TicketId is null
            ? null
            : message.TicketId + "\n" + string.Join(',', message.To.Concat(message.Cc).Select(a => EmailAddresses.Normalize(a.Address)).Order(StringComparer.Ordinal));
    }

    /// <summary>
    /// Claims the due mails, oldest first, each with the pending mails that coalesce with it (due
    /// or not yet). Claimed mail is hidden until <paramref name="leaseUntil"/>: after a crash it comes back then.
    /// </summary>
    public async Task<IReadOnlyList<QueuedMail>> ClaimAsync(DateTimeOffset now, DateTimeOffset leaseUntil, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
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
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction();
        for (var i = 0; i < group.Count; i++)
        {
            await using var update = connection.Command(
                "UPDATE mail_outbound SET state = $state, sent_at = $now, sent_as = $as, reason = NULL WHERE seq = $seq",
                transaction,
                ("$seq", group[i].Seq),
                ("$state", i == 0 ? Sent : Merged),
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
        await using var connection = await database.OpenAsync(cancellationToken);
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
                ("$state", retryAt is null ? Dead : Pending),
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
