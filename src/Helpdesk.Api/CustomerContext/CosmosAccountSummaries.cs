using Helpdesk.Api.Directory;
using Helpdesk.Api.Storage.Cosmos;
using Helpdesk.Domain.Directory;
using Microsoft.Azure.Cosmos;

namespace Helpdesk.Api.CustomerContext;

/// <summary>
/// Counts of an account's tickets from the ticket documents' indexed <c>accountId</c> and
/// <c>isOpen</c> (two index-served COUNT queries), and its contacts from the directory's
/// <c>contact</c> partition.
/// </summary>
internal sealed class CosmosAccountSummaries(CosmosContainers containers, CosmosRetry retry) : IAccountSummaries
{
    public async Task<(int Open, int Total)> TicketCountsAsync(string accountId, CancellationToken cancellationToken)
    {
        var tickets = await containers.GetAsync(CosmosContainers.Tickets, cancellationToken);
        const string Count = "SELECT VALUE COUNT(1) FROM c WHERE c.type = 'ticket' AND c.accountId = @account";
        var total = await CountAsync(tickets, new QueryDefinition(Count).WithParameter("@account", accountId), cancellationToken);
        var open = await CountAsync(tickets, new QueryDefinition(Count + " AND c.isOpen = true").WithParameter("@account", accountId), cancellationToken);
        return (open, total);
    }

    public async Task<IReadOnlyList<Contact>> ContactsAsync(string accountId, int limit, CancellationToken cancellationToken)
    {
        var directory = await containers.GetAsync(CosmosContainers.Directory, cancellationToken);
        var query = new QueryDefinition("SELECT TOP @top c.entry FROM c WHERE c.kind = @kind AND c.entry.accountId = @account ORDER BY c.seq")
            .WithParameter("@top", limit)
            .WithParameter("@kind", DirectoryKinds.Contact.Name)
            .WithParameter("@account", accountId);
        var rows = await CosmosQueries.TakeAsync<ContactRow>(directory, query, limit, new PartitionKey(DirectoryKinds.Contact.Name), retry, cancellationToken);
        return [.. rows.Select(r => r.Entry)];
    }

    private async Task<int> CountAsync(Container container, QueryDefinition query, CancellationToken cancellationToken)
    {
        var count = await CosmosQueries.TakeAsync<int>(container, query, 1, partitionKey: null, retry, cancellationToken);
        return count.Count == 0 ? 0 : count[0];
    }

    private sealed record ContactRow(Contact Entry);
}
