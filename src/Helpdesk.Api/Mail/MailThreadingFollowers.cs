using Helpdesk.Api.Storage.Cosmos;
using Helpdesk.Api.Tickets;
using Microsoft.Data.Sqlite;

namespace Helpdesk.Api.Mail;

/// <summary>
/// The threading records of a message's mail (its Message-IDs and journal rows) follow the message
/// when it moves to another ticket, so a later reply to that mail threads to where the message is
/// now: in the move's own transaction on SQLite, after the move's commits on Cosmos DB.
/// </summary>
internal sealed class SqliteMailFollower : ISqliteMessageFollower
{
    public Task FollowAsync(SqliteConnection connection, SqliteTransaction transaction, string messageId, string fromTicketId, string toTicketId, CancellationToken cancellationToken) =>
        SqliteMailStore.RethreadAsync(connection, transaction, messageId, fromTicketId, toTicketId, cancellationToken);
}

/// <inheritdoc cref="SqliteMailFollower"/>
internal sealed class CosmosMailFollower(CosmosContainers containers, CosmosRetry retry) : ICosmosMessageFollower
{
    public Task FollowAsync(string messageId, string fromTicketId, string toTicketId, CancellationToken cancellationToken) =>
        CosmosMailStore.RethreadAsync(containers, retry, messageId, fromTicketId, toTicketId, cancellationToken);
}
