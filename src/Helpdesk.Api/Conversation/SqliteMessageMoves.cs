using Helpdesk.Api.Common;
using Helpdesk.Api.Mail;
using Helpdesk.Api.Storage.Sqlite;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Conversation;

/// <summary>
/// Writes a move (or a split) as one SQLite transaction: both tickets with their history and
/// events (the split's new ticket inserted), the message and its files re-pointed to the target,
/// and the mail threading records of the message, so later replies to that mail follow it.
/// </summary>
internal sealed class SqliteMessageMoves(SqliteDatabase database, SqliteTicketStore tickets) : IMessageMoves
{
    public async Task MoveAsync(Ticket source, Ticket target, string messageId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction();
        var isNew = target.Version == 0;
        await tickets.WriteChangesAsync(connection, transaction, source, cancellationToken);
        if (isNew)
        {
            await tickets.InsertAsync(connection, transaction, target, cancellationToken);
        }
        else
        {
            await tickets.WriteChangesAsync(connection, transaction, target, cancellationToken);
        }

        await using (var message = connection.Command(
            "UPDATE ticket_messages SET ticket_id = $to, doc = json_set(doc, '$.ticketId', $to) WHERE id = $id AND ticket_id = $from",
            transaction,
            ("$id", messageId),
            ("$from", source.Id),
            ("$to", target.Id)))
        {
            if (await message.ExecuteNonQueryAsync(cancellationToken) != 1)
            {
                throw new ConcurrencyConflictException($"Message {messageId} is no longer on ticket {source.Id}.");
            }
        }

        await using (var files = connection.Command(
            "UPDATE ticket_attachments SET ticket_id = $to, doc = json_set(doc, '$.ticketId', $to) WHERE message_id = $id AND ticket_id = $from",
            transaction,
            ("$id", messageId),
            ("$from", source.Id),
            ("$to", target.Id)))
        {
            await files.ExecuteNonQueryAsync(cancellationToken);
        }

        await SqliteMailStore.RethreadAsync(connection, transaction, messageId, source.Id, target.Id, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        source.MarkSaved(source.Version + 1);
        target.MarkSaved(isNew ? 1 : target.Version + 1);
    }
}
