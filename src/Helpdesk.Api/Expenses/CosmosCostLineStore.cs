using Helpdesk.Api.Common;
using Helpdesk.Api.Storage;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Work;
using Microsoft.Azure.Cosmos;

namespace Helpdesk.Api.Expenses;

/// <summary>Cost lines as items of their ticket's partition, keyed by their date for the monthly report.</summary>
internal sealed class CosmosCostLineStore(CosmosTicketItems items) : ICostLineStore
{
    private const string Kind = TicketItemKinds.CostLine;

    /// <summary>Keyed by the line's date, for the monthly report.</summary>
    public static CosmosItemKind ItemKind { get; } = new(Kind) { Key = value => StoreDays.Format(((CostLine)value).Date) };

    public Task<Versioned<CostLine>?> FindAsync(string ticketId, string lineId, CancellationToken cancellationToken) =>
        items.FindAsync<CostLine>(ticketId, Kind, lineId, cancellationToken);

    public Task<Page<Versioned<CostLine>>> ListAsync(string ticketId, int limit, string? cursor, CancellationToken cancellationToken) =>
        items.ListAsync<CostLine>(ticketId, Kind, _ => true, limit, cursor, cancellationToken);

    public async Task<IReadOnlyList<CostLine>> AllAsync(string ticketId, CancellationToken cancellationToken) =>
        [.. (await items.AllAsync<CostLine>(ticketId, Kind, cancellationToken)).Select(l => l.Value)];

    public async Task<IReadOnlyList<CostRow>> RowsAsync(DateOnly from, DateOnly to, CancellationToken cancellationToken)
    {
        var query = new QueryDefinition($"SELECT * FROM c WHERE c.type = '{CosmosTicketItems.ItemType}' AND c.kind = '{Kind}' AND c.key >= @from AND c.key < @to")
            .WithParameter("@from", StoreDays.Format(from))
            .WithParameter("@to", StoreDays.Format(to));
        var rows = new List<CostRow>();
        await foreach (var (line, ticket) in items.QueryAsync<CostLine>(query, cancellationToken))
        {
            if (ticket.Snapshot.DeletedAt is null)
            {
                rows.Add(new CostRow(line.Value, ticket.AccountId));
            }
        }

        return rows;
    }
}
