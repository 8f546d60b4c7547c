using Helpdesk.Api.Storage.Cosmos;
using Helpdesk.Api.Storage.Sqlite;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Directory;
using Microsoft.Azure.Cosmos;

namespace Helpdesk.Api.Privacy;

/// <summary>
/// The tickets that hold a person's data: those they asked for (soft-deleted ones too: deleting is
/// not forgetting) and those with a message copying their address. Export and erasure read each
/// one through the ticket store afterwards, so an id found here for a ticket gone meanwhile, or
/// for a message value no longer current, only costs a read.
/// </summary>
public interface IPersonTicketIndex
{
    /// <summary>Distinct ticket ids, requested ones first; <paramref name="email"/> normalised (lower case).</summary>
    Task<IReadOnlyList<string>> TicketIdsAsync(string contactId, string email, CancellationToken cancellationToken);
}

internal sealed class SqlitePersonTicketIndex(SqliteDatabase database) : IPersonTicketIndex
{
    public async Task<IReadOnlyList<string>> TicketIdsAsync(string contactId, string email, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command(
            """
            SELECT id FROM (SELECT id, 0 AS part, seq FROM tickets WHERE contact_id = $contact
                            UNION ALL
                            SELECT m.ticket_id, 1, m.seq FROM ticket_messages m, json_each(m.doc, '$.cc') cc WHERE lower(trim(cc.value)) = $email)
            ORDER BY part, seq
            """,
            null,
            ("$contact", contactId),
            ("$email", email));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var ids = new List<string>();
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetString(0));
        }

        return [.. ids.Distinct(StringComparer.Ordinal)];
    }
}

/// <summary>
/// On Cosmos DB: ticket documents (live and deleted) by their indexed contact id, and message item
/// documents whose copy list names the address (the item values are not indexed: a scan, for an
/// admin's rare GDPR request).
/// </summary>
internal sealed class CosmosPersonTicketIndex(CosmosContainers containers, CosmosRetry retry) : IPersonTicketIndex
{
    public async Task<IReadOnlyList<string>> TicketIdsAsync(string contactId, string email, CancellationToken cancellationToken)
    {
        var container = await containers.GetAsync(CosmosContainers.Tickets, cancellationToken);
        var requested = new QueryDefinition("SELECT VALUE c.id FROM c WHERE (c.type = 'ticket' OR c.type = 'deletedTicket') AND c.contactId = @contact")
            .WithParameter("@contact", contactId);

        // The messages that copy anyone, compared here: a JOIN over the copies would be one query on
        // Cosmos DB, but the test server fails it on the documents that have no value.
        var copied = new QueryDefinition("SELECT c.ticketId, c[\"value\"].cc AS cc FROM c WHERE c.type = @item AND c.kind = @kind AND IS_ARRAY(c[\"value\"].cc) AND ARRAY_LENGTH(c[\"value\"].cc) > 0")
            .WithParameter("@item", CosmosTicketItems.ItemType)
            .WithParameter("@kind", TicketItemKinds.Message);
        var ids = new List<string>();
        using (var iterator = container.GetItemQueryIterator<string>(requested, requestOptions: new QueryRequestOptions { EnableScanInQuery = true }))
        {
            while (iterator.HasMoreResults)
            {
                ids.AddRange(await retry.RunAsync(iterator.ReadNextAsync, cancellationToken));
            }
        }

        using (var iterator = container.GetItemQueryIterator<CopyRow>(copied, requestOptions: new QueryRequestOptions { EnableScanInQuery = true }))
        {
            while (iterator.HasMoreResults)
            {
                var page = await retry.RunAsync(iterator.ReadNextAsync, cancellationToken);
                ids.AddRange(page.Where(r => r.Cc.Any(a => a is not null && EmailAddresses.Normalize(a) == email)).Select(r => r.TicketId));
            }
        }

        return [.. ids.Distinct(StringComparer.Ordinal)];
    }

    private sealed record CopyRow(string TicketId, IReadOnlyList<string?> Cc);
}
