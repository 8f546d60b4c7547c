using Helpdesk.Api.Common;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Work;

namespace Helpdesk.Api.Expenses;

/// <summary>A cost line with the account of its ticket, as the monthly report sees it.</summary>
public sealed record CostRow(CostLine Line, string? AccountId);

/// <summary>
/// Reads products and expenses of tickets. A line is written with the ticket change that records
/// it (history and event), through <see cref="ITicketStore.SaveAsync"/> (kind <see cref="TicketItemKinds.CostLine"/>).
/// </summary>
public interface ICostLineStore
{
    Task<Versioned<CostLine>?> FindAsync(string ticketId, string lineId, CancellationToken cancellationToken);

    /// <summary>Oldest first.</summary>
    Task<Page<Versioned<CostLine>>> ListAsync(string ticketId, int limit, string? cursor, CancellationToken cancellationToken);

    Task<IReadOnlyList<CostLine>> AllAsync(string ticketId, CancellationToken cancellationToken);

    /// <summary>Lines dated from <paramref name="from"/> (inclusive) to <paramref name="to"/> (exclusive).</summary>
    Task<IReadOnlyList<CostRow>> RowsAsync(DateOnly from, DateOnly to, CancellationToken cancellationToken);
}
