using System.Globalization;
using Helpdesk.Api.Common;
using Helpdesk.Api.Storage;
using Helpdesk.Api.Storage.Sqlite;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Approvals;
using Helpdesk.Domain.Tickets;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Approvals;

/// <summary>
/// Approvals. <c>due_at</c> is set only while an approval is pending: the sooner of its current
/// step's reminder (until sent) and its expiry, so the deadline scan reads a partial index of
/// pending approvals and nothing else.
/// </summary>
internal sealed class SqliteApprovalStore(SqliteDatabase database, SqliteTicketStore tickets, IOptions<ApprovalOptions> options) : IApprovalStore
{
    public static SqliteMigration Schema { get; } = new(
        "0300-approvals",
        """
        CREATE TABLE approvals (
            seq        INTEGER PRIMARY KEY AUTOINCREMENT,
            id         TEXT    NOT NULL UNIQUE,
            ticket_id  TEXT    NOT NULL,
            status     TEXT    NOT NULL,
            due_at     TEXT,
            version    INTEGER NOT NULL,
            doc        TEXT    NOT NULL
        );
        CREATE INDEX ix_approvals_ticket ON approvals (ticket_id, seq);
        CREATE INDEX ix_approvals_due    ON approvals (due_at) WHERE due_at IS NOT NULL;
        """);

    public async Task<Versioned<Approval>?> FindAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command("SELECT version, doc FROM approvals WHERE id = $id", null, ("$id", id));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader, 0) : null;
    }

    public async Task<Page<Versioned<Approval>>> ListAsync(string ticketId, int limit, string? cursor, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command(
            "SELECT seq, version, doc FROM approvals WHERE ticket_id = $ticket AND seq > $after ORDER BY seq LIMIT $limit",
            null,
            ("$ticket", ticketId),
            ("$after", cursor is null ? 0 : Paging.DecodeKey(cursor)),
            ("$limit", limit + 1));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var items = new List<Versioned<Approval>>();
        long lastSeq = 0;
        while (items.Count < limit && await reader.ReadAsync(cancellationToken))
        {
            lastSeq = reader.GetInt64(0);
            items.Add(Read(reader, 1));
        }

        var hasMore = items.Count == limit && await reader.ReadAsync(cancellationToken);
        return new Page<Versioned<Approval>>(items, hasMore ? Paging.EncodeKey(lastSeq) : null);
    }

    public async Task SaveAsync(Ticket ticket, Versioned<Approval> approval, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction();
        await tickets.WriteChangesAsync(connection, transaction, ticket, cancellationToken);
        var sql = approval.Version == 0
            ? "INSERT INTO approvals (id, ticket_id, status, due_at, version, doc) VALUES ($id, $ticket, $status, $due, 1, $doc)"
            : "UPDATE approvals SET status = $status, due_at = $due, version = version + 1, doc = $doc WHERE id = $id AND version = $expected";
        await ExpectOneAsync(connection, transaction, sql, approval, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        ticket.MarkSaved(ticket.Version + 1);
    }

    public async Task<IReadOnlyList<Versioned<Approval>>> DueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command(
            "SELECT version, doc FROM approvals WHERE due_at IS NOT NULL AND due_at <= $now ORDER BY due_at LIMIT $limit",
            null,
            ("$now", SqliteTime.Format(now)),
            ("$limit", limit));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var due = new List<Versioned<Approval>>();
        while (await reader.ReadAsync(cancellationToken))
        {
            due.Add(Read(reader, 0));
        }

        return due;
    }

    public async Task<bool> MarkRemindedAsync(Versioned<Approval> reminded, IReadOnlyList<DomainEvent> reminders, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction();
        try
        {
            await ExpectOneAsync(
                connection,
                transaction,
                "UPDATE approvals SET status = $status, due_at = $due, version = version + 1, doc = $doc WHERE id = $id AND version = $expected",
                reminded,
                cancellationToken);
        }
        catch (ConcurrencyConflictException)
        {
            return false;
        }

        foreach (var reminder in reminders)
        {
            await using var outbox = connection.Command(
                "INSERT INTO outbox (id, type, ticket_id, occurred_at, doc) VALUES ($id, $type, $ticket, $at, $doc)",
                transaction,
                ("$id", reminder.Id.ToString("D", CultureInfo.InvariantCulture)),
                ("$type", reminder.Type),
                ("$ticket", reminder.TicketId),
                ("$at", SqliteTime.Format(reminder.OccurredAt)),
                ("$doc", StoreJson.Serialize(reminder)));
            await outbox.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    private async Task ExpectOneAsync(SqliteConnection connection, SqliteTransaction transaction, string sql, Versioned<Approval> approval, CancellationToken cancellationToken)
    {
        var a = approval.Value;
        var due = a.DueAt(options.Value.ReminderAfter);
        await using var command = connection.Command(
            sql,
            transaction,
            ("$id", a.Id),
            ("$ticket", a.TicketId),
            ("$status", Domain.Common.Names.Of(a.Status)),
            ("$due", SqliteTime.Format(due)),
            ("$expected", approval.Version),
            ("$doc", StoreJson.Serialize(a)));
        if (await command.ExecuteNonQueryAsync(cancellationToken) != 1)
        {
            throw new ConcurrencyConflictException("The approval changed since it was read.");
        }
    }

    private static Versioned<Approval> Read(SqliteDataReader reader, int first) =>
        new(StoreJson.Deserialize<Approval>(reader.GetString(first + 1)), reader.GetInt64(first));
}
