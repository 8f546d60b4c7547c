using Helpdesk.Api.Common;
using Helpdesk.Api.Storage.Sqlite;
using Helpdesk.Domain.Directory;
using Microsoft.Data.Sqlite;

namespace Helpdesk.Api.Mail;

/// <summary>
/// The email channel's rows in the embedded store: subscriptions, delta links, the inbound mail
/// journal (the durable record of every notified mail, its attempts and its outcome), and the
/// Message-IDs seen or sent per ticket, which both deduplicate and thread.
/// </summary>
public sealed class SqliteMailStore(SqliteDatabase database, ClaimOwner owner) : IMailSubscriptions, IMailJournal, IMailThreadIds
{
    public static SqliteMigration Schema { get; } = new(
        "0400-mail",
        """
        CREATE TABLE mail_subscriptions (
            mailbox          TEXT PRIMARY KEY,
            subscription_id  TEXT NOT NULL UNIQUE,
            client_state     TEXT NOT NULL,
            expires_at       TEXT NOT NULL,
            reauthorize      INTEGER NOT NULL DEFAULT 0
        ) WITHOUT ROWID;

        CREATE TABLE mail_delta (
            mailbox     TEXT PRIMARY KEY,
            delta_link  TEXT NOT NULL,
            updated_at  TEXT NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE mail_inbound (
            seq                  INTEGER PRIMARY KEY AUTOINCREMENT,
            mailbox              TEXT NOT NULL,
            graph_id             TEXT NOT NULL,
            source               TEXT NOT NULL,
            state                TEXT NOT NULL,
            attempts             INTEGER NOT NULL DEFAULT 0,
            next_attempt_at      TEXT NOT NULL,
            released             INTEGER NOT NULL DEFAULT 0,
            reason               TEXT,
            from_address         TEXT,
            subject              TEXT,
            internet_message_id  TEXT,
            ticket_id            TEXT,
            threaded_by          TEXT,
            received_at          TEXT NOT NULL,
            processed_at         TEXT,
            UNIQUE (mailbox, graph_id)
        );
        CREATE INDEX ix_mail_inbound_due    ON mail_inbound (next_attempt_at) WHERE state = 'pending';
        CREATE INDEX ix_mail_inbound_state  ON mail_inbound (state, seq);
        CREATE INDEX ix_mail_inbound_sender ON mail_inbound (from_address, processed_at);

        CREATE TABLE mail_message_ids (
            message_id       TEXT NOT NULL,
            mailbox          TEXT NOT NULL,
            ticket_id        TEXT NOT NULL,
            direction        TEXT NOT NULL,
            graph_id         TEXT,
            conversation_id  TEXT,
            at               TEXT NOT NULL,
            PRIMARY KEY (message_id, mailbox)
        ) WITHOUT ROWID;
        CREATE INDEX ix_mail_message_ids_conversation ON mail_message_ids (conversation_id) WHERE conversation_id IS NOT NULL;
        CREATE INDEX ix_mail_message_ids_ticket ON mail_message_ids (ticket_id);
        """);

    /// <summary>Which process holds a claimed mail, so a restarted instance takes over what a dead one left (<see cref="ClaimOwner"/>).</summary>
    public static SqliteMigration ClaimsSchema { get; } = new(
        "0404-mail-claims",
        """
        ALTER TABLE mail_inbound ADD COLUMN claimed_by TEXT;
        ALTER TABLE mail_outbound ADD COLUMN claimed_by TEXT;
        """);

    /// <summary>
    /// A mail being taken in records its Graph conversation and the Message-IDs it cites (space
    /// separated: a Message-ID has no white space) on its <c>taking</c> record, so a mail of its
    /// conversation finds the ticket it was written to before its ingestion settles (or while a
    /// crash keeps it from settling): <see cref="TakingCitingAsync"/>, <see cref="TakingInConversationAsync"/>.
    /// </summary>
    public static SqliteMigration TakingSchema { get; } = new(
        "0405-mail-taking",
        """
        ALTER TABLE mail_message_ids ADD COLUMN cites TEXT;
        CREATE INDEX ix_mail_message_ids_taking ON mail_message_ids (mailbox) WHERE direction = 'taking';
        """);

    /// <summary>
    /// The leases on the keys of the conversations being taken in (<see cref="LeaseAsync"/>): the
    /// journal mail holding each, the process it runs in (released at start-up when that process
    /// died) and until when (taken over after that, like the mail's claim).
    /// </summary>
    public static SqliteMigration LeasesSchema { get; } = new(
        "lease-25-mail-leases",
        """
        CREATE TABLE mail_leases (
            lease_key  TEXT NOT NULL,
            mailbox    TEXT NOT NULL,
            seq        INTEGER NOT NULL,
            owner      TEXT NOT NULL,
            until      TEXT NOT NULL,
            PRIMARY KEY (lease_key, mailbox)
        ) WITHOUT ROWID;
        CREATE INDEX ix_mail_leases_owner ON mail_leases (owner);
        """);

    /// <summary>The installation's secret for signing reply tokens, drawn once when the table is created.</summary>
    public static SqliteMigration SecretSchema { get; } = new(
        "0401-mail-secret",
        """
        CREATE TABLE mail_secret (
            id   INTEGER PRIMARY KEY CHECK (id = 1),
            key  BLOB    NOT NULL
        );
        INSERT INTO mail_secret (id, key) VALUES (1, randomblob(32));
        """);

    public async Task<byte[]> SecretAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command("SELECT key FROM mail_secret WHERE id = 1");
        return (byte[])(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>The mails of a ticket's thread the helpdesk received or sent, oldest first.</summary>
    public async Task<IReadOnlyList<ThreadMail>> ThreadOfAsync(string ticketId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command(
            "SELECT message_id, mailbox, direction, graph_id FROM mail_message_ids WHERE ticket_id = $ticket AND direction IN ('in', 'out') ORDER BY at, message_id", null, ("$ticket", ticketId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var thread = new List<ThreadMail>();
        while (await reader.ReadAsync(cancellationToken))
        {
            thread.Add(new ThreadMail(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3)));
        }

        return thread;
    }

    public async Task<IReadOnlyList<MailSubscription>> SubscriptionsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command("SELECT mailbox, subscription_id, client_state, expires_at, reauthorize FROM mail_subscriptions");
        return await ReadSubscriptionsAsync(command, cancellationToken);
    }

    public async Task<MailSubscription?> FindSubscriptionAsync(string subscriptionId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command(
            "SELECT mailbox, subscription_id, client_state, expires_at, reauthorize FROM mail_subscriptions WHERE subscription_id = $id", null, ("$id", subscriptionId));
        var found = await ReadSubscriptionsAsync(command, cancellationToken);
        return found.Count > 0 ? found[0] : null;
    }

    public async Task SaveSubscriptionAsync(MailSubscription subscription, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenWriterAsync(cancellationToken);
        await using var command = connection.Command(
            """
            INSERT INTO mail_subscriptions (mailbox, subscription_id, client_state, expires_at, reauthorize) VALUES ($mailbox, $id, $state, $expires, $reauthorize)
            ON CONFLICT (mailbox) DO UPDATE SET subscription_id = $id, client_state = $state, expires_at = $expires, reauthorize = $reauthorize
            """,
            null,
            ("$mailbox", subscription.Mailbox),
            ("$id", subscription.SubscriptionId),
            ("$state", subscription.ClientState),
            ("$expires", SqliteTime.Format(subscription.ExpiresAt)),
            ("$reauthorize", subscription.ReauthorizeRequested ? 1 : 0));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task RemoveSubscriptionAsync(string subscriptionId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenWriterAsync(cancellationToken);
        await using var command = connection.Command("DELETE FROM mail_subscriptions WHERE subscription_id = $id", null, ("$id", subscriptionId));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Asks the next renewal run to reauthorize the subscription (a <c>reauthorizationRequired</c> lifecycle event).</summary>
    public async Task RequestReauthorizationAsync(string subscriptionId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenWriterAsync(cancellationToken);
        await using var command = connection.Command("UPDATE mail_subscriptions SET reauthorize = 1 WHERE subscription_id = $id", null, ("$id", subscriptionId));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<string?> DeltaLinkAsync(string mailbox, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command("SELECT delta_link FROM mail_delta WHERE mailbox = $mailbox", null, ("$mailbox", mailbox));
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    /// <summary>
    /// Records the mail a delta round found and the link to resume from, in one transaction: a
    /// crash before the commit repeats the round, never skips it.
    /// </summary>
    public async Task<int> RecordDeltaAsync(string mailbox, IReadOnlyList<string> graphIds, string deltaLink, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenWriterAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction();
        var added = await InsertInboundAsync(connection, transaction, mailbox, graphIds, "delta", now, cancellationToken);
        await using (var command = connection.Command(
            "INSERT INTO mail_delta (mailbox, delta_link, updated_at) VALUES ($mailbox, $link, $now) ON CONFLICT (mailbox) DO UPDATE SET delta_link = $link, updated_at = $now",
            transaction,
            ("$mailbox", mailbox),
            ("$link", deltaLink),
            ("$now", SqliteTime.Format(now))))
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return added;
    }

    /// <summary>Records notified mail for ingestion; a mail already recorded (a repeated notification, or seen by delta) is not added again.</summary>
    public async Task<int> RecordNotifiedAsync(IReadOnlyList<(string Mailbox, string GraphId)> mails, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenWriterAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction();
        var added = 0;
        foreach (var group in mails.GroupBy(m => m.Mailbox, StringComparer.Ordinal))
        {
            added += await InsertInboundAsync(connection, transaction, group.Key, [.. group.Select(m => m.GraphId)], "notification", now, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return added;
    }

    private static async Task<int> InsertInboundAsync(SqliteConnection connection, SqliteTransaction transaction, string mailbox, IReadOnlyList<string> graphIds, string source, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var added = 0;
        await using var insert = connection.Command(
            """
            INSERT INTO mail_inbound (mailbox, graph_id, source, state, next_attempt_at, received_at)
            VALUES ($mailbox, $graphId, $source, 'pending', $now, $now)
            ON CONFLICT (mailbox, graph_id) DO NOTHING
            """,
            transaction,
            ("$mailbox", mailbox),
            ("$graphId", string.Empty),
            ("$source", source),
            ("$now", SqliteTime.Format(now)));
        foreach (var graphId in graphIds)
        {
            insert.Parameters["$graphId"].Value = graphId;
            added += await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        return added;
    }

    /// <summary>
    /// Takes up to <paramref name="limit"/> due mails for one attempt each. A claimed mail is
    /// hidden until <paramref name="leaseUntil"/>: if the process dies mid-way, it comes back then.
    /// </summary>
    public async Task<IReadOnlyList<InboundMail>> ClaimAsync(DateTimeOffset now, DateTimeOffset leaseUntil, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenWriterAsync(cancellationToken);
        await using var command = connection.Command(
            """
            UPDATE mail_inbound SET attempts = attempts + 1, next_attempt_at = $lease, claimed_by = $owner
            WHERE seq IN (SELECT seq FROM mail_inbound WHERE state = 'pending' AND next_attempt_at <= $now ORDER BY next_attempt_at, seq LIMIT $limit)
            RETURNING seq, mailbox, graph_id, attempts, released
            """,
            null,
            ("$now", SqliteTime.Format(now)),
            ("$lease", SqliteTime.Format(leaseUntil)),
            ("$limit", limit),
            ("$owner", owner.Name));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var claimed = new List<InboundMail>();
        while (await reader.ReadAsync(cancellationToken))
        {
            claimed.Add(new InboundMail(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3), reader.GetInt64(4) == 1));
        }

        return [.. claimed.OrderBy(c => c.Seq)];
    }

    /// <summary>
    /// Makes the mails that a dead process of this host was ingesting due again at once, and
    /// gives up the conversation leases it held (<see cref="LeaseAsync"/>).
    /// </summary>
    public async Task<int> ReleaseStaleAsync(ClaimOwner claimant, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claimant);
        await using var connection = await database.OpenAsync(cancellationToken);
        var released = await SqliteClaims.ReleaseStaleAsync(connection, "mail_inbound", "next_attempt_at", claimant, now, cancellationToken);
        var owners = new List<string>();
        await using (var read = connection.Command("SELECT DISTINCT owner FROM mail_leases"))
        await using (var reader = await read.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                owners.Add(reader.GetString(0));
            }
        }

        foreach (var dead in owners.Where(claimant.IsStale))
        {
            await using var release = connection.Command("DELETE FROM mail_leases WHERE owner = $owner", null, ("$owner", dead));
            released += await release.ExecuteNonQueryAsync(cancellationToken);
        }

        return released;
    }

    /// <summary>Counts the attempt back off and clears the claim: the mail did nothing.</summary>
    public async Task PutBackAsync(long seq, string reason, DateTimeOffset retryAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reason);
        await using var connection = await database.OpenWriterAsync(cancellationToken);
        await using var command = connection.Command(
            "UPDATE mail_inbound SET attempts = max(attempts - 1, 0), reason = $reason, next_attempt_at = $next, claimed_by = NULL WHERE seq = $seq AND state = 'pending'",
            null,
            ("$seq", seq),
            ("$reason", reason.Length > 500 ? reason[..500] : reason),
            ("$next", SqliteTime.Format(retryAt)));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>A failed attempt: due again at <paramref name="retryAt"/>, or dead-lettered with the reason when <paramref name="retryAt"/> is null.</summary>
    public async Task FailAsync(long seq, string reason, DateTimeOffset? retryAt, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenWriterAsync(cancellationToken);
        await using var command = connection.Command(
            "UPDATE mail_inbound SET state = $state, reason = $reason, next_attempt_at = $next, processed_at = $processed, claimed_by = NULL WHERE seq = $seq AND state = 'pending'",
            null,
            ("$seq", seq),
            ("$state", retryAt is null ? InboundStates.Dead : InboundStates.Pending),
            ("$reason", reason.Length > 500 ? reason[..500] : reason),
            ("$next", SqliteTime.Format(retryAt ?? now)),
            ("$processed", retryAt is null ? SqliteTime.Format(now) : null));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Ends a mail's ingestion without a ticket write (filtered, duplicate, gone, quarantined).</summary>
    public async Task SettleAsync(long seq, InboundOutcome outcome, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenWriterAsync(cancellationToken);
        await using var command = SettleCommand(connection, null, seq, outcome, now);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The settle step inside a caller's transaction (the one that writes the ticket).</summary>
    internal static SqliteCommand SettleCommand(SqliteConnection connection, SqliteTransaction? transaction, long seq, InboundOutcome outcome, DateTimeOffset now) =>
        connection.Command(
            """
            UPDATE mail_inbound SET state = $state, reason = $reason, from_address = $from, subject = $subject,
                internet_message_id = $imid, ticket_id = $ticket, threaded_by = $signal, processed_at = $now
            WHERE seq = $seq
            """,
            transaction,
            ("$seq", seq),
            ("$state", outcome.State),
            ("$reason", outcome.Reason),
            ("$from", outcome.From),
            ("$subject", outcome.Subject is { Length: > 300 } s ? s[..300] : outcome.Subject),
            ("$imid", outcome.InternetMessageId),
            ("$ticket", outcome.TicketId),
            ("$signal", outcome.ThreadedBy),
            ("$now", SqliteTime.Format(now)));

    /// <summary>Read and taken in one write transaction: of two copies taken in parallel, the second finds the first's record.</summary>
    public async Task<string?> TakeAsync(MessageIdRecord record, long seq, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        await using var connection = await database.OpenWriterAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction();
        string? direction = null, holder = null;
        await using (var read = connection.Command(
            "SELECT direction, graph_id FROM mail_message_ids WHERE message_id = $id AND mailbox = $mailbox", transaction, ("$id", record.MessageId), ("$mailbox", record.Mailbox)))
        await using (var reader = await read.ExecuteReaderAsync(cancellationToken))
        {
            if (await reader.ReadAsync(cancellationToken))
            {
                direction = reader.GetString(0);
                holder = reader.IsDBNull(1) ? null : reader.GetString(1);
            }
        }

        if (direction is MessageIdRecord.In or MessageIdRecord.Taking)
        {
            return holder == record.GraphId ? null : holder ?? string.Empty;
        }

        if (direction != MessageIdRecord.Out)
        {
            await using var take = connection.Command(
                """
                INSERT INTO mail_message_ids (message_id, mailbox, ticket_id, direction, graph_id, conversation_id, cites, at)
                VALUES ($id, $mailbox, '', 'taking', $graphId, $conversation, $cites, $now)
                ON CONFLICT (message_id, mailbox) DO UPDATE SET
                    direction = 'taking', graph_id = excluded.graph_id, conversation_id = excluded.conversation_id, cites = excluded.cites
                """,
                transaction,
                ("$id", record.MessageId),
                ("$mailbox", record.Mailbox),
                ("$graphId", record.GraphId),
                ("$conversation", record.ConversationId),
                ("$cites", record.Cites is { Count: > 0 } cites ? string.Join(' ', cites) : null),
                ("$now", SqliteTime.Format(now)));
            await take.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return null;
    }

    /// <summary>All the leases or none, in one write transaction: a key held by another mail rolls back the ones taken before it.</summary>
    public async Task<long?> LeaseAsync(string mailbox, IReadOnlyList<string> keys, long seq, DateTimeOffset now, DateTimeOffset until, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keys);
        await using var connection = await database.OpenWriterAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction();
        foreach (var key in keys.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            await using (var read = connection.Command(
                """
                SELECT l.seq FROM mail_leases l
                WHERE l.lease_key = $key AND l.mailbox = $mailbox AND l.seq <> $seq AND l.until > $now
                  AND NOT EXISTS (SELECT 1 FROM mail_inbound i WHERE i.seq = l.seq AND i.state <> 'pending')
                """,
                transaction,
                ("$key", key),
                ("$mailbox", mailbox),
                ("$seq", seq),
                ("$now", SqliteTime.Format(now))))
            {
                if (await read.ExecuteScalarAsync(cancellationToken) is long holder)
                {
                    return holder;
                }
            }

            await using var take = connection.Command(
                """
                INSERT INTO mail_leases (lease_key, mailbox, seq, owner, until) VALUES ($key, $mailbox, $seq, $owner, $until)
                ON CONFLICT (lease_key, mailbox) DO UPDATE SET seq = excluded.seq, owner = excluded.owner, until = excluded.until
                """,
                transaction,
                ("$key", key),
                ("$mailbox", mailbox),
                ("$seq", seq),
                ("$owner", owner.Name),
                ("$until", SqliteTime.Format(until)));
            await take.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return null;
    }

    public async Task ReleaseLeasesAsync(string mailbox, IReadOnlyList<string> keys, long seq, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keys);
        await using var connection = await database.OpenWriterAsync(cancellationToken);
        await using var command = connection.Command("DELETE FROM mail_leases WHERE lease_key = $key AND mailbox = $mailbox AND seq = $seq", null, ("$key", string.Empty), ("$mailbox", mailbox), ("$seq", seq));
        foreach (var key in keys)
        {
            command.Parameters["$key"].Value = key;
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    /// <summary>The ticket of the first of these Message-IDs (in the order given) that the helpdesk sent or received.</summary>
    public async Task<string?> TicketOfMessageIdsAsync(IReadOnlyList<string> messageIds, CancellationToken cancellationToken)
    {
        if (messageIds.Count == 0)
        {
            return null;
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command("SELECT ticket_id FROM mail_message_ids WHERE message_id = $id AND ticket_id <> '' LIMIT 1", null, ("$id", string.Empty));
        foreach (var id in messageIds)
        {
            command.Parameters["$id"].Value = id;
            if (await command.ExecuteScalarAsync(cancellationToken) is string ticketId)
            {
                return ticketId;
            }
        }

        return null;
    }

    public async Task<string?> TicketCitingAsync(string mailbox, string internetMessageId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command(
            "SELECT ticket_id FROM mail_message_ids WHERE message_id = $id AND mailbox = $mailbox AND direction IN ('cited', 'taking') AND ticket_id <> ''", null, ("$id", internetMessageId), ("$mailbox", mailbox));
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    public async Task<IReadOnlyList<string>> TakingCitingAsync(string mailbox, string internetMessageId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command(
            "SELECT message_id FROM mail_message_ids WHERE mailbox = $mailbox AND direction = 'taking' AND instr(' ' || cites || ' ', ' ' || $id || ' ') > 0 ORDER BY at, message_id",
            null,
            ("$mailbox", mailbox),
            ("$id", internetMessageId));
        return await ReadStringsAsync(command, cancellationToken);
    }

    public async Task<IReadOnlyList<string>> TakingInConversationAsync(string mailbox, string conversationId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command(
            "SELECT message_id FROM mail_message_ids WHERE conversation_id = $id AND mailbox = $mailbox AND direction = 'taking' ORDER BY at, message_id",
            null,
            ("$mailbox", mailbox),
            ("$id", conversationId));
        return await ReadStringsAsync(command, cancellationToken);
    }

    private static async Task<IReadOnlyList<string>> ReadStringsAsync(SqliteCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var values = new List<string>();
        while (await reader.ReadAsync(cancellationToken))
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }

    /// <summary>The ticket the latest mail of this Graph conversation went to (a weak hint only).</summary>
    public async Task<string?> TicketOfConversationAsync(string conversationId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command(
            "SELECT ticket_id FROM mail_message_ids WHERE conversation_id = $id AND ticket_id <> '' ORDER BY at DESC LIMIT 1", null, ("$id", conversationId));
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    /// <summary>
    /// The ticket holding a conversation message with this id, if it was stored. Inbound mail
    /// derives its message id from its Message-ID, so a retry after a crash finds its own message here.
    /// </summary>
    public async Task<string?> TicketOfStoredMessageAsync(string messageId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command("SELECT ticket_id FROM ticket_messages WHERE id = $id", null, ("$id", messageId));
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    /// <summary>The subject of the inbound mail a conversation message was taken from; null when it came from no mail.</summary>
    public async Task<string?> SubjectOfAsync(string ticketId, string messageId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command(
            "SELECT mailbox, internet_message_id, subject FROM mail_inbound WHERE ticket_id = $ticket AND state = 'done' AND internet_message_id IS NOT NULL",
            null,
            ("$ticket", ticketId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            if (MailIntake.MessageIdFor(reader.GetString(0), reader.GetString(1)) == messageId)
            {
                return reader.IsDBNull(2) ? null : reader.GetString(2);
            }
        }

        return null;
    }

    /// <summary>
    /// The threading records of the mail a conversation message was taken from follow the message
    /// to <paramref name="toTicket"/> (re-threading), inside the caller's transaction: a later
    /// reply to that mail threads to the message's new ticket, and the journal shows where it went.
    /// </summary>
    internal static async Task RethreadAsync(SqliteConnection connection, SqliteTransaction transaction, string messageId, string fromTicket, string toTicket, CancellationToken cancellationToken)
    {
        var mails = new List<(string MessageId, string Mailbox)>();
        await using (var read = connection.Command(
            "SELECT message_id, mailbox FROM mail_message_ids WHERE ticket_id = $from AND direction = 'in'", transaction, ("$from", fromTicket)))
        await using (var reader = await read.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                if (MailIntake.MessageIdFor(reader.GetString(1), reader.GetString(0)) == messageId)
                {
                    mails.Add((reader.GetString(0), reader.GetString(1)));
                }
            }
        }

        foreach (var (internetMessageId, mailbox) in mails)
        {
            await using var ids = connection.Command(
                "UPDATE mail_message_ids SET ticket_id = $to WHERE message_id = $id AND mailbox = $mailbox",
                transaction,
                ("$id", internetMessageId),
                ("$mailbox", mailbox),
                ("$to", toTicket));
            await ids.ExecuteNonQueryAsync(cancellationToken);
            await using var journal = connection.Command(
                "UPDATE mail_inbound SET ticket_id = $to WHERE mailbox = $mailbox AND internet_message_id = $id AND ticket_id = $from",
                transaction,
                ("$id", internetMessageId),
                ("$mailbox", mailbox),
                ("$from", fromTicket),
                ("$to", toTicket));
            await journal.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    /// <summary>Ends a mail's ingestion and remembers its Message-ID for the ticket, in one transaction.</summary>
    public async Task CompleteAsync(long seq, InboundOutcome outcome, MessageIdRecord? record, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenWriterAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction();
        if (record is not null)
        {
            await InsertMessageIdAsync(connection, transaction, record, now, cancellationToken);
        }

        await using (var settle = SettleCommand(connection, transaction, seq, outcome, now))
        {
            await settle.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Remembers the Message-ID of a mail the helpdesk sent for a ticket, so a reply to it threads.</summary>
    public async Task RecordSentAsync(MessageIdRecord record, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenWriterAsync(cancellationToken);
        await InsertMessageIdAsync(connection, null, record, now, cancellationToken);
    }

    /// <summary>
    /// The first record of a Message-ID stands, except a <c>cited</c> or <c>taking</c> one, which
    /// the mail itself replaces when it is taken in (a settled record keeps no cites: its ticket's
    /// <c>cited</c> records hold them); the ids the mail cites are recorded where none is yet.
    /// </summary>
    private static async Task InsertMessageIdAsync(SqliteConnection connection, SqliteTransaction? transaction, MessageIdRecord record, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using (var insert = connection.Command(
            """
            INSERT INTO mail_message_ids (message_id, mailbox, ticket_id, direction, graph_id, conversation_id, at)
            VALUES ($id, $mailbox, $ticket, $direction, $graphId, $conversation, $now)
            ON CONFLICT (message_id, mailbox) DO UPDATE SET
                ticket_id = excluded.ticket_id, direction = excluded.direction, graph_id = excluded.graph_id,
                conversation_id = excluded.conversation_id, cites = NULL, at = excluded.at
            WHERE mail_message_ids.direction IN ('cited', 'taking') AND excluded.direction NOT IN ('cited', 'taking')
            """,
            transaction,
            ("$id", record.MessageId),
            ("$mailbox", record.Mailbox),
            ("$ticket", record.TicketId),
            ("$direction", record.Direction),
            ("$graphId", record.GraphId),
            ("$conversation", record.ConversationId),
            ("$now", SqliteTime.Format(now))))
        {
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        foreach (var cited in record.Cites ?? [])
        {
            await InsertMessageIdAsync(connection, transaction, new MessageIdRecord(cited, record.Mailbox, record.TicketId, MessageIdRecord.Cited, null, null), now, cancellationToken);
        }
    }

    /// <summary>
    /// Takes this mail in as one from <paramref name="from"/> and counts the others from that
    /// sender taken in since <paramref name="since"/> (the burst breaker's count). Marking and
    /// counting happen in one write transaction, so mails ingested in parallel count each other.
    /// </summary>
    public async Task<int> TakeInFromSenderAsync(long seq, string from, DateTimeOffset since, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenWriterAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction(deferred: false);
        await using (var mark = connection.Command(
            "UPDATE mail_inbound SET from_address = $from, processed_at = $now WHERE seq = $seq", transaction, ("$seq", seq), ("$from", from), ("$now", SqliteTime.Format(now))))
        {
            await mark.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var count = connection.Command(
            "SELECT count(*) FROM mail_inbound WHERE from_address = $from AND processed_at >= $since AND seq <> $seq AND state IN ('pending', 'done', 'quarantined')",
            transaction,
            ("$from", from),
            ("$since", SqliteTime.Format(since)),
            ("$seq", seq));
        var others = Convert.ToInt32(await count.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
        await transaction.CommitAsync(cancellationToken);
        return others;
    }

    public async Task<IReadOnlyList<InboundMailView>> ListAsync(string state, int limit, long? before, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command(
            """
            SELECT seq, mailbox, graph_id, state, reason, from_address, subject, internet_message_id, ticket_id, threaded_by, attempts, received_at, processed_at
            FROM mail_inbound WHERE state = $state AND seq < $before ORDER BY seq DESC LIMIT $limit
            """,
            null,
            ("$state", state),
            ("$before", before ?? long.MaxValue),
            ("$limit", limit));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var items = new List<InboundMailView>();
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(ReadView(reader));
        }

        return items;
    }

    public async Task<IReadOnlyList<InboundMailView>> FromSenderAsync(string address, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command(
            """
            SELECT seq, mailbox, graph_id, state, reason, from_address, subject, internet_message_id, ticket_id, threaded_by, attempts, received_at, processed_at
            FROM mail_inbound WHERE lower(from_address) = $from ORDER BY seq
            """,
            null,
            ("$from", EmailAddresses.Normalize(address)));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var items = new List<InboundMailView>();
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(ReadView(reader));
        }

        return items;
    }

    public async Task<int> ForgetSenderAsync(string address, string pseudonym, CancellationToken cancellationToken)
    {
        var from = EmailAddresses.Normalize(address);
        await using var connection = await database.OpenWriterAsync(cancellationToken);
        await using var command = connection.Command(
            """
            UPDATE mail_inbound SET from_address = $pseudonym, subject = NULL,
                reason = replace(reason, from_address, $pseudonym)
            WHERE lower(from_address) = $from
            """,
            null,
            ("$from", from),
            ("$pseudonym", pseudonym));
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<InboundMailView?> FindAsync(long id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command(
            """
            SELECT seq, mailbox, graph_id, state, reason, from_address, subject, internet_message_id, ticket_id, threaded_by, attempts, received_at, processed_at
            FROM mail_inbound WHERE seq = $seq
            """,
            null,
            ("$seq", id));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadView(reader) : null;
    }

    /// <summary>
    /// Moves a mail from <paramref name="from"/> to pending again (release from quarantine,
    /// re-drive a dead letter) or to dropped. False when the mail is not in that state (any more).
    /// </summary>
    public async Task<bool> MoveAsync(long id, string from, string to, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenWriterAsync(cancellationToken);
        await using var command = connection.Command(
            """
            UPDATE mail_inbound SET state = $to, next_attempt_at = $now, processed_at = $processed, claimed_by = NULL,
                attempts = CASE WHEN $to = 'pending' THEN 0 ELSE attempts END,
                released = CASE WHEN $from = 'quarantined' AND $to = 'pending' THEN 1 ELSE released END
            WHERE seq = $seq AND state = $from
            """,
            null,
            ("$seq", id),
            ("$from", from),
            ("$to", to),
            ("$now", SqliteTime.Format(now)),
            ("$processed", to == InboundStates.Pending ? null : SqliteTime.Format(now)));
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    private static InboundMailView ReadView(SqliteDataReader reader) => new(
        reader.GetInt64(0),
        reader.GetString(1),
        reader.GetString(2),
        reader.GetString(3),
        reader.IsDBNull(4) ? null : reader.GetString(4),
        reader.IsDBNull(5) ? null : reader.GetString(5),
        reader.IsDBNull(6) ? null : reader.GetString(6),
        reader.IsDBNull(7) ? null : reader.GetString(7),
        reader.IsDBNull(8) ? null : reader.GetString(8),
        reader.IsDBNull(9) ? null : reader.GetString(9),
        reader.GetInt32(10),
        DateTimeOffset.Parse(reader.GetString(11), System.Globalization.CultureInfo.InvariantCulture),
        reader.IsDBNull(12) ? null : DateTimeOffset.Parse(reader.GetString(12), System.Globalization.CultureInfo.InvariantCulture));

    private static async Task<IReadOnlyList<MailSubscription>> ReadSubscriptionsAsync(SqliteCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var items = new List<MailSubscription>();
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(new MailSubscription(
                reader.GetString(0),
                reader.GetString(1),
                reader.GetString(2),
                DateTimeOffset.Parse(reader.GetString(3), System.Globalization.CultureInfo.InvariantCulture),
                reader.GetInt64(4) == 1));
        }

        return items;
    }
}
