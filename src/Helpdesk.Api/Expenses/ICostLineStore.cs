using Helpdesk.Api.Common;
using Helpdesk.Domain.Tickets;
using Helpdesk.Domain.Work;

namespace Helpdesk.Api.Expenses;

/// <summary>A cost line with the account of its ticket, as the monthly report sees it.</summary>
public sealed record CostRow(CostLine Line, string? AccountId);

/// <summary>Products and expenses of tickets. Every write also writes the ticket (history and event) in the same transaction.</summary>
public interface ICostLineStore
{
    Task<Versioned<CostLine>?> FindAsync(string ticketId, string lineId, CancellationToken cancellationToken);

    /// <summary>Oldest first.</summary>
    Task<Page<Versioned<CostLine>>> ListAsync(string ticketId, int limit, string? cursor, CancellationToken cancellationToken);

    Task<IReadOnlyList<CostLine>> AllAsync(string ticketId, CancellationToken cancellationToken);

    /// <summary>Lines dated from <paramref name="from"/> (inclusive) to <paramref name="to"/> (exclusive).</summary>
    Task<IReadOnlyList<CostRow>> RowsAsync(DateOnly from, DateOnly to, CancellationToken cancellationToken);

    /// <summary>Inserts (version 0) or updates the line guarded by its version, with the ticket's changes.</summary>
    Task SaveAsync(Ticket ticket, Versioned<CostLine> line, CancellationToken cancellationToken);

    Task RemoveAsync(Ticket ticket, Versioned<CostLine> line, CancellationToken cancellationToken);
}
