using System.Globalization;
using System.Text;
using Helpdesk.Api.Common;
using Helpdesk.Api.Idempotency;
using Helpdesk.Api.Storage;
using Helpdesk.Api.Storage.Sqlite;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;
using Microsoft.Data.Sqlite;

namespace Helpdesk.Api.Tickets;

/// <summary>
/// Tickets in the SQLite file: one row per ticket (the snapshot and its query columns), its
/// history, the outbox of its events, and the rows of its items in the tables the capabilities
/// declare (<see cref="SqliteItemTable"/>). Every write of a ticket is one transaction: the row
/// guarded by its version, the history, the events and the items (docs/adr/0008-one-write-path.md).
/// </summary>
internal sealed partial class SqliteTicketStore(
    SqliteDatabase database,
    ITicketScheduler scheduler,
    IEnumerable<SqliteItemTable> itemTables,
    IEnumerable<ISqliteMessageFollower> messageFollowers) : ITicketStore, ITicketNumberSequence
{
    private readonly Dictionary<string, SqliteItemTable> _tables = itemTables.ToDictionary(t => t.Kind, StringComparer.Ordinal);

    /// <summary>
    /// The list orders (issue 20, <see cref="TicketSort"/>): for the open, mine and unassigned
    /// views and the whole list, one index per order, each ending with the rowid (seq) as the
    /// views' own indexes do, so a sorted page reads one index range like the unsorted one. The
    /// due order reads ix_tickets_late (only open tickets have a due instant); for the whole list,
    /// number has its unique index and the instants the dashboard's (ix_tickets_created, _updated). The other filters (team, account, contact, status)
    /// narrow to their own index range and sort what it holds.
    /// </summary>
    public static SqliteMigration SortsMigration { get; } = new(
        "2000-4-ticket-sorts",
        """
        CREATE INDEX ix_tickets_open_priority       ON tickets (priority)                 WHERE is_open = 1;
        CREATE INDEX ix_tickets_open_number         ON tickets (number)                   WHERE is_open = 1;
        CREATE INDEX ix_tickets_open_created        ON tickets (created_at)               WHERE is_open = 1;
        CREATE INDEX ix_tickets_open_updated        ON tickets (updated_at)               WHERE is_open = 1;
        CREATE INDEX ix_tickets_mine_priority       ON tickets (assignee_id, priority)    WHERE is_open = 1;
        CREATE INDEX ix_tickets_mine_number         ON tickets (assignee_id, number)      WHERE is_open = 1;
        CREATE INDEX ix_tickets_mine_created        ON tickets (assignee_id, created_at)  WHERE is_open = 1;
        CREATE INDEX ix_tickets_mine_updated        ON tickets (assignee_id, updated_at)  WHERE is_open = 1;
        CREATE INDEX ix_tickets_mine_late           ON tickets (assignee_id, late_at)     WHERE is_open = 1 AND late_at IS NOT NULL;
        CREATE INDEX ix_tickets_unassigned_priority ON tickets (priority)                 WHERE is_open = 1 AND assignee_id IS NULL;
        CREATE INDEX ix_tickets_unassigned_number   ON tickets (number)                   WHERE is_open = 1 AND assignee_id IS NULL;
        CREATE INDEX ix_tickets_unassigned_created  ON tickets (created_at)               WHERE is_open = 1 AND assignee_id IS NULL;
        CREATE INDEX ix_tickets_unassigned_updated  ON tickets (updated_at)               WHERE is_open = 1 AND assignee_id IS NULL;
        CREATE INDEX ix_tickets_unassigned_late     ON tickets (late_at)                  WHERE is_open = 1 AND assignee_id IS NULL AND late_at IS NOT NULL;
        CREATE INDEX ix_tickets_priority            ON tickets (priority);
        """);

    /// <summary>
    /// Search that finds conversations (issue 20, docs/adr/0014-conversation-search.md): the
    /// tickets' trigram index gains the requester's name and email, and the messages get a
    /// trigram index of their plain text (<c>ticket_messages_fts</c>, rowid = the message's seq),
    /// both filled from the rows already stored. The messages' index is kept by triggers on
    /// <c>ticket_messages</c>, so every write of a message (a post, an erasure, a move to another
    /// ticket, a purge) changes it in that write's own transaction. Contentless: the text is
    /// read from the rows it indexes, only to cut the snippets of one page.
    /// </summary>
    public static SqliteMigration SearchMigration { get; } = new(
        "search-20-1-conversation-search",
        """
        DROP TABLE tickets_fts;
        CREATE VIRTUAL TABLE tickets_fts USING fts5 (number, subject, description, requester, content = '', contentless_delete = 1, tokenize = 'trigram');
        INSERT INTO tickets_fts (rowid, number, subject, description, requester)
            SELECT seq, number, json_extract(doc, '$.subject'), coalesce(json_extract(doc, '$.description'), ''),
                   CASE WHEN json_extract(doc, '$.requester.email') IS NULL THEN ''
                        ELSE coalesce(json_extract(doc, '$.requester.name'), '') || ' <' || json_extract(doc, '$.requester.email') || '>' END
            FROM tickets;
        CREATE VIRTUAL TABLE ticket_messages_fts USING fts5 (text, content = '', contentless_delete = 1, tokenize = 'trigram');
        INSERT INTO ticket_messages_fts (rowid, text) SELECT seq, coalesce(json_extract(doc, '$.text'), '') FROM ticket_messages;
        CREATE TRIGGER ticket_messages_fts_insert AFTER INSERT ON ticket_messages BEGIN
            INSERT INTO ticket_messages_fts (rowid, text) VALUES (new.seq, coalesce(json_extract(new.doc, '$.text'), ''));
        END;
        CREATE TRIGGER ticket_messages_fts_update AFTER UPDATE OF doc ON ticket_messages BEGIN
            DELETE FROM ticket_messages_fts WHERE rowid = old.seq;
            INSERT INTO ticket_messages_fts (rowid, text) VALUES (new.seq, coalesce(json_extract(new.doc, '$.text'), ''));
        END;
        CREATE TRIGGER ticket_messages_fts_delete AFTER DELETE ON ticket_messages BEGIN
            DELETE FROM ticket_messages_fts WHERE rowid = old.seq;
        END;
        """);

    public Task<Ticket?> FindAsync(string id, CancellationToken cancellationToken) =>
        FindAsync("SELECT version, doc FROM tickets WHERE id = $id AND deleted = 0", id, cancellationToken);

    public Task<Ticket?> FindIncludingDeletedAsync(string id, CancellationToken cancellationToken) =>
        FindAsync("SELECT version, doc FROM tickets WHERE id = $id", id, cancellationToken);

    private async Task<Ticket?> FindAsync(string sql, string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command(sql, null, ("$id", id));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? Ticket.Rehydrate(StoreJson.Deserialize<TicketSnapshot>(reader.GetString(1)), reader.GetInt64(0))
            : null;
    }

    public async Task SaveAsync(IReadOnlyList<TicketWrite> writes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(writes);
        if (writes.All(w => w.Ticket.Version > 0 && !w.Ticket.HasChanges && w.Ticket.PendingNotes.Count == 0 && w.Ticket.PendingEvents.Count == 0 && w.Items.Count == 0))
        {
            return;
        }

        // Queued to the one writer: saves that wait together commit together, and a started one
        // runs to its end (SqliteDatabase.WriteAsync). The events' trace is this caller's, read
        // before the write may run in another caller's flow.
        var traceParent = Telemetry.CurrentTraceParent();
        await database.WriteAsync(
            async (connection, transaction) =>
            {
                foreach (var write in writes)
                {
                    await WriteAsync(connection, transaction, write.Ticket, traceParent, CancellationToken.None);
                    foreach (var item in write.Items)
                    {
                        await WriteItemAsync(connection, transaction, write.Ticket.Id, item, CancellationToken.None);
                    }

                    if (write.Receipt is { } receipt)
                    {
                        await WriteReceiptAsync(connection, transaction, write.Ticket.Id, receipt, CancellationToken.None);
                    }
                }
            },
            cancellationToken);
        MarkSaved(writes.Select(w => w.Ticket));
    }

    /// <summary>
    /// Imports many new tickets in one transaction (a migration from another helpdesk, the
    /// benchmark's data set): the same rows as a save, without a commit per ticket.
    /// </summary>
    internal async Task CreateManyAsync(IReadOnlyCollection<Ticket> tickets, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenWriterAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction();
        foreach (var ticket in tickets)
        {
            await WriteAsync(connection, transaction, ticket, Telemetry.CurrentTraceParent(), cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        MarkSaved(tickets);
    }

    /// <summary>
    /// The ticket's part of a write: a new ticket inserted, a changed one updated guarded by the
    /// version it was read at, then its history, its notes (once per key) and its events. A ticket
    /// without changes is not touched: its items and notes are written without a new version.
    /// </summary>
    private async Task WriteAsync(SqliteConnection connection, SqliteTransaction transaction, Ticket ticket, string? traceParent, CancellationToken cancellationToken)
    {
        if (ticket.Version == 0)
        {
            await InsertAsync(connection, transaction, ticket, cancellationToken);
        }
        else if (ticket.HasChanges)
        {
            await UpdateAsync(connection, transaction, ticket, cancellationToken);
        }

        foreach (var entry in ticket.PendingHistory)
        {
            await using var history = connection.Command(
                "INSERT INTO ticket_history (ticket_id, doc) VALUES ($id, $doc)",
                transaction,
                ("$id", ticket.Id),
                ("$doc", StoreJson.Serialize(entry)));
            await history.ExecuteNonQueryAsync(cancellationToken);
        }

        foreach (var note in ticket.PendingNotes)
        {
            await using var history = connection.Command(
                "INSERT OR IGNORE INTO ticket_history (ticket_id, note_key, doc) VALUES ($id, $key, $doc)",
                transaction,
                ("$id", ticket.Id),
                ("$key", note.Key),
                ("$doc", StoreJson.Serialize(note.Entry)));
            await history.ExecuteNonQueryAsync(cancellationToken);
        }

        foreach (var domainEvent in ticket.PendingEvents.TracedBy(traceParent))
        {
            await using var outbox = connection.Command(
                "INSERT INTO outbox (id, type, ticket_id, occurred_at, doc) VALUES ($id, $type, $ticket, $at, $doc)",
                transaction,
                ("$id", domainEvent.Id.ToString("D", CultureInfo.InvariantCulture)),
                ("$type", domainEvent.Type),
                ("$ticket", domainEvent.TicketId),
                ("$at", SqliteTime.Format(domainEvent.OccurredAt)),
                ("$doc", StoreJson.Serialize(domainEvent)));
            await outbox.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private async Task InsertAsync(SqliteConnection connection, SqliteTransaction transaction, Ticket ticket, CancellationToken cancellationToken)
    {
        var s = ticket.ToSnapshot();
        var schedule = await scheduler.ScheduleAsync(ticket, cancellationToken);
        await using var insert = connection.Command(
            """
            INSERT INTO tickets (id, number, version, status, is_open, deleted, priority, assignee_id, team_id, account_id, contact_id, portal, created_at, updated_at, late_at, sla_next_at, doc)
            VALUES ($id, $number, 1, $status, $open, $deleted, $priority, $assignee, $team, $account, $contact, $portal, $created, $updated, $late, $slaNext, $doc)
            RETURNING seq
            """,
            transaction,
            [.. Columns(s, schedule), ("$created", SqliteTime.Format(s.CreatedAt))]);
        long seq;
        try
        {
            seq = (long)(await insert.ExecuteScalarAsync(cancellationToken))!;
        }
        catch (SqliteException e) when (e.IsUniqueViolation() && e.Message.Contains("tickets.number", StringComparison.Ordinal))
        {
            throw new UniqueConstraintException("number", $"Ticket number {s.Number} is already taken.");
        }

        await IndexTextAsync(connection, transaction, seq, s, replace: false, cancellationToken);
    }

    private async Task UpdateAsync(SqliteConnection connection, SqliteTransaction transaction, Ticket ticket, CancellationToken cancellationToken)
    {
        var s = ticket.ToSnapshot();
        var schedule = await scheduler.ScheduleAsync(ticket, cancellationToken);
        await using var update = connection.Command(
            """
            UPDATE tickets SET version = version + 1, number = $number, status = $status, is_open = $open, deleted = $deleted, priority = $priority,
                assignee_id = $assignee, team_id = $team, account_id = $account, contact_id = $contact, portal = $portal,
                updated_at = $updated, late_at = $late, sla_next_at = $slaNext, doc = $doc
            WHERE id = $id AND version = $expected
            RETURNING seq
            """,
            transaction,
            [.. Columns(s, schedule), ("$expected", ticket.Version)]);
        var seq = await update.ExecuteScalarAsync(cancellationToken);
        if (seq is not long rowSeq)
        {
            throw new ConcurrencyConflictException($"Ticket {ticket.Number} was changed by someone else since version {ticket.Version}.");
        }

        await IndexTextAsync(connection, transaction, rowSeq, s, replace: true, cancellationToken);
    }

    /// <summary>
    /// The receipt of the request that made the write (the first ticket it wrote keeps it), and
    /// the receipts past their retention removed.
    /// </summary>
    private static async Task WriteReceiptAsync(SqliteConnection connection, SqliteTransaction transaction, string ticketId, TicketReceipt receipt, CancellationToken cancellationToken)
    {
        await using var command = connection.Command(
            """
            DELETE FROM ticket_receipts WHERE created_at < $expired;
            INSERT OR IGNORE INTO ticket_receipts (id, ticket_id, created_at) VALUES ($id, $ticket, $at);
            """,
            transaction,
            ("$expired", SqliteTime.Format(receipt.At - IdempotentRequest.Retention)),
            ("$id", receipt.Id),
            ("$ticket", ticketId),
            ("$at", SqliteTime.Format(receipt.At)));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<string?> FindReceiptAsync(string receiptId, DateTimeOffset since, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command(
            "SELECT ticket_id FROM ticket_receipts WHERE id = $id AND created_at >= $since",
            null,
            ("$id", receiptId),
            ("$since", SqliteTime.Format(since)));
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    /// <summary>One item's row: inserted (expected 0), updated or removed guarded by its version, or written unchecked (expected null).</summary>
    private async Task WriteItemAsync(SqliteConnection connection, SqliteTransaction transaction, string ticketId, TicketItemWrite item, CancellationToken cancellationToken)
    {
        var table = Table(item.Kind);
        var (sql, parameters) = table.Statement(ticketId, item);
        await using var command = connection.Command(sql, transaction, parameters);
        int rows;
        try
        {
            rows = await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (SqliteException e) when (e.IsUniqueViolation())
        {
            throw new ConcurrencyConflictException($"The {item.Kind} {item.Id} already exists.");
        }

        if (item.Expected is not null && rows != 1)
        {
            throw new ConcurrencyConflictException($"The {item.Kind} {item.Id} changed since it was read.");
        }
    }

    private SqliteItemTable Table(string kind) =>
        _tables.TryGetValue(kind, out var table) ? table : throw new InvalidOperationException($"No SQLite table stores ticket items of kind '{kind}'.");

    private static void MarkSaved(IEnumerable<Ticket> tickets)
    {
        foreach (var ticket in tickets)
        {
            ticket.MarkSaved(ticket.Version == 0 ? 1 : ticket.HasChanges ? ticket.Version + 1 : ticket.Version);
        }
    }

    public async Task<bool> UsesListValueAsync(TicketListField field, string value, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command(
            $"SELECT EXISTS (SELECT 1 FROM tickets WHERE lower(json_extract(doc, '$.{TicketLists.FieldName(field)}')) = lower($value))",
            null,
            ("$value", value));
        return (long)(await command.ExecuteScalarAsync(cancellationToken))! == 1;
    }

    public async Task<IReadOnlyList<string>> DueForSlaAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command(
            "SELECT id FROM tickets WHERE sla_next_at IS NOT NULL AND sla_next_at <= $now ORDER BY sla_next_at LIMIT $limit",
            null,
            ("$now", SqliteTime.Format(now)),
            ("$limit", limit));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var ids = new List<string>();
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }

    public async Task<bool> RescheduleAsync(Ticket ticket, CancellationToken cancellationToken)
    {
        var schedule = await scheduler.ScheduleAsync(ticket, cancellationToken);
        await using var connection = await database.OpenWriterAsync(cancellationToken);
        await using var command = connection.Command(
            "UPDATE tickets SET late_at = $late, sla_next_at = $slaNext WHERE id = $id AND version = $version",
            null,
            ("$late", SqliteTime.Format(schedule.LateAt)),
            ("$slaNext", SqliteTime.Format(schedule.NextSlaChangeAt)),
            ("$id", ticket.Id),
            ("$version", ticket.Version));
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task RequestSlaReviewAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenWriterAsync(cancellationToken);
        await using var command = connection.Command("UPDATE tickets SET sla_next_at = $now WHERE is_open = 1", null, ("$now", SqliteTime.Format(now)));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<QueuedTicket>> UnassignedQueueAsync(IReadOnlyList<string> teamIds, CancellationToken cancellationToken)
    {
        // ix_tickets_unassigned holds exactly the open, unassigned tickets.
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command(
            """
            SELECT id, late_at, priority, seq FROM tickets
            WHERE is_open = 1 AND assignee_id IS NULL AND deleted = 0 AND status <> $waiting
              AND (team_id IS NULL OR team_id IN (SELECT value FROM json_each($teams)))
            """,
            null,
            ("$waiting", Names.Of(TicketStatus.WaitingOnCustomer)),
            ("$teams", StoreJson.Serialize(teamIds)));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var queue = new List<QueuedTicket>();
        while (await reader.ReadAsync(cancellationToken))
        {
            queue.Add(new QueuedTicket(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetString(2), reader.GetInt64(3)));
        }

        return queue;
    }

    public async Task<Page<Ticket>> QueryAsync(TicketQuery query, CancellationToken cancellationToken)
    {
        var sql = new StringBuilder("SELECT seq, version, doc, late_at, number, created_at, updated_at FROM tickets WHERE deleted = 0");
        var parameters = new List<(string, object?)>();

        void Where(string clause, string name, object? value)
        {
            sql.Append(" AND ").Append(clause);
            parameters.Add((name, value));
        }

        switch (query.View)
        {
            case TicketView.Open:
                sql.Append(" AND is_open = 1");
                break;
            case TicketView.Mine:
                sql.Append(" AND is_open = 1");
                Where("assignee_id = $me", "$me", query.CallerAgentId ?? string.Empty);
                break;
            case TicketView.Team:
                sql.Append(" AND is_open = 1 AND team_id IN (SELECT value FROM json_each($teams))");
                parameters.Add(("$teams", StoreJson.Serialize(query.CallerTeamIds ?? [])));
                break;
            case TicketView.Unassigned:
                sql.Append(" AND is_open = 1 AND assignee_id IS NULL");
                break;
            case TicketView.Late:
                sql.Append(" AND is_open = 1");
                Where("late_at IS NOT NULL AND late_at <= $now", "$now", SqliteTime.Format(query.Now));
                break;
            case TicketView.All:
                break;
        }

        if (query.Status is { } status)
        {
            Where("status = $status", "$status", Names.Of(status));
        }

        if (query.Priority is { } priority)
        {
            Where("priority = $priority", "$priority", Names.Of(priority));
        }

        if (query.AssigneeId is not null)
        {
            Where("assignee_id = $assignee", "$assignee", query.AssigneeId);
        }

        if (query.TeamId is not null)
        {
            Where("team_id = $team", "$team", query.TeamId);
        }

        if (query.AccountId is not null)
        {
            Where("account_id = $account", "$account", query.AccountId);
        }

        if (query.ContactId is not null)
        {
            Where("contact_id = $contact", "$contact", query.ContactId);
        }

        if (query.ProjectId is not null)
        {
            Where("json_extract(doc, '$.project.id') = $project", "$project", query.ProjectId);
        }

        if (query.ContractId is not null)
        {
            Where("json_extract(doc, '$.contract.id') = $contract", "$contract", query.ContractId);
        }

        if (query.ExcludeId is not null)
        {
            Where("id <> $exclude", "$exclude", query.ExcludeId);
        }

        if (query.Portal is { } viewer)
        {
            // Two index ranges (the contact's tickets, the account's shared ones), not a scan in seq order.
            sql.Append(" AND seq IN (SELECT seq FROM tickets WHERE contact_id = $portalContact AND portal <> 'hidden'");
            parameters.Add(("$portalContact", viewer.ContactId));
            if (viewer.AccountId is not null)
            {
                sql.Append(" UNION ALL SELECT seq FROM tickets WHERE account_id = $portalAccount AND portal IN (SELECT value FROM json_each($portalShared))");
                parameters.Add(("$portalAccount", viewer.AccountId));
                parameters.Add(("$portalShared", StoreJson.Serialize(viewer.SharedWithAccount)));
            }

            sql.Append(')');
        }

        if (query.CreatedFrom is { } createdFrom)
        {
            Where("created_at >= $createdFrom", "$createdFrom", SqliteTime.Format(createdFrom));
        }

        if (query.CreatedBefore is { } createdBefore)
        {
            Where("created_at < $createdBefore", "$createdBefore", SqliteTime.Format(createdBefore));
        }

        if (!string.IsNullOrWhiteSpace(query.Text))
        {
            AppendTextFilter(sql, parameters, query.Text.Trim(), query.TextScope);
        }

        if (query.Sort is { } sort)
        {
            var filtered = sql.ToString();
            return await SortedTicketPages.ReadAsync(
                query, sort, (segment, after, take, ct) => ReadSegmentAsync(filtered, parameters, segment, after, take, ct), cancellationToken);
        }

        // The late view reads ix_tickets_late in its order (most overdue first; the index ends with
        // the rowid, seq), so a page costs a page however many tickets are late. The others read
        // their partial index newest first.
        var late = query.View == TicketView.Late;
        if (query.Cursor is not null && late)
        {
            var (lateAt, seq) = Paging.DecodeOrderedKey(query.Cursor);
            sql.Append(" AND (late_at, seq) > ($afterLate, $after)");
            parameters.Add(("$afterLate", lateAt));
            parameters.Add(("$after", seq));
        }
        else if (query.Cursor is not null)
        {
            Where("seq < $after", "$after", Paging.DecodeKey(query.Cursor));
        }

        sql.Append(late ? " ORDER BY late_at, seq LIMIT $limit" : " ORDER BY seq DESC LIMIT $limit");
        parameters.Add(("$limit", query.Limit + 1));

        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command(sql.ToString(), null, [.. parameters]);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var items = new List<Ticket>();
        long lastSeq = 0;
        string? lastLateAt = null;
        while (items.Count < query.Limit && await reader.ReadAsync(cancellationToken))
        {
            lastSeq = reader.GetInt64(0);
            lastLateAt = late ? reader.GetString(3) : null;
            items.Add(Ticket.Rehydrate(StoreJson.Deserialize<TicketSnapshot>(reader.GetString(2)), reader.GetInt64(1)));
        }

        var hasMore = items.Count == query.Limit && await reader.ReadAsync(cancellationToken);
        return new Page<Ticket>(items, !hasMore ? null : lastLateAt is not null ? Paging.EncodeKey(lastLateAt, lastSeq) : Paging.EncodeKey(lastSeq));
    }

    /// <summary>
    /// One range of a sorted list (<see cref="TicketSort.Segments"/>), read in the order of the
    /// view's sort index (SortsMigration) from the row after <paramref name="after"/>.
    /// </summary>
    private async Task<IReadOnlyList<SortedTicketRow>> ReadSegmentAsync(
        string filtered, IReadOnlyList<(string, object?)> filters, TicketSortSegment segment, SortedTicketAfter? after, int take, CancellationToken cancellationToken)
    {
        var sql = new StringBuilder(filtered);
        var parameters = new List<(string, object?)>(filters) { ("$take", take) };
        var (column, ordinal) = segment.Field switch
        {
            TicketSortField.Number => ("number", 4),
            TicketSortField.CreatedAt => ("created_at", 5),
            TicketSortField.UpdatedAt => ("updated_at", 6),
            TicketSortField.DueAt => ("late_at", 3),
            _ => (null, -1),
        };
        if (column is null)
        {
            if (segment.Priority is { } priority)
            {
                sql.Append(" AND priority = $sortPriority");
                parameters.Add(("$sortPriority", Names.Of(priority)));
            }
            else
            {
                sql.Append(" AND late_at IS NULL");
            }

            if (after is not null)
            {
                sql.Append(" AND seq < $sortAfter");
                parameters.Add(("$sortAfter", after.Seq));
            }

            sql.Append(" ORDER BY seq DESC LIMIT $take");
        }
        else
        {
            if (segment.Field == TicketSortField.DueAt)
            {
                // Only open tickets have a due instant; saying so lets every view read ix_tickets_late.
                sql.Append(" AND late_at IS NOT NULL AND is_open = 1");
            }

            if (after is not null)
            {
                sql.Append(" AND (").Append(column).Append(", seq) ").Append(segment.Descending ? '<' : '>').Append(" ($sortKey, $sortAfter)");
                parameters.Add(("$sortKey", after.Key ?? throw new InvalidCursorException()));
                parameters.Add(("$sortAfter", after.Seq));
            }

            var direction = segment.Descending ? " DESC" : " ASC";
            sql.Append(" ORDER BY ").Append(column).Append(direction).Append(", seq").Append(direction).Append(" LIMIT $take");
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command(sql.ToString(), null, [.. parameters]);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<SortedTicketRow>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var ticket = Ticket.Rehydrate(StoreJson.Deserialize<TicketSnapshot>(reader.GetString(2)), reader.GetInt64(1));
            rows.Add(new SortedTicketRow(ticket, reader.GetInt64(0), ordinal < 0 ? null : reader.GetString(ordinal)));
        }

        return rows;
    }

    public async Task<Page<HistoryEntry>> HistoryAsync(string ticketId, int limit, string? cursor, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command(
            "SELECT seq, doc FROM ticket_history WHERE ticket_id = $id AND seq > $after ORDER BY seq LIMIT $limit",
            null,
            ("$id", ticketId),
            ("$after", cursor is null ? 0 : Paging.DecodeKey(cursor)),
            ("$limit", limit + 1));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var items = new List<HistoryEntry>();
        long lastSeq = 0;
        while (items.Count < limit && await reader.ReadAsync(cancellationToken))
        {
            lastSeq = reader.GetInt64(0);
            items.Add(StoreJson.Deserialize<HistoryEntry>(reader.GetString(1)));
        }

        var hasMore = items.Count == limit && await reader.ReadAsync(cancellationToken);
        return new Page<HistoryEntry>(items, hasMore ? Paging.EncodeKey(lastSeq) : null);
    }

    public Task<long> NextAsync(string key, CancellationToken cancellationToken) => ReserveAsync(key, 1, cancellationToken);

    public async Task<long> ReserveAsync(string key, int count, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        long last = 0;
        await database.WriteAsync(
            async (connection, transaction) =>
            {
                await using var command = connection.Command(
                    "INSERT INTO sequences (key, value) VALUES ($key, $count) ON CONFLICT (key) DO UPDATE SET value = value + $count RETURNING value",
                    transaction,
                    ("$key", key),
                    ("$count", count));
                last = (long)(await command.ExecuteScalarAsync(CancellationToken.None))!;
            },
            cancellationToken);
        return last - count + 1;
    }

    /// <summary>
    /// A deleted ticket is in no working view and never due for the SLA scan. An internal ticket
    /// without a requester stores an empty contact (the column predates optional requesters) and
    /// is hidden from the portal.
    /// </summary>
    private static (string, object?)[] Columns(TicketSnapshot s, TicketSchedule schedule) =>
    [
        ("$id", s.Id),
        ("$number", s.Number),
        ("$status", Names.Of(s.Status)),
        ("$open", s.Status.IsActive() && s.DeletedAt is null ? 1 : 0),
        ("$deleted", s.DeletedAt is null ? 0 : 1),
        ("$priority", Names.Of(s.Priority)),
        ("$assignee", s.AssigneeId),
        ("$team", s.TeamId),
        ("$account", s.AccountId),
        ("$contact", s.Requester?.ContactId ?? string.Empty),
        ("$portal", Names.Of(Ticket.PortalOf(s))),
        ("$updated", SqliteTime.Format(s.UpdatedAt)),
        ("$late", s.DeletedAt is null ? SqliteTime.Format(schedule.LateAt) : null),
        ("$slaNext", s.DeletedAt is null ? SqliteTime.Format(schedule.NextSlaChangeAt) : null),
        ("$doc", StoreJson.Serialize(s)),
    ];

    /// <summary>
    /// Full-text search with trigram indexes (substring matches, any language): the ticket's
    /// number, subject, description and requester, and in the conversation scopes the text of its
    /// messages (public ones only for <see cref="TicketTextScope.PublicConversation"/>). Each
    /// index answers with the rows holding the text, looked up once, not per ticket. Terms shorter
    /// than three characters cannot use trigrams and fall back to a scan of subject and number.
    /// </summary>
    private static void AppendTextFilter(StringBuilder sql, List<(string, object?)> parameters, string text, TicketTextScope scope)
    {
        if (text.Length >= 3)
        {
            sql.Append(" AND (seq IN (SELECT rowid FROM tickets_fts WHERE tickets_fts MATCH $q)");
            if (scope != TicketTextScope.Ticket)
            {
                sql.Append(" OR id IN (SELECT m.ticket_id FROM ticket_messages m WHERE m.seq IN (SELECT rowid FROM ticket_messages_fts WHERE ticket_messages_fts MATCH $q)")
                    .Append(scope == TicketTextScope.PublicConversation ? " AND m.visibility = 'public'" : string.Empty)
                    .Append(')');
            }

            sql.Append(')');
            parameters.Add(("$q", Phrase(text)));
        }
        else
        {
            sql.Append(" AND (instr(lower(number), $q) > 0 OR instr(lower(json_extract(doc, '$.subject')), $q) > 0)");
            parameters.Add(("$q", text.ToLowerInvariant()));
        }
    }

    /// <summary>The text as one FTS5 phrase: with the trigram tokenizer, a substring.</summary>
    internal static string Phrase(string text) => "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static async Task IndexTextAsync(SqliteConnection connection, SqliteTransaction transaction, long seq, TicketSnapshot s, bool replace, CancellationToken cancellationToken)
    {
        if (replace)
        {
            await using var delete = connection.Command("DELETE FROM tickets_fts WHERE rowid = $seq", transaction, ("$seq", seq));
            await delete.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var insert = connection.Command(
            "INSERT INTO tickets_fts (rowid, number, subject, description, requester) VALUES ($seq, $number, $subject, $description, $requester)",
            transaction,
            ("$seq", seq),
            ("$number", s.Number),
            ("$subject", s.Subject),
            ("$description", s.Description ?? string.Empty),
            ("$requester", s.Requester is { } r ? $"{r.Name} <{r.Email}>" : string.Empty));
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }
}
