using System.Globalization;
using Helpdesk.Api.Common;
using Helpdesk.Api.Storage;
using Helpdesk.Api.Storage.Sqlite;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Satisfaction;

namespace Helpdesk.Api.Satisfaction;

/// <summary>Surveys; the signing key is made once, at random, by the migration itself.</summary>
internal sealed class SqliteSurveyStore(SqliteDatabase database) : ISurveyStore
{
    public static SqliteMigration Schema { get; } = new(
        "0204-satisfaction",
        """
        CREATE TABLE csat_surveys (
            ticket_id    TEXT    PRIMARY KEY,
            answered_at  TEXT,
            score        INTEGER,
            version      INTEGER NOT NULL,
            doc          TEXT    NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX ix_csat_answered ON csat_surveys (answered_at) WHERE answered_at IS NOT NULL;

        CREATE TABLE csat_secret (
            id   INTEGER PRIMARY KEY CHECK (id = 1),
            key  BLOB    NOT NULL
        );
        INSERT INTO csat_secret (id, key) VALUES (1, randomblob(32));
        """);

    public static SqliteItemTable Table { get; } = new(TicketItemKinds.Survey, "csat_surveys", value => Columns((Survey)value)) { IdColumn = "ticket_id" };

    private static IReadOnlyList<(string, object?)> Columns(Survey s) => [("answered_at", SqliteTime.Format(s.AnsweredAt)), ("score", s.Score)];

    public async Task<byte[]> SigningKeyAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command("SELECT key FROM csat_secret WHERE id = 1");
        return (byte[])(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<Versioned<Survey>?> FindAsync(string ticketId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command("SELECT version, doc FROM csat_surveys WHERE ticket_id = $id", null, ("$id", ticketId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new Versioned<Survey>(StoreJson.Deserialize<Survey>(reader.GetString(1)), reader.GetInt64(0))
            : null;
    }

    public async Task<ScoreSummary> ScoresAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command(
            "SELECT s.score, COUNT(*) FROM csat_surveys s JOIN tickets t ON t.id = s.ticket_id WHERE t.deleted = 0 AND s.answered_at >= $from AND s.answered_at < $to GROUP BY s.score",
            null,
            ("$from", SqliteTime.Format(from)),
            ("$to", SqliteTime.Format(to)));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var distribution = ScoreSummary.EmptyDistribution();
        while (await reader.ReadAsync(cancellationToken))
        {
            distribution[reader.GetInt32(0).ToString(CultureInfo.InvariantCulture)] = reader.GetInt32(1);
        }

        return ScoreSummary.Of(distribution);
    }
}
