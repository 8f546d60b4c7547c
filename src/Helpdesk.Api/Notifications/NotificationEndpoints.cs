using FluentValidation;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Common;
using Helpdesk.Api.Directory;
using Helpdesk.Api.Events;
using Helpdesk.Api.Mail;
using Helpdesk.Api.Storage;
using Helpdesk.Api.Tickets;
using Helpdesk.Api.Triggers;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Helpdesk.Api.Notifications;

public static class NotificationEndpoints
{
    public static IServiceCollection AddNotifications(this IServiceCollection services)
    {
        // The standalone sender; the email channel registers the Microsoft Graph one over it.
        services.TryAddSingleton<IEmailSender, PickupFolderEmailSender>();
        return services
            .AddSingleton(SqliteNotificationStore.Migration)
            .AddSingleton(StoreSelection.Of<INotificationStore, SqliteNotificationStore, CosmosNotificationStore>())
            .AddSingleton<NotificationContent>()
            .AddSingleton<NotificationTemplateSource>()
            .AddSingleton<NotificationSettingsSource>()
            .AddScoped<NotificationPlanner>()
            .AddQueueConsumer<DeliverNotifications>(QueueNames.Notifications, DeliverNotifications.FunctionName, "notification.deliver", DeliverNotifications.Accepts)
            .AddScheduledJob<SendNotificationDigests>(SendNotificationDigests.FunctionName, TimeSpan.FromMinutes(15));
    }

    public static RouteGroupBuilder MapNotificationEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/notifications").WithTags("notifications");
        group.MapGet("/settings", GetSettingsAsync).RequireAuthorization(Policies.Admin).WithName("GetNotificationSettings");
        group.MapPut("/settings", PutSettingsAsync).RequireAuthorization(Policies.Admin).Validate<NotificationSettingsRequest>().WithName("UpdateNotificationSettings");
        group.MapGet("/templates", ListTemplatesAsync).RequireAuthorization(Policies.Admin).WithName("ListNotificationTemplates");
        group.MapGet("/templates/{event}/{language}", GetTemplateAsync).RequireAuthorization(Policies.Admin).WithName("GetNotificationTemplate");
        group.MapPut("/templates/{event}/{language}", PutTemplateAsync).RequireAuthorization(Policies.Admin).Validate<NotificationTemplateRequest>().WithName("UpdateNotificationTemplate");
        group.MapDelete("/templates/{event}/{language}", ResetTemplateAsync).RequireAuthorization(Policies.Admin).WithName("RestoreDefaultNotificationTemplate");
        group.MapGet("/preferences", GetPreferencesAsync).RequireAuthorization(Policies.Staff).WithName("GetMyNotificationPreferences")
            .Produces<NotificationPreferences>().ProducesProblems(StatusCodes.Status409Conflict);
        group.MapPut("/preferences", PutPreferencesAsync).RequireAuthorization(Policies.Staff).Validate<NotificationPreferencesRequest>().WithName("UpdateMyNotificationPreferences")
            .Produces<NotificationPreferences>().ProducesProblems(StatusCodes.Status409Conflict, StatusCodes.Status412PreconditionFailed);
        api.MapGet("/tickets/{id}/notifications", ListForTicketAsync).RequireAuthorization(Policies.Staff).WithTags("notifications").WithName("ListTicketNotifications")
            .Produces<Page<NotificationRecord>>().ProducesProblems(StatusCodes.Status404NotFound);
        return api;
    }

    private static async Task<IResult> GetSettingsAsync(IDirectoryStore directory, HttpResponse response, CancellationToken cancellationToken)
    {
        var stored = await directory.FindAsync(NotificationKinds.Settings, NotificationDefaults.SettingsId, cancellationToken);
        ETags.Set(response, stored?.Version ?? 0);
        return TypedResults.Ok(stored?.Value ?? NotificationDefaults.Settings);
    }

    /// <summary>Replaces the settings; If-Match is required (428 without, 412 when stale). Version 0 is the unsaved defaults.</summary>
    private static async Task<IResult> PutSettingsAsync(NotificationSettingsRequest request, IDirectoryStore directory, HttpRequest http, HttpResponse response, CancellationToken cancellationToken)
    {
        var stored = await directory.FindAsync(NotificationKinds.Settings, NotificationDefaults.SettingsId, cancellationToken);
        if (ETags.RequireMatch(http, stored?.Version ?? 0) is { } refused)
        {
            return Problems.Result(refused);
        }

        var settings = new NotificationSettings(
            NotificationDefaults.SettingsId,
            request.SenderAddress!.Trim(),
            Clean(request.SenderName),
            Clean(request.NewTicketAddress),
            Clean(request.Header),
            Clean(request.Footer),
            request.NotifyCustomerOnCreation ?? true,
            request.NotifyCustomerOnClosing ?? true,
            request.Rules!,
            Clean(request.Language)?.ToLowerInvariant(),
            Clean(request.TicketLinkBase),
            [.. (request.CustomerStatusEmails ?? []).Distinct(StringComparer.Ordinal)]);
        var version = await SaveAsync(directory, NotificationKinds.Settings, settings, stored?.Version, cancellationToken);
        ETags.Set(response, version);
        return TypedResults.Ok(settings);
    }

    /// <summary>Every event's template in every language, defaults and overrides alike, with the placeholders they may use.</summary>
    private static async Task<IResult> ListTemplatesAsync(IDirectoryStore directory, CancellationToken cancellationToken)
    {
        var overrides = new Dictionary<string, NotificationTemplate>(StringComparer.Ordinal);
        string? cursor = null;
        do
        {
            var page = await directory.ListAsync(NotificationTemplateSource.Kind, null, Paging.MaxLimit, cursor, cancellationToken);
            foreach (var stored in page.Items.Where(i => i.Value.Template is not null))
            {
                overrides[stored.Value.Id] = stored.Value.Template!;
            }

            cursor = page.NextCursor;
        }
        while (cursor is not null);

        var items = NotificationTemplateCatalog.Events
            .SelectMany(e => NotificationTemplateCatalog.Languages.Select(l => Response(e, l, overrides.GetValueOrDefault(NotificationTemplateCatalog.OverrideId(e, l)))))
            .ToArray();
        return TypedResults.Ok(new { items, placeholders = NotificationTemplateCatalog.Placeholders });
    }

    private static async Task<IResult> GetTemplateAsync(string @event, string language, IDirectoryStore directory, HttpResponse response, CancellationToken cancellationToken)
    {
        if (UnknownTemplate(@event, language) is { } unknown)
        {
            return unknown;
        }

        var stored = await directory.FindAsync(NotificationTemplateSource.Kind, NotificationTemplateCatalog.OverrideId(@event, language), cancellationToken);
        ETags.Set(response, stored?.Version ?? 0);
        return TypedResults.Ok(Response(@event, language, stored?.Value.Template));
    }

    /// <summary>Replaces one event's template in one language; If-Match is required (428 without, 412 when stale). Version 0 is the built-in default.</summary>
    private static async Task<IResult> PutTemplateAsync(string @event, string language, NotificationTemplateRequest request, IDirectoryStore directory, HttpRequest http, HttpResponse response, CancellationToken cancellationToken)
    {
        if (UnknownTemplate(@event, language) is { } unknown)
        {
            return unknown;
        }

        var id = NotificationTemplateCatalog.OverrideId(@event, language);
        var stored = await directory.FindAsync(NotificationTemplateSource.Kind, id, cancellationToken);
        if (ETags.RequireMatch(http, stored?.Version ?? 0) is { } refused)
        {
            return Problems.Result(refused);
        }

        var template = new NotificationTemplate(request.Subject!.Trim(), request.Html!, request.Text!);
        var version = await SaveAsync(directory, NotificationTemplateSource.Kind, new NotificationTemplateOverride(id, @event, language, template), stored?.Version, cancellationToken);
        ETags.Set(response, version);
        return TypedResults.Ok(Response(@event, language, template));
    }

    /// <summary>Goes back to the built-in default; If-Match is honoured when sent.</summary>
    private static async Task<IResult> ResetTemplateAsync(string @event, string language, IDirectoryStore directory, HttpRequest http, HttpResponse response, CancellationToken cancellationToken)
    {
        if (UnknownTemplate(@event, language) is { } unknown)
        {
            return unknown;
        }

        var id = NotificationTemplateCatalog.OverrideId(@event, language);
        var stored = await directory.FindAsync(NotificationTemplateSource.Kind, id, cancellationToken);
        if (ETags.CheckIfSent(http, stored?.Version ?? 0) is { } refused)
        {
            return Problems.Result(refused);
        }

        if (stored is { Value.Template: not null })
        {
            ETags.Set(response, await directory.ReplaceAsync(NotificationTemplateSource.Kind, stored.Value with { Template = null }, stored.Version, cancellationToken));
        }

        return TypedResults.Ok(Response(@event, language, null));
    }

    private static NotificationTemplateResponse Response(string @event, string language, NotificationTemplate? custom)
    {
        var template = custom ?? NotificationTemplateCatalog.Default(@event, language);
        return new(@event, language, template.Subject, template.Html, template.Text, custom is not null);
    }

    private static IResult? UnknownTemplate(string @event, string language) =>
        !NotificationTemplateCatalog.IsEvent(@event) ? Problems.NotFound("notification template event")
        : !NotificationTemplateCatalog.IsLanguage(language) ? Problems.NotFound("notification template language")
        : null;

    private static async Task<IResult> GetPreferencesAsync(Caller caller, IDirectoryStore directory, HttpResponse response, CancellationToken cancellationToken)
    {
        if (await caller.AgentAsync(cancellationToken) is not { } agent)
        {
            return NotAnAgent(caller);
        }

        var stored = await directory.FindAsync(NotificationKinds.Preferences, agent.Id, cancellationToken);
        ETags.Set(response, stored?.Version ?? 0);
        return TypedResults.Ok(stored?.Value ?? NotificationPreferences.Default(agent.Id));
    }

    /// <summary>The caller's own preferences; If-Match is honoured when sent.</summary>
    private static async Task<IResult> PutPreferencesAsync(NotificationPreferencesRequest request, Caller caller, IDirectoryStore directory, HttpRequest http, HttpResponse response, CancellationToken cancellationToken)
    {
        if (await caller.AgentAsync(cancellationToken) is not { } agent)
        {
            return NotAnAgent(caller);
        }

        var stored = await directory.FindAsync(NotificationKinds.Preferences, agent.Id, cancellationToken);
        if (ETags.CheckIfSent(http, stored?.Version ?? 0) is { } refused)
        {
            return Problems.Result(refused);
        }

        var preferences = new NotificationPreferences(agent.Id, request.Muted ?? false, request.MutedTriggers ?? [], request.Digest ?? DigestFrequency.Off);
        var version = await SaveAsync(directory, NotificationKinds.Preferences, preferences, stored?.Version, cancellationToken);
        ETags.Set(response, version);
        return TypedResults.Ok(preferences);
    }

    private static async Task<IResult> ListForTicketAsync(string id, ITicketStore tickets, INotificationStore store, int? limit, string? cursor, CancellationToken cancellationToken)
    {
        if (Paging.RefuseLimit(limit) is { } refused)
        {
            return refused;
        }

        return await tickets.FindAsync(id, cancellationToken) is null
            ? Problems.NotFound("ticket")
            : TypedResults.Ok(await store.ForTicketAsync(id, limit ?? Paging.DefaultLimit, cursor, cancellationToken));
    }

    /// <summary>Creates the document on its first save (a concurrent first save loses with 412), replaces it afterwards.</summary>
    private static async Task<long> SaveAsync<T>(IDirectoryStore directory, DirectoryKind<T> kind, T document, long? storedVersion, CancellationToken cancellationToken)
    {
        if (storedVersion is { } version)
        {
            return await directory.ReplaceAsync(kind, document, version, cancellationToken);
        }

        try
        {
            await directory.CreateAsync(kind, document, cancellationToken);
            return 1;
        }
        catch (UniqueConstraintException)
        {
            throw new ConcurrencyConflictException("The document was saved by someone else meanwhile.");
        }
    }

    private static IResult NotAnAgent(Caller caller) =>
        Problems.Result(Problems.Create(StatusCodes.Status409Conflict, ProblemTypes.Rule("not-an-agent"), "Only an active agent of the directory has notification preferences.", $"No active agent has the email {caller.User.Email}."));

    private static string? Clean(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
