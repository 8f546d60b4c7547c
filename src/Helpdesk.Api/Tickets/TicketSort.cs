using Helpdesk.Api.Common;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Tickets;

/// <summary>What a ticket list can be ordered by (<c>sort=</c>).</summary>
public enum TicketSortKey
{
    /// <summary>Most urgent first (urgent, high, normal, low), newest first within a priority.</summary>
    Priority,

    /// <summary>When the ticket is or becomes late (its due date or first SLA target), soonest first; tickets without one last, newest first.</summary>
    DueAt,
    UpdatedAt,
    CreatedAt,
    Number,
}

/// <summary>A stored value a sort reads in order, ties broken by the ticket's creation order (seq).</summary>
public enum TicketSortField
{
    Number,
    CreatedAt,
    UpdatedAt,
    DueAt,
}

/// <summary>
/// One index range a sorted list reads in its order, before the next range: the tickets ordered
/// by <see cref="Field"/> (then seq, both in the sort's direction), or the tickets of one
/// <see cref="Priority"/>, or those without a due instant (<see cref="WithoutDue"/>), both newest
/// first. Splitting the order this way lets each range be one index range on either engine
/// (Cosmos DB cannot order by a computed rank, and orders null before every instant).
/// </summary>
public sealed record TicketSortSegment(TicketSortField? Field, bool Descending, Priority? Priority = null, bool WithoutDue = false);

/// <summary>
/// A ticket list's order: <c>sort=priority|dueAt|updatedAt|createdAt|number</c>, <c>-</c> in
/// front for descending. Without one, a list keeps its own order (newest first; the late view,
/// most overdue first).
/// </summary>
public sealed record TicketSort(TicketSortKey Key, bool Descending)
{
    public const string Parameter = "sort";

    public static readonly string Refusal =
        "The sort is one of priority, dueAt, updatedAt, createdAt, number; put '-' in front for descending (-updatedAt).";

    /// <summary>The sort's name as given in the query string (<c>-dueAt</c>).</summary>
    public string Name => (Descending ? "-" : string.Empty) + Names.Of(Key);

    /// <summary>The ranges read one after the other, in the list's order.</summary>
    public IReadOnlyList<TicketSortSegment> Segments => Key switch
    {
        TicketSortKey.Priority => [.. (Descending ? Enum.GetValues<Priority>().Reverse() : Enum.GetValues<Priority>()).Select(p => new TicketSortSegment(null, Descending, p))],
        TicketSortKey.DueAt => [new(TicketSortField.DueAt, Descending), new(null, Descending, WithoutDue: true)],
        TicketSortKey.UpdatedAt => [new(TicketSortField.UpdatedAt, Descending)],
        TicketSortKey.CreatedAt => [new(TicketSortField.CreatedAt, Descending)],
        _ => [new(TicketSortField.Number, Descending)],
    };

    /// <summary>Parses <c>sort</c>: null when absent, false when it names no order.</summary>
    public static bool TryParse(string? text, out TicketSort? sort)
    {
        sort = null;
        if (text is null)
        {
            return true;
        }

        var descending = text.StartsWith('-');
        var name = descending ? text[1..] : text;
        if (!Names.TryParse<TicketSortKey>(name, out var key))
        {
            return false;
        }

        sort = new TicketSort(key, descending);
        return true;
    }
}

/// <summary>A row read from one segment: the ticket, its creation order and its value of the segment's field.</summary>
public sealed record SortedTicketRow(Ticket Ticket, long Seq, string? Key);

/// <summary>Where a page of a segment starts: after the row with this creation order and field value.</summary>
public sealed record SortedTicketAfter(long Seq, string? Key);

/// <summary>
/// Pages a sorted list over its segments (<see cref="TicketSort.Segments"/>), shared by both
/// stores: each segment is read from where the cursor stopped until the page is full. The cursor
/// names the sort, the segment and the last row's field value and seq, so it stays stable while
/// tickets change, and one from another order (or from an unsorted list) is refused.
/// </summary>
public static class SortedTicketPages
{
    public delegate Task<IReadOnlyList<SortedTicketRow>> ReadSegment(TicketSortSegment segment, SortedTicketAfter? after, int take, CancellationToken cancellationToken);

    public static async Task<Page<Ticket>> ReadAsync(TicketQuery query, TicketSort sort, ReadSegment read, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(sort);
        ArgumentNullException.ThrowIfNull(read);
        var segments = sort.Segments;
        var (start, after) = query.Cursor is null ? (0, null) : Decode(query.Cursor, sort, segments.Count);
        var rows = new List<(int Segment, SortedTicketRow Row)>();
        for (var i = start; i < segments.Count && rows.Count <= query.Limit; i++)
        {
            if (segments[i].Priority is { } priority && query.Priority is { } only && priority != only)
            {
                continue;
            }

            var found = await read(segments[i], i == start ? after : null, query.Limit + 1 - rows.Count, cancellationToken);
            rows.AddRange(found.Select(r => (i, r)));
        }

        var items = rows.Take(query.Limit).Select(r => r.Row.Ticket).ToArray();
        if (rows.Count <= query.Limit)
        {
            return new Page<Ticket>(items, null);
        }

        var (segment, last) = rows[query.Limit - 1];
        return new Page<Ticket>(items, Paging.EncodeSorted(sort.Name, segment, last.Seq, last.Key));
    }

    private static (int Segment, SortedTicketAfter After) Decode(string cursor, TicketSort sort, int segments)
    {
        var (name, segment, seq, key) = Paging.DecodeSorted(cursor);
        return name == sort.Name && segment < segments
            ? (segment, new SortedTicketAfter(seq, key))
            : throw new InvalidCursorException();
    }
}
