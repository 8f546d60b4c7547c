using FluentValidation;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Common;
using Helpdesk.Api.Directory;
using Helpdesk.Api.Events;
using Helpdesk.Api.Mail;
using Helpdesk.Api.Storage;
using Helpdesk.Api.Tickets;
using Helpdesk.Api.Triggers;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Helpdesk.Api.Notifications;

public static class NotificationEndpoints
{
    public static IServiceCollection AddNotifications(this IServiceCollection services)
    {
        // The standalone sender; the email channel registers the Microsoft Graph one over it.
        services.TryAddSingleton<IEmailSender, PickupFolderEmailSender>();
        services.AddHttpClient(SmsReminders.HttpClientName, c => c.Timeout = Timeout.InfiniteTimeSpan).AddSmsResilience();
        services.AddOptions<SmsOptions>().BindConfiguration(SmsOptions.Section)
            .Validate(o => o.IsValid(), "Notifications:Sms needs both Url (absolute http or https) and Secret (16 characters or more), or neither.")
            .ValidateOnStart();
        return services
            .AddSingleton(SqliteNotificationStore.Migration)
            .AddSingleton(SqliteNotificationInbox.Migration)
            .AddSingleton(StoreSelection.Of<INotificationStore, SqliteNotificationStore, CosmosNotificationStore>())
            .AddSingleton(StoreSelection.Of<INotificationInbox, SqliteNotificationInbox, CosmosNotificationInbox>())
            .AddSingleton(StoreSelection.Of<ISmsDeliveries, SqliteSmsDeliveries, CosmosSmsDeliveries>())
            .AddScoped<NotificationInboxWriter>()
            .AddScoped<SmsReminders>()
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
        group.MapGet("/settings", GetSettingsAsync).RequireAuthorization(Policies.Admin).WithName("GetNotificationSettings")
            .WithSummary("The notification settings (sender, header, footer, rules) with their ETag");
        group.MapPut("/settings", PutSettingsAsync).RequireAuthorization(Policies.Admin).Validate<NotificationSettingsRequest>().WithName("UpdateNotificationSettings")
            .WithSummary("Replaces the notification settings (If-Match required)")
            .ProducesProblems(StatusCodes.Status412PreconditionFailed, StatusCodes.Status428PreconditionRequired);
        group.MapGet("/templates", ListTemplatesAsync).RequireAuthorization(Policies.Admin).WithName("ListNotificationTemplates")
            .WithSummary("Every event's template in every language, with the placeholders they may use");
        group.MapGet("/templates/{event}/{language}", GetTemplateAsync).RequireAuthorization(Policies.Admin).WithName("GetNotificationTemplate")
            .WithSummary("One event's template in one language, with its ETag (version 0: the built-in default)")
            .ProducesProblems(StatusCodes.Status404NotFound);
        group.MapPut("/templates/{event}/{language}", PutTemplateAsync).RequireAuthorization(Policies.Admin).Validate<NotificationTemplateRequest>().WithName("UpdateNotificationTemplate")
            .WithSummary("Replaces one event's template in one language (If-Match required)")
            .ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status412PreconditionFailed, StatusCodes.Status428PreconditionRequired);
        group.MapDelete("/templates/{event}/{language}", ResetTemplateAsync).RequireAuthorization(Policies.Admin).WithName("RestoreDefaultNotificationTemplate")
            .WithSummary("Goes back to the built-in template (If-Match honoured when sent)")
            .ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status412PreconditionFailed);
        group.MapGet("/preferences", GetPreferencesAsync).RequireAuthorization(Policies.Staff).WithName("GetMyNotificationPreferences")
            .Produces<NotificationPreferences>().ProducesProblems(StatusCodes.Status409Conflict);
        group.MapPut("/preferences", PutPreferencesAsync).RequireAuthorization(Policies.Staff).Validate<NotificationPreferencesRequest>().WithName("UpdateMyNotificationPreferences")
            .Produces<NotificationPreferences>().ProducesProblems(StatusCodes.Status409Conflict, StatusCodes.Status412PreconditionFailed);
        api.MapGet("/tickets/{id}/notifications", ListForTicketAsync).RequireAuthorization(Policies.Staff).WithTags("notifications").WithName("ListTicketNotifications")
            .Produces<Page<NotificationRecord>>().ProducesProblems(StatusCodes.Status404NotFound);
        return api.MapNotificationInboxEndpoints();
    }

    private static async Task<Ok<NotificationSettings>> GetSettingsAsync(IDirectoryStore directory, HttpResponse response, CancellationToken cancellationToken)
    {
        var stored = await directory.FindAsync(NotificationKinds.Settings, NotificationDefaults.SettingsId, cancellationToken);
        ETags.Set(response, stored?.Version ?? 0);
        return TypedResults.Ok(stored?.Value ?? NotificationDefaults.Settings);
    }

    /// <summary>Replaces the settings; If-Match is required (428 without, 412 when stale). Version 0 is the unsaved defaults.</summary>
    private static async Task<Results<Ok<NotificationSettings>, ApiProblem>> PutSettingsAsync(NotificationSettingsRequest request, IDirectoryStore directory, HttpRequest http, HttpResponse response, CancellationToken cancellationToken)
    {
        var stored = await directory.FindAsync(NotificationKinds.Settings, NotificationDefaults.SettingsId, cancellationToken);
        if (ETags.RequireMatch(http, stored?.Version ?? 0) is { } refused)
        {
            return new ApiProblem(refused);
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
    private static async Task<Ok<NotificationTemplateList>> ListTemplatesAsync(IDirectoryStore directory, CancellationToken cancellationToken)
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
        return TypedResults.Ok(new NotificationTemplateList(items, NotificationTemplateCatalog.Placeholders));
    }

    private static async Task<Results<Ok<NotificationTemplateResponse>, ApiProblem>> GetTemplateAsync(string @event, string language, IDirectoryStore directory, HttpResponse response, CancellationToken cancellationToken)
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
    private static async Task<Results<Ok<NotificationTemplateResponse>, ApiProblem>> PutTemplateAsync(string @event, string language, NotificationTemplateRequest request, IDirectoryStore directory, HttpRequest http, HttpResponse response, CancellationToken cancellationToken)
    {
        if (UnknownTemplate(@event, language) is { } unknown)
        {
            return unknown;
        }

        var id = NotificationTemplateCatalog.OverrideId(@event, language);
        var stored = await directory.FindAsync(NotificationTemplateSource.Kind, id, cancellationToken);
        if (ETags.RequireMatch(http, stored?.Version ?? 0) is { } refused)
        {
            return new ApiProblem(refused);
        }

        var template = new NotificationTemplate(request.Subject!.Trim(), request.Html!, request.Text!);
        var version = await SaveAsync(directory, NotificationTemplateSource.Kind, new NotificationTemplateOverride(id, @event, language, template), stored?.Version, cancellationToken);
        ETags.Set(response, version);
        return TypedResults.Ok(Response(@event, language, template));
    }

    /// <summary>Goes back to the built-in default; If-Match is honoured when sent.</summary>
    private static async Task<Results<Ok<NotificationTemplateResponse>, ApiProblem>> ResetTemplateAsync(string @event, string language, IDirectoryStore directory, HttpRequest http, HttpResponse response, CancellationToken cancellationToken)
    {
        if (UnknownTemplate(@event, language) is { } unknown)
        {
            return unknown;
        }

        var id = NotificationTemplateCatalog.OverrideId(@event, language);
        var stored = await directory.FindAsync(NotificationTemplateSource.Kind, id, cancellationToken);
        if (ETags.CheckIfSent(http, stored?.Version ?? 0) is { } refused)
        {
            return new ApiProblem(refused);
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

    private static ApiProblem? UnknownTemplate(string @event, string language) =>
        !NotificationTemplateCatalog.IsEvent(@event) ? new ApiProblem(Problems.Missing("notification template event"))
        : !NotificationTemplateCatalog.IsLanguage(language) ? new ApiProblem(Problems.Missing("notification template language"))
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

        var preferences = new NotificationPreferences(agent.Id, request.Muted ?? false, request.MutedTriggers ?? [], request.Digest ?? DigestFrequency.Off, request.SmsNumber);
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

    internal static IResult NotAnAgent(Caller caller) =>
        Problems.Result(Problems.Create(StatusCodes.Status409Conflict, ProblemTypes.Rule("not-an-agent"), "Only an active agent of the directory has notification preferences.", $"No active agent has the email {caller.User.Email}."));

    private static string? Clean(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
