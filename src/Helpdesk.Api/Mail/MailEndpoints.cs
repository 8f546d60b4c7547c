using Helpdesk.Api.Storage.Sqlite;
using Helpdesk.Api.Triggers;

namespace Helpdesk.Api.Mail;

/// <summary>The email channel: Graph mailbox access, the webhook receiver, the timer jobs, the mail admin routes.</summary>
public static class MailEndpoints
{
    public static IServiceCollection AddMail(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(MailOptions.Section);
        services.AddOptions<MailOptions>().Bind(options)
            .Validate(o => o.Mailboxes.All(m => !string.IsNullOrWhiteSpace(m.Id) && !string.IsNullOrWhiteSpace(m.Address)), "Every Mail:Mailboxes entry needs an Id and an Address.")
            .Validate(o => o.SubscriptionMinutes is > 0 and <= RenewMailSubscriptions.MaxSubscriptionMinutes, "Mail:SubscriptionMinutes is from 1 to 10080 (Graph's limit for Outlook messages).")
            .Validate(o => string.IsNullOrWhiteSpace(o.NotificationUrl) || Uri.TryCreate(o.NotificationUrl, UriKind.Absolute, out _), "Mail:NotificationUrl is an absolute URL.")
            .ValidateOnStart();
        var settings = options.Get<MailOptions>() ?? new MailOptions();
        return services
            .AddSqliteMigration(SqliteMailStore.Schema.Name, SqliteMailStore.Schema.Sql)
            .AddSingleton<SqliteMailStore>()
            .AddGraphMailbox()
            .AddScheduledJob<RenewMailSubscriptions>(RenewMailSubscriptions.FunctionName, TimeSpan.FromSeconds(Math.Max(1, settings.CatchUpIntervalSeconds)));
    }

    public static RouteGroupBuilder MapMailEndpoints(this RouteGroupBuilder api)
    {
        var graph = api.MapGroup("/graph").WithTags("mail").AllowAnonymous();
        graph.MapPost("/notifications", GraphWebhooks.NotificationsAsync).WithName("GraphNotifications");
        graph.MapPost("/lifecycle", GraphWebhooks.LifecycleAsync).WithName("GraphLifecycle");
        return api;
    }
}
