using Helpdesk.Api.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Helpdesk.Api.Reports;

/// <summary>
/// The ticket dashboard computed inside SQLite: counts and medians are aggregated by the engine
/// (medians with window functions), so only one row per group leaves the database. Times come
/// from each ticket's timeline (the SLA engine's facts) as wall-clock seconds. The period's
/// tickets are found by index: created_at for creations, updated_at for resolutions and the
/// backlog (a ticket not updated since the end of the period still has the status it had then).
/// </summary>
internal sealed class SqliteTicketDashboard(SqliteDatabase database) : ITicketDashboardSource
{
    public static SqliteMigration Schema { get; } = new(
        "0205-ticket-dashboard",
        """
        CREATE INDEX ix_tickets_created ON tickets (created_at);
        CREATE INDEX ix_tickets_updated ON tickets (updated_at);
        """);

    private const string At = "julianday(json_extract(m.value, '$.at'))";
    private const string Kind = "json_extract(m.value, '$.kind')";
    private const string Value = "json_extract(m.value, '$.value')";
    private const string Done = "('resolved', 'closed')";

    public async Task<IReadOnlyList<DashboardCounts>> AggregateAsync(DateTimeOffset from, DateTimeOffset to, DashboardGrouping? groupBy, CancellationToken cancellationToken)
    {
        var group = groupBy switch
        {
            null => "''",
            DashboardGrouping.Status => "t.status",
            DashboardGrouping.Priority => "t.priority",
            DashboardGrouping.Team => "t.team_id",
            DashboardGrouping.Agent => "t.assignee_id",
            DashboardGrouping.Type => "json_extract(t.doc, '$.type')",
            _ => throw new ArgumentOutOfRangeException(nameof(groupBy)),
        };
        (string, object?)[] range = [("$from", SqliteTime.Format(from)), ("$to", SqliteTime.Format(to))];
        var rows = new Dictionary<string, DashboardCounts>(StringComparer.Ordinal);
        DashboardCounts Row(string key) => rows.TryGetValue(key, out var row) ? row : DashboardCounts.Empty(key.Length == 0 ? null : key);

        await using var connection = await database.OpenAsync(cancellationToken);
        await ReadAsync(connection, Created(group), range, r => rows[r.GetString(0)] = Row(r.GetString(0)) with
        {
            Created = r.GetInt32(1),
            FirstResponseMedianSeconds = r.IsDBNull(2) ? null : r.GetInt64(2),
        }, cancellationToken);
        await ReadAsync(connection, Resolved(group), range, r => rows[r.GetString(0)] = Row(r.GetString(0)) with
        {
            Resolved = r.GetInt32(1),
            Reopened = r.GetInt32(2),
            ResolutionMedianSeconds = r.IsDBNull(3) ? null : r.GetInt64(3),
        }, cancellationToken);
        await ReadAsync(connection, Backlog(group), range, r => rows[r.GetString(0)] = Row(r.GetString(0)) with { Backlog = r.GetInt32(1) }, cancellationToken);
        await ReadAsync(connection, Csat(group), range, r => rows[r.GetString(0)] = Row(r.GetString(0)) with
        {
            CsatAnswers = r.GetInt32(1),
            CsatScoreSum = r.GetDecimal(2),
        }, cancellationToken);
        return [.. rows.Values];
    }

    private static async Task ReadAsync(SqliteConnection connection, string sql, (string, object?)[] parameters, Action<SqliteDataReader> read, CancellationToken cancellationToken)
    {
        await using var command = connection.Command(sql, null, parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            read(reader);
        }
    }

    /// <summary>The lower median of an even count is averaged with the upper one.</summary>
    private static string Median(string source) =>
        $"""
        SELECT grp, CAST(round(avg(secs)) AS INTEGER) AS median FROM (
            SELECT grp, secs, row_number() OVER (PARTITION BY grp ORDER BY secs) AS rn, count(*) OVER (PARTITION BY grp) AS n
            FROM {source} WHERE secs IS NOT NULL)
        WHERE rn IN ((n + 1) / 2, (n + 2) / 2) GROUP BY grp
        """;

    private static string Created(string group) =>
        $"""
        WITH d AS MATERIALIZED (
            SELECT coalesce({group}, '') AS grp,
                (SELECT round((min({At}) - julianday(t.created_at)) * 86400)
                 FROM json_each(t.doc, '$.timeline') m WHERE {Kind} = 'agentReplied') AS secs
            FROM tickets t WHERE t.deleted = 0 AND t.created_at >= $from AND t.created_at < $to)
        SELECT c.grp, c.n, m.median
        FROM (SELECT grp, count(*) AS n FROM d GROUP BY grp) c
        LEFT JOIN ({Median("d")}) m ON m.grp = c.grp
        """;

    private static string Resolved(string group) =>
        $"""
        WITH marks AS MATERIALIZED (
            SELECT coalesce({group}, '') AS grp, t.doc, julianday(t.created_at) AS created,
                (SELECT min({At}) FROM json_each(t.doc, '$.timeline') m
                 WHERE {Kind} = 'status' AND {Value} = 'resolved' AND {At} >= julianday($from) AND {At} < julianday($to)) AS first_at,
                (SELECT max({At}) FROM json_each(t.doc, '$.timeline') m
                 WHERE {Kind} = 'status' AND {Value} = 'resolved' AND {At} >= julianday($from) AND {At} < julianday($to)) AS last_at
            FROM tickets t WHERE t.deleted = 0 AND t.updated_at >= $from AND t.created_at < $to),
        d AS MATERIALIZED (
            SELECT grp, round((last_at - created) * 86400) AS secs,
                EXISTS (SELECT 1 FROM json_each(doc, '$.timeline') m WHERE {Kind} = 'status' AND {Value} NOT IN {Done} AND {At} > first_at) AS reopened
            FROM marks WHERE first_at IS NOT NULL)
        SELECT c.grp, c.n, c.reopened, m.median
        FROM (SELECT grp, count(*) AS n, sum(reopened) AS reopened FROM d GROUP BY grp) c
        LEFT JOIN ({Median("d")}) m ON m.grp = c.grp
        """;

    private static string Backlog(string group) =>
        $"""
        SELECT grp, count(*) FROM (
            SELECT coalesce({group}, '') AS grp FROM tickets t
            WHERE t.deleted = 0 AND t.is_open = 1 AND t.updated_at < $to AND t.created_at < $to
            UNION ALL
            SELECT coalesce({group}, '') AS grp FROM tickets t
            WHERE t.deleted = 0 AND t.updated_at >= $to AND t.created_at < $to
              AND (SELECT {Value} FROM json_each(t.doc, '$.timeline') m
                   WHERE {Kind} = 'status' AND {At} < julianday($to) ORDER BY m.key DESC LIMIT 1) NOT IN {Done})
        GROUP BY grp
        """;

    private static string Csat(string group) =>
        $"""
        SELECT coalesce({group}, '') AS grp, count(*), sum(s.score)
        FROM csat_surveys s JOIN tickets t ON t.id = s.ticket_id
        WHERE t.deleted = 0 AND s.answered_at >= $from AND s.answered_at < $to
        GROUP BY grp
        """;
}
