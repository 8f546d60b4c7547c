using Helpdesk.Api.Directory;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Sla;

/// <summary>
/// The active SLA policies (by order) and the calendars, read from the directory and kept for a
/// short while: every ticket write and every ticket shown needs them. A change through the API
/// refreshes this instance at once; other instances pick it up within <see cref="Lifetime"/>.
/// </summary>
public sealed class SlaCatalog(IDirectoryStore store, TimeProvider clock)
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(30);
    private Cached? _cached;

    public async ValueTask<SlaSettings> GetAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        if (Volatile.Read(ref _cached) is { } cached && cached.Expires > now)
        {
            return cached.Settings;
        }

        var policies = await ReadAllAsync(SlaKinds.Policy, cancellationToken);
        var calendars = await ReadAllAsync(SlaKinds.Calendar, cancellationToken);
        var settings = new SlaSettings(
            [.. policies.Where(p => p.Active).OrderBy(p => p.Order).ThenBy(p => p.Id, StringComparer.Ordinal)],
            calendars.ToDictionary(c => c.Id, BusinessCalendar.From, StringComparer.Ordinal));
        Volatile.Write(ref _cached, new Cached(settings, now + Lifetime));
        return settings;
    }

    public void Invalidate() => Volatile.Write(ref _cached, null);


    private sealed record Cached(SlaSettings Settings, DateTimeOffset Expires);

    private async Task<List<T>> ReadAllAsync<T>(DirectoryKind<T> kind, CancellationToken cancellationToken)
    {
        var all = new List<T>();
        string? cursor = null;
        do
        {
            var page = await store.ListAsync(kind, null, 200, cursor, cancellationToken);
            all.AddRange(page.Items.Select(v => v.Value));
            cursor = page.NextCursor;
        }
        while (cursor is not null);
        return all;
    }
}

/// <summary>One consistent view of the policies and calendars.</summary>
public sealed class SlaSettings(IReadOnlyList<SlaPolicy> policies, IReadOnlyDictionary<string, BusinessCalendar> calendars)
{
    /// <summary>The first active policy whose conditions match the ticket, with its calendar; null when none applies.</summary>
    public (SlaPolicy Policy, BusinessCalendar Calendar)? For(Ticket ticket)
    {
        foreach (var policy in policies)
        {
            if (Matches(policy.Conditions, ticket))
            {
                var calendar = policy.CalendarId is not null && calendars.TryGetValue(policy.CalendarId, out var found)
                    ? found
                    : BusinessCalendar.AroundTheClock;
                return (policy, calendar);
            }
        }

        return null;
    }

    public SlaStatus? StatusOf(Ticket ticket, DateTimeOffset now) =>
        For(ticket) is var (policy, calendar) ? SlaClock.Compute(ticket, policy, calendar, now) : null;

    private static bool Matches(SlaConditions conditions, Ticket ticket) =>
        AnyOrContains(conditions.TeamIds, ticket.TeamId)
        && AnyOrContains(conditions.Types, ticket.Type)
        && AnyOrContains(conditions.AccountIds, ticket.AccountId)
        && (conditions.MinimumPriority is null || ticket.Priority <= Names.Parse<Priority>(conditions.MinimumPriority));

    private static bool AnyOrContains(IReadOnlyList<string>? allowed, string? value) =>
        allowed is null || allowed.Count == 0 || (value is not null && allowed.Contains(value, StringComparer.Ordinal));
}

/// <summary>After a policy or calendar change: the catalog forgets its cache and the scan recomputes every open ticket's schedule.</summary>
internal sealed class SlaChanges(SlaCatalog catalog, ITicketStore tickets, TimeProvider clock) : IDirectoryChanges<SlaPolicy>, IDirectoryChanges<BusinessCalendarDocument>
{
    public Task ChangedAsync(CancellationToken cancellationToken)
    {
        catalog.Invalidate();
        return tickets.RequestSlaReviewAsync(clock.GetUtcNow(), cancellationToken);
    }
}
