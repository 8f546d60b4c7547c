using Helpdesk.Api.Storage;
using Helpdesk.Api.Storage.Sqlite;
using Helpdesk.Domain.Directory;

namespace Helpdesk.Api.CustomerContext;

/// <summary>Counts and contacts of an account, for the customer context.</summary>
public interface IAccountSummaries
{
    Task<(int Open, int Total)> TicketCountsAsync(string accountId, CancellationToken cancellationToken);

    /// <summary>The account's contacts, at most <paramref name="limit"/>, oldest first.</summary>
    Task<IReadOnlyList<Contact>> ContactsAsync(string accountId, int limit, CancellationToken cancellationToken);
}

/// <summary>Counts come from the account index of the tickets table; contacts from the directory documents.</summary>
internal sealed class SqliteAccountSummaries(SqliteDatabase database) : IAccountSummaries
{
    /// <summary>
    /// The contacts of an account without scanning every contact document: an expression index on
    /// the document's account id, partial on contacts, in seq order (the query below must use the
    /// very same expression and kind filter for SQLite to pick it).
    /// </summary>
    public static SqliteMigration ContactAccountIndex { get; } = new(
        "0100-6-contact-account-index",
        "CREATE INDEX ix_directory_contact_account ON directory (json_extract(doc, '$.accountId'), seq) WHERE kind = 'contact';");

    public async Task<(int Open, int Total)> TicketCountsAsync(string accountId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command(
            "SELECT count(*), coalesce(sum(is_open), 0) FROM tickets WHERE account_id = $account AND deleted = 0",
            null,
            ("$account", accountId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetInt32(1), reader.GetInt32(0));
    }

    public async Task<IReadOnlyList<Contact>> ContactsAsync(string accountId, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command(
            "SELECT doc FROM directory WHERE kind = 'contact' AND json_extract(doc, '$.accountId') = $account ORDER BY seq LIMIT $limit",
            null,
            ("$account", accountId),
            ("$limit", limit));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var contacts = new List<Contact>();
        while (await reader.ReadAsync(cancellationToken))
        {
            contacts.Add(StoreJson.Deserialize<Contact>(reader.GetString(0)));
        }

        return contacts;
    }
}
