using Helpdesk.Api.Common;
using Helpdesk.Api.Directory;
using Helpdesk.Api.Tickets;
using Helpdesk.Api.Triggers;

namespace Helpdesk.Api.Sla;

public static class SlaEndpoints
{
    public static IServiceCollection AddSla(this IServiceCollection services) =>
        services
            .AddSingleton<SlaCatalog>()
            .AddSingleton<SlaChanges>()
            .AddSingleton<IDirectoryChanges<SlaPolicy>>(sp => sp.GetRequiredService<SlaChanges>())
            .AddSingleton<IDirectoryChanges<BusinessCalendarDocument>>(sp => sp.GetRequiredService<SlaChanges>())
            .AddSingleton<ITicketScheduler, SlaScheduler>()
            .AddSingleton<ITicketSlaClocks, TicketSlaClocks>()
            .AddScheduledJob<ScanSlaBreaches>(ScanSlaBreaches.FunctionName, TimeSpan.FromMinutes(1))
            .AddHostedService<EnsureDefaultSlaPolicy>();

    public static RouteGroupBuilder MapSlaEndpoints(this RouteGroupBuilder api)
    {
        new SlaPolicies().Map(api, "/sla-policies");
        new Calendars().Map(api, "/calendars");
        return api.MapSlaReport();
    }
}

/// <summary>The default policy (FEATURES.md §3's priority table) exists from the first start, editable like any other.</summary>
internal sealed class EnsureDefaultSlaPolicy(IDirectoryStore store, SlaCatalog catalog) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (await store.FindAsync(SlaKinds.Policy, SlaDefaults.DefaultPolicyId, cancellationToken) is not null)
        {
            return;
        }

        try
        {
            await store.CreateAsync(SlaKinds.Policy, SlaDefaults.DefaultPolicy, cancellationToken);
            catalog.Invalidate();
        }
        catch (UniqueConstraintException)
        {
            // Another instance created it first.
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
