using Helpdesk.Api.Storage;

namespace Helpdesk.Api.Tickets;

/// <summary>
/// How one kind of ticket item is stored in the SQLite file, declared by the capability that owns
/// the kind: its table (with <c>ticket_id</c>, <c>version</c> and <c>doc</c> columns besides the
/// id), and the columns its queries read, computed from the value. The ticket store writes every
/// item through this, in the transaction of the ticket write.
/// </summary>
public sealed record SqliteItemTable(string Kind, string Table, Func<object, IReadOnlyList<(string Column, object? Value)>> Columns)
{
    /// <summary>The column of the item's id: <c>id</c>, the agent's id for presence and timers, the ticket's for a resolution or a survey.</summary>
    public string IdColumn { get; init; } = "id";

    /// <summary>The column naming the message an item belongs to (an attachment's): such items follow their message when it moves to another ticket.</summary>
    public string? MessageColumn { get; init; }

    /// <summary>
    /// A condition on the rows a merge's undo takes back (parameter <c>$mergedAt</c>, the time of
    /// the merge): a running timer started on the target after the merge stays there.
    /// </summary>
    public string? UndoMergeCondition { get; init; }

    /// <summary>The SQL of an item write and its parameters.</summary>
    internal (string Sql, (string, object?)[] Parameters) Statement(string ticketId, TicketItemWrite item)
    {
        var extra = item.Value is null ? [] : Columns(item.Value);
        var ownTicketColumn = IdColumn == "ticket_id" ? [] : new[] { "ticket_id" };
        (string, object?)[] parameters =
        [
            ("$id", item.Id),
            ("$ticket", ticketId),
            ("$expected", item.Expected),
            ("$doc", item.Value is null ? null : StoreJson.Serialize(item.Value)),
            .. extra.Select((c, i) => ($"$c{i}", c.Value)),
        ];
        var key = IdColumn == "ticket_id" ? "ticket_id = $ticket" : $"{IdColumn} = $id AND ticket_id = $ticket";
        var guard = item.Expected is { } ? " AND version = $expected" : string.Empty;
        if (item.Value is null)
        {
            return ($"DELETE FROM {Table} WHERE {key}{guard}", parameters);
        }

        var set = string.Concat(extra.Select((c, i) => $", {c.Column} = $c{i}"));
        if (item.Expected is > 0)
        {
            return ($"UPDATE {Table} SET version = version + 1, doc = $doc{set} WHERE {key}{guard}", parameters);
        }

        string[] columns = [IdColumn, .. ownTicketColumn, "version", "doc", .. extra.Select(c => c.Column)];
        string[] values = [IdColumn == "ticket_id" ? "$ticket" : "$id", .. ownTicketColumn.Select(_ => "$ticket"), "1", "$doc", .. extra.Select((_, i) => $"$c{i}")];
        var insert = $"INSERT INTO {Table} ({string.Join(", ", columns)}) VALUES ({string.Join(", ", values)})";
        return item.Expected is null
            ? ($"{insert} ON CONFLICT DO UPDATE SET version = version + 1, doc = excluded.doc{string.Concat(extra.Select(c => $", {c.Column} = excluded.{c.Column}"))}", parameters)
            : (insert, parameters);
    }
}

/// <summary>
/// Records outside a ticket's items that follow a message when it moves to another ticket (the
/// threading ids of the mail it came from), written in the move's own transaction.
/// </summary>
public interface ISqliteMessageFollower
{
    Task FollowAsync(Microsoft.Data.Sqlite.SqliteConnection connection, Microsoft.Data.Sqlite.SqliteTransaction transaction, string messageId, string fromTicketId, string toTicketId, CancellationToken cancellationToken);
}
