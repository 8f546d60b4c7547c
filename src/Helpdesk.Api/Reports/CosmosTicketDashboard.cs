using Helpdesk.Api.Storage.Cosmos;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Satisfaction;
using Helpdesk.Domain.Tickets;
using Microsoft.Azure.Cosmos;

namespace Helpdesk.Api.Reports;

/// <summary>
/// The ticket dashboard on Cosmos DB, with the figures of <see cref="SqliteTicketDashboard"/>.
/// Cosmos DB has no median and no aggregate over an array inside a document, so three
/// index-backed cross-partition queries on the tickets container bring back only the fields the
/// figures need (the group columns, the creation time and the timeline marks), and the counts
/// and medians are worked out here: tickets created in the period (range index on
/// <c>createdAt</c>), tickets touched since its start (<c>updatedAt</c>: the resolutions and the
/// backlog's tickets changed after its end), and the open tickets untouched since its end, which
/// still have the status they had then (group columns only). CSAT answers are the survey items
/// answered in the period (their indexed key), each counted in its ticket's current group.
/// </summary>
internal sealed class CosmosTicketDashboard(CosmosContainers containers, CosmosTicketItems items, CosmosRetry retry) : ITicketDashboardSource
{
    private const string Columns = "c.status, c.priority, c.teamId, c.assigneeId, c.snapshot.type AS ticketType";

    public async Task<IReadOnlyList<DashboardCounts>> AggregateAsync(DateTimeOffset from, DateTimeOffset to, DashboardGrouping? groupBy, CancellationToken cancellationToken)
    {
        var rows = new Dictionary<string, DashboardCounts>(StringComparer.Ordinal);
        DashboardCounts Row(string key) => rows.TryGetValue(key, out var row) ? row : DashboardCounts.Empty(key.Length == 0 ? null : key);
        string Group(GroupColumns c) => (groupBy switch
        {
            null => null,
            DashboardGrouping.Status => c.Status,
            DashboardGrouping.Priority => c.Priority,
            DashboardGrouping.Team => c.TeamId,
            DashboardGrouping.Agent => c.AssigneeId,
            DashboardGrouping.Type => c.TicketType,
            _ => throw new ArgumentOutOfRangeException(nameof(groupBy)),
        }) ?? string.Empty;

        var container = await containers.GetAsync(CosmosContainers.Tickets, cancellationToken);
        var created = await ReadAsync<TicketRow>(
            container,
            new QueryDefinition($"SELECT {Columns}, c.createdAt, c.updatedAt, c.snapshot.timeline FROM c WHERE c.type = 'ticket' AND c.createdAt >= @from AND c.createdAt < @to"),
            from,
            to,
            cancellationToken);
        foreach (var group in created.GroupBy(Group, StringComparer.Ordinal))
        {
            rows[group.Key] = Row(group.Key) with
            {
                Created = group.Count(),
                FirstResponseMedianSeconds = Median(group.Select(t => FirstResponse(t) is { } at ? Seconds(t.CreatedAt, at) : (long?)null)),
            };
        }

        var touched = await ReadAsync<TicketRow>(
            container,
            new QueryDefinition($"SELECT {Columns}, c.createdAt, c.updatedAt, c.snapshot.timeline FROM c WHERE c.type = 'ticket' AND c.updatedAt >= @from AND c.createdAt < @to"),
            from,
            to,
            cancellationToken);
        var resolved = touched.Select(t => (Ticket: t, Marks: Resolutions(t, from, to))).Where(r => r.Marks.Count > 0);
        foreach (var group in resolved.GroupBy(r => Group(r.Ticket), StringComparer.Ordinal))
        {
            rows[group.Key] = Row(group.Key) with
            {
                Resolved = group.Count(),
                Reopened = group.Count(r => Reopened(r.Ticket, r.Marks[0])),
                ResolutionMedianSeconds = Median(group.Select(r => (long?)Seconds(r.Ticket.CreatedAt, r.Marks[^1]))),
            };
        }

        var untouched = await ReadAsync<GroupColumns>(
            container,
            new QueryDefinition($"SELECT {Columns} FROM c WHERE c.type = 'ticket' AND c.isOpen = true AND c.updatedAt < @to AND c.createdAt < @to"),
            from,
            to,
            cancellationToken);
        var backlog = untouched.Concat(touched.Where(t => t.UpdatedAt >= to && StatusAt(t, to) is { } status && !IsDone(status)));
        foreach (var group in backlog.GroupBy(Group, StringComparer.Ordinal))
        {
            rows[group.Key] = Row(group.Key) with { Backlog = group.Count() };
        }

        var answers = new List<(string Group, int Score)>();
        var surveys = new QueryDefinition($"SELECT * FROM c WHERE c.type = '{CosmosTicketItems.ItemType}' AND c.kind = 'survey' AND c.key >= @from AND c.key < @to")
            .WithParameter("@from", TicketDocument.Time(from))
            .WithParameter("@to", TicketDocument.Time(to));
        await foreach (var (survey, ticket) in items.QueryAsync<Survey>(surveys, cancellationToken))
        {
            if (survey.Value.Score is { } score && ticket.Type == "ticket")
            {
                answers.Add((Group(new GroupColumns(ticket.Status, ticket.Priority, ticket.TeamId, ticket.AssigneeId, ticket.Snapshot.Type)), score));
            }
        }

        foreach (var group in answers.GroupBy(a => a.Group, StringComparer.Ordinal))
        {
            rows[group.Key] = Row(group.Key) with { CsatAnswers = group.Count(), CsatScoreSum = group.Sum(a => a.Score) };
        }

        return [.. rows.Values];
    }

    private async Task<IReadOnlyList<T>> ReadAsync<T>(Container container, QueryDefinition query, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        query.WithParameter("@to", TicketDocument.Time(to));
        if (query.QueryText.Contains("@from", StringComparison.Ordinal))
        {
            query.WithParameter("@from", TicketDocument.Time(from));
        }

        var rows = new List<T>();
        using var iterator = container.GetItemQueryIterator<T>(query);
        while (iterator.HasMoreResults)
        {
            rows.AddRange(await retry.RunAsync(iterator.ReadNextAsync, cancellationToken));
        }

        return rows;
    }

    private static DateTimeOffset? FirstResponse(TicketRow ticket) =>
        ticket.Marks.Where(m => m.Kind == TimelineKinds.AgentReplied).Select(m => (DateTimeOffset?)m.At).Min();

    /// <summary>The times the ticket was marked resolved within the period, oldest first.</summary>
    private static List<DateTimeOffset> Resolutions(TicketRow ticket, DateTimeOffset from, DateTimeOffset to) =>
        [.. ticket.Marks.Where(m => m.Kind == TimelineKinds.Status && m.Value == "resolved" && m.At >= from && m.At < to).Select(m => m.At).Order()];

    /// <summary>Went back to work (any status but resolved or closed) after its first resolution in the period.</summary>
    private static bool Reopened(TicketRow ticket, DateTimeOffset firstResolution) =>
        ticket.Marks.Any(m => m.Kind == TimelineKinds.Status && m.At > firstResolution && !IsDone(m.Value));

    /// <summary>The status of the latest status mark before <paramref name="at"/>, as the timeline recorded it.</summary>
    private static string? StatusAt(TicketRow ticket, DateTimeOffset at) =>
        ticket.Marks.LastOrDefault(m => m.Kind == TimelineKinds.Status && m.At < at)?.Value;

    private static bool IsDone(string? status) => status is "resolved" or "closed";

    private static long Seconds(DateTimeOffset from, DateTimeOffset to) =>
        (long)Math.Round((to - from).TotalSeconds, MidpointRounding.AwayFromZero);

    /// <summary>As SQLite: the middle value, or the two middle values averaged and rounded; null when none.</summary>
    private static long? Median(IEnumerable<long?> values)
    {
        long[] sorted = [.. values.OfType<long>().Order()];
        if (sorted.Length == 0)
        {
            return null;
        }

        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (long)Math.Round((sorted[mid - 1] + sorted[mid]) / 2.0, MidpointRounding.AwayFromZero);
    }

    /// <summary>The current values a ticket may be grouped by (<c>ticketType</c>: the ticket's type, not the document's).</summary>
    private record GroupColumns(string? Status, string? Priority, string? TeamId, string? AssigneeId, string? TicketType);

    private sealed record TicketRow(string? Status, string? Priority, string? TeamId, string? AssigneeId, string? TicketType, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, IReadOnlyList<TimelineMark>? Timeline)
        : GroupColumns(Status, Priority, TeamId, AssigneeId, TicketType)
    {
        public IReadOnlyList<TimelineMark> Marks => Timeline ?? [];
    }
}
