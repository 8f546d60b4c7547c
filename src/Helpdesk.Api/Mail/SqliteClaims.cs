using Helpdesk.Api.Common;
using Helpdesk.Api.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Helpdesk.Api.Mail;

/// <summary>The start-up take-over of the mail tables' claims (<c>claimed_by</c>, a due time in the future while claimed).</summary>
internal static class SqliteClaims
{
    public static async Task<int> ReleaseStaleAsync(SqliteConnection connection, string table, string dueColumn, ClaimOwner claimant, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var holders = new List<string>();
        await using (var read = connection.Command($"SELECT DISTINCT claimed_by FROM {table} WHERE state = 'pending' AND claimed_by IS NOT NULL AND {dueColumn} > $now", null, ("$now", SqliteTime.Format(now))))
        await using (var reader = await read.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                holders.Add(reader.GetString(0));
            }
        }

        var released = 0;
        foreach (var holder in holders.Where(claimant.IsStale))
        {
            await using var release = connection.Command(
                $"UPDATE {table} SET {dueColumn} = $now, claimed_by = NULL WHERE state = 'pending' AND claimed_by = $holder AND {dueColumn} > $now",
                null,
                ("$now", SqliteTime.Format(now)),
                ("$holder", holder));
            released += await release.ExecuteNonQueryAsync(cancellationToken);
        }

        return released;
    }
}
