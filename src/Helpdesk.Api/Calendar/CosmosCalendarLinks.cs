using System.Net;
using Helpdesk.Api.Storage.Cosmos;
using Microsoft.Azure.Cosmos;

namespace Helpdesk.Api.Calendar;

/// <summary>
/// Which Outlook event stands for an activity, one document per activity in the
/// <c>calendarLinks</c> container (partition = id = the activity id: every access is a point
/// read or write by it), shared by every instance that pushes visits to calendars.
/// </summary>
internal sealed class CosmosCalendarLinks(CosmosContainers containers, CosmosRetry retry) : ICalendarLinks
{
    public async Task<CalendarLink?> FindAsync(string activityId, CancellationToken cancellationToken)
    {
        var container = await containers.GetAsync(CosmosContainers.CalendarLinks, cancellationToken);
        var id = CosmosIds.Safe(activityId);
        try
        {
            var read = await retry.RunAsync(ct => container.ReadItemAsync<LinkDocument>(id, new PartitionKey(id), cancellationToken: ct), cancellationToken);
            return read.Resource.Link;
        }
        catch (CosmosException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task SaveAsync(CalendarLink link, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(link);
        var container = await containers.GetAsync(CosmosContainers.CalendarLinks, cancellationToken);
        var id = CosmosIds.Safe(link.ActivityId);
        await retry.RunAsync(ct => container.UpsertItemAsync(new LinkDocument(id, link), new PartitionKey(id), new ItemRequestOptions { EnableContentResponseOnWrite = false }, ct), cancellationToken);
    }

    public async Task RemoveAsync(string activityId, CancellationToken cancellationToken)
    {
        var container = await containers.GetAsync(CosmosContainers.CalendarLinks, cancellationToken);
        var id = CosmosIds.Safe(activityId);
        using var deleted = await container.DeleteItemStreamAsync(id, new PartitionKey(id), cancellationToken: cancellationToken);
        if (!deleted.IsSuccessStatusCode && deleted.StatusCode != HttpStatusCode.NotFound)
        {
            throw new CosmosException($"Removing the calendar link of {activityId} failed.", deleted.StatusCode, 0, deleted.Headers.ActivityId, deleted.Headers.RequestCharge);
        }
    }

    private sealed record LinkDocument(string Id, CalendarLink Link);
}
