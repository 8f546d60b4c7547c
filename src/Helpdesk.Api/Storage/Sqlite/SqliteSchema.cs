namespace Helpdesk.Api.Storage.Sqlite;

/// <summary>
/// One named step of the schema. Each capability registers its own steps
/// (<see cref="SqliteMigrations.AddSqliteMigration"/>); they run once each, ordered by name,
/// and the names that ran are recorded in <c>schema_migrations</c>. Add new steps, never edit one.
/// </summary>
public sealed record SqliteMigration(string Name, string Sql);

public static class SqliteMigrations
{
    public static IServiceCollection AddSqliteMigration(this IServiceCollection services, string name, string sql) =>
        services.AddSingleton(new SqliteMigration(name, sql));
}

/// <summary>
/// The foundation's schema: tickets, history, the outbox, sequences, idempotency keys, the
/// directory. Partial indexes on <c>is_open = 1</c> serve the working views, so their cost
/// follows the open backlog and not the number of closed tickets accumulated over the years.
/// </summary>
internal static class SqliteSchema
{
    /// <summary>Every step the ticket, directory and idempotency stores need, in order.</summary>
    public static IReadOnlyList<SqliteMigration> All => [Foundation, TicketSchedule, TicketDeletion];

    public static SqliteMigration Foundation { get; } = new(
        "0001-foundation",
        """
        CREATE TABLE tickets (
            seq          INTEGER PRIMARY KEY AUTOINCREMENT,
            id           TEXT    NOT NULL UNIQUE,
            number       TEXT    NOT NULL UNIQUE,
            version      INTEGER NOT NULL,
            status       TEXT    NOT NULL,
            is_open      INTEGER NOT NULL,
            priority     TEXT    NOT NULL,
            assignee_id  TEXT,
            team_id      TEXT,
            account_id   TEXT,
            contact_id   TEXT    NOT NULL,
            created_at   TEXT    NOT NULL,
            updated_at   TEXT    NOT NULL,
            late_at      TEXT,
            doc          TEXT    NOT NULL
        );
        CREATE INDEX ix_tickets_open       ON tickets (seq)              WHERE is_open = 1;
        CREATE INDEX ix_tickets_mine       ON tickets (assignee_id, seq) WHERE is_open = 1;
        CREATE INDEX ix_tickets_team       ON tickets (team_id, seq)     WHERE is_open = 1;
        CREATE INDEX ix_tickets_unassigned ON tickets (seq)              WHERE is_open = 1 AND assignee_id IS NULL;
        CREATE INDEX ix_tickets_late       ON tickets (late_at)          WHERE is_open = 1 AND late_at IS NOT NULL;
        CREATE INDEX ix_tickets_account    ON tickets (account_id, seq);
        CREATE INDEX ix_tickets_contact    ON tickets (contact_id, seq);
        CREATE INDEX ix_tickets_status     ON tickets (status, seq);

        CREATE VIRTUAL TABLE tickets_fts USING fts5 (number, subject, description, content = '', contentless_delete = 1, tokenize = 'trigram');

        CREATE TABLE ticket_history (
            seq        INTEGER PRIMARY KEY AUTOINCREMENT,
            ticket_id  TEXT NOT NULL,
            doc        TEXT NOT NULL
        );
        CREATE INDEX ix_ticket_history ON ticket_history (ticket_id, seq);

        CREATE TABLE outbox (
            seq          INTEGER PRIMARY KEY AUTOINCREMENT,
            id           TEXT NOT NULL UNIQUE,
            type         TEXT NOT NULL,
            ticket_id    TEXT,
            occurred_at  TEXT NOT NULL,
            doc          TEXT NOT NULL,
            published_at TEXT
        );
        CREATE INDEX ix_outbox_pending ON outbox (seq) WHERE published_at IS NULL;

        CREATE TABLE sequences (
            key   TEXT PRIMARY KEY,
            value INTEGER NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE idempotency (
            scope        TEXT NOT NULL,
            key          TEXT NOT NULL,
            request_hash TEXT NOT NULL,
            created_at   TEXT NOT NULL,
            completed    INTEGER NOT NULL DEFAULT 0,
            response     TEXT,
            PRIMARY KEY (scope, key)
        ) WITHOUT ROWID;
        CREATE INDEX ix_idempotency_created ON idempotency (created_at);

        CREATE TABLE directory (
            seq      INTEGER PRIMARY KEY AUTOINCREMENT,
            kind     TEXT    NOT NULL,
            id       TEXT    NOT NULL,
            version  INTEGER NOT NULL,
            search   TEXT    NOT NULL,
            doc      TEXT    NOT NULL,
            UNIQUE (kind, id)
        );
        CREATE TABLE directory_keys (
            kind  TEXT NOT NULL,
            key   TEXT NOT NULL,
            id    TEXT NOT NULL,
            PRIMARY KEY (kind, key)
        ) WITHOUT ROWID;
        CREATE INDEX ix_directory_keys_id ON directory_keys (kind, id);
        """);

    /// <summary>
    /// When each open ticket's SLA next changes state; the breach scan reads this index only, so
    /// its cost follows the tickets that are due, not the backlog.
    /// </summary>
    public static SqliteMigration TicketSchedule { get; } = new(
        "0002-ticket-schedule",
        """
        ALTER TABLE tickets ADD COLUMN sla_next_at TEXT;
        CREATE INDEX ix_tickets_sla_next ON tickets (sla_next_at) WHERE sla_next_at IS NOT NULL;
        """);

    /// <summary>
    /// Soft deletion: a deleted ticket keeps its row (restorable) but leaves every view, report
    /// and search; <c>is_open</c> is 0 for it, so the working views' partial indexes skip it.
    /// </summary>
    public static SqliteMigration TicketDeletion { get; } = new(
        "0100-3-ticket-deletion",
        "ALTER TABLE tickets ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;");
}

/// <summary>Instants as fixed-width UTC text, so string order is time order in SQL.</summary>
internal static class SqliteTime
{
    public static string Format(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);

    public static string? Format(DateTimeOffset? value) => value is null ? null : Format(value.Value);
}
