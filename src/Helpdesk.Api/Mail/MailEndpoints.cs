using Helpdesk.Api.Auth;
using Helpdesk.Api.Common;
using Helpdesk.Api.Conversation;
using Helpdesk.Api.Events;
using Helpdesk.Api.Tickets;
using Helpdesk.Api.Storage;
using Helpdesk.Api.Storage.Sqlite;
using Helpdesk.Api.Triggers;
using Microsoft.AspNetCore.Http.HttpResults;

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
            .Validate(o => o.MaxAttempts >= 1 && o.IngestBatchSize >= 1 && o.MaxMailsPerSender >= 1, "Mail:MaxAttempts, IngestBatchSize and MaxMailsPerSender are at least 1.")
            .Validate(o => o.Smtp.Port is > 0 and < 65536, "Mail:Smtp:Port is a TCP port.")
            .Validate(o => o.Outbound.CoalesceSeconds >= 0 && o.Outbound.MessagesPerMinute >= 1 && o.Outbound.ConcurrentSends is >= 1 and <= 4 && o.Outbound.MaxAttempts >= 1, "Mail:Outbound: CoalesceSeconds ≥ 0, MessagesPerMinute ≥ 1, ConcurrentSends 1 to 4 (Graph's limit), MaxAttempts ≥ 1.")
            .ValidateOnStart();
        services.AddHealthChecks().AddCheck<SubscriptionHealthCheck>("graph-subscriptions", tags: [HealthTags.Ready]);
        var settings = options.Get<MailOptions>() ?? new MailOptions();
        if (settings.Mailboxes.Count > 0)
        {
            // With a support mailbox, email is queued and leaves through Graph (Notifications keeps the pickup folder otherwise).
            services.AddSingleton<IEmailSender>(sp => sp.GetRequiredService<OutboundMailQueue>());
        }
        else if (!string.IsNullOrWhiteSpace(settings.Smtp.Host))
        {
            // Local development: mail goes to an SMTP server such as maildev.
            services.AddSingleton<IEmailSender, SmtpEmailSender>();
        }

        return services
            .AddSqliteMigration(SqliteMailStore.Schema.Name, SqliteMailStore.Schema.Sql)
            .AddSqliteMigration(SqliteMailStore.SecretSchema.Name, SqliteMailStore.SecretSchema.Sql)
            .AddSingleton<SqliteMailStore>()
            .AddCosmosSingleton<CosmosMailStore>()
            .AddSingleton(StoreSelection.Registered<IMailSubscriptions, SqliteMailStore, CosmosMailStore>())
            .AddSingleton(StoreSelection.Registered<IMailJournal, SqliteMailStore, CosmosMailStore>())
            .AddSingleton(StoreSelection.Registered<IMailThreadIds, SqliteMailStore, CosmosMailStore>())
            .AddSingleton<IMessageSubjects>(sp => sp.GetRequiredService<IMailThreadIds>())
            .AddSingleton<ISqliteMessageFollower, SqliteMailFollower>()
            .AddSingleton<ICosmosMessageFollower>(sp => ActivatorUtilities.CreateInstance<CosmosMailFollower>(sp))
            .AddSingleton<ReplyTokens>()
            .AddSingleton<ITelemetrySample, SubscriptionGauge>()
            .AddSqliteMigration(SqliteOutboundMailStore.Schema.Name, SqliteOutboundMailStore.Schema.Sql)
            .AddSqliteMigration(SqliteOutboundMailStore.HandoffSchema.Name, SqliteOutboundMailStore.HandoffSchema.Sql)
            .AddSqliteMigration(SqliteMailStore.ClaimsSchema.Name, SqliteMailStore.ClaimsSchema.Sql)
            .AddSqliteMigration(SqliteMailStore.TakingSchema.Name, SqliteMailStore.TakingSchema.Sql)
            .AddSqliteMigration(SqliteMailStore.LeasesSchema.Name, SqliteMailStore.LeasesSchema.Sql)
            .AddStaleClaims<IMailJournal>()
            .AddStaleClaims<IOutboundMailStore>()
            .AddSingleton(StoreSelection.Of<IOutboundMailStore, SqliteOutboundMailStore, CosmosOutboundMailStore>())
            .AddSingleton<OutboundMail>()
            .AddSingleton<OutboundMailQueue>()
            .AddQueueConsumer<SendPrivateMessage>(SendPrivateMessage.Queue, SendPrivateMessage.FunctionName, "message.private.send", SendPrivateMessage.Accepts)
            .AddSingleton<GraphEmailSender>()
            .AddGraphMailbox()
            .AddScoped<MailThreading>()
            .AddScheduledJob<RenewMailSubscriptions>(RenewMailSubscriptions.FunctionName, TimeSpan.FromSeconds(Math.Max(1, settings.CatchUpIntervalSeconds)))
            .AddScoped<MailRules>()
            .AddSingleton<MailConversationLocks>()
            .AddScoped<MailIntake>()
            .AddScoped<MailTicketWriter>()
            .AddScheduledJob<IngestMail>(IngestMail.FunctionName, TimeSpan.FromSeconds(Math.Max(1, settings.IngestIntervalSeconds)))
            .AddScheduledJob<SendMail>(SendMail.FunctionName, TimeSpan.FromSeconds(Math.Max(1, settings.Outbound.IntervalSeconds)));
    }

    public static RouteGroupBuilder MapMailEndpoints(this RouteGroupBuilder api)
    {
        var graph = api.MapGroup("/graph").WithTags("mail").AllowAnonymous().RequireRateLimiting(RateLimitPolicies.AnonymousLinks);
        graph.MapPost("/notifications", GraphWebhooks.NotificationsAsync).WithName("ReceiveGraphNotifications")
            .Produces(StatusCodes.Status202Accepted).Produces<string>(StatusCodes.Status200OK, "text/plain")
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized);
        graph.MapPost("/lifecycle", GraphWebhooks.LifecycleAsync).WithName("ReceiveGraphLifecycleEvents")
            .Produces(StatusCodes.Status202Accepted).Produces<string>(StatusCodes.Status200OK, "text/plain")
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized);

        var mail = api.MapGroup("/mail").WithTags("mail");
        mail.MapGet("/quarantine", (IMailJournal store, int? limit, string? cursor, CancellationToken ct) => ListAsync(store, InboundStates.Quarantined, limit, cursor, ct))
            .RequireAuthorization(Policies.Supervisor).WithName("ListQuarantinedMail")
            .WithSummary("The mails the firewall held back, newest first")
            .ProducesProblems(StatusCodes.Status400BadRequest);
        mail.MapPost("/quarantine/{id:long}/release", (long id, IMailJournal store, TimeProvider clock, CancellationToken ct) => MoveAsync(store, id, InboundStates.Quarantined, InboundStates.Pending, clock, ct))
            .RequireAuthorization(Policies.Supervisor).WithName("ReleaseQuarantinedMail")
            .WithSummary("Sends a quarantined mail back to ingestion")
            .ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
        mail.MapPost("/quarantine/{id:long}/drop", (long id, IMailJournal store, TimeProvider clock, CancellationToken ct) => MoveAsync(store, id, InboundStates.Quarantined, InboundStates.Dropped, clock, ct))
            .RequireAuthorization(Policies.Supervisor).WithName("DropQuarantinedMail")
            .WithSummary("Drops a quarantined mail for good")
            .ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
        mail.MapGet("/dead-letters", (IMailJournal store, int? limit, string? cursor, CancellationToken ct) => ListAsync(store, InboundStates.Dead, limit, cursor, ct))
            .RequireAuthorization(Policies.Admin).WithName("ListDeadLetterMail")
            .WithSummary("The mails whose ingestion failed every attempt, newest first")
            .ProducesProblems(StatusCodes.Status400BadRequest);
        mail.MapPost("/dead-letters/{id:long}/redrive", (long id, IMailJournal store, TimeProvider clock, CancellationToken ct) => MoveAsync(store, id, InboundStates.Dead, InboundStates.Pending, clock, ct))
            .RequireAuthorization(Policies.Admin).WithName("RedriveDeadLetterMail")
            .WithSummary("Sends a dead-lettered mail back to ingestion with fresh attempts")
            .ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
        mail.MapGet("/inbound/{id:long}", GetAsync)
            .RequireAuthorization(Policies.Staff).WithName("GetInboundMail")
            .WithSummary("One inbound mail: its state, sender, subject and the ticket it went to")
            .ProducesProblems(StatusCodes.Status404NotFound);
        mail.MapGet("/mailboxes/{mailbox}/rules", MailRuleEndpoints.GetAsync).RequireAuthorization(Policies.Admin).WithName("GetMailCollectorRules")
            .WithSummary("A support mailbox's collector rules, in the order they are tried, with their ETag")
            .ProducesProblems(StatusCodes.Status404NotFound);
        mail.MapPut("/mailboxes/{mailbox}/rules", MailRuleEndpoints.PutAsync).RequireAuthorization(Policies.Admin).Validate<MailRuleSetRequest>().WithName("UpdateMailCollectorRules")
            .WithSummary("Replaces a support mailbox's collector rules (If-Match required)")
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status412PreconditionFailed, StatusCodes.Status428PreconditionRequired);
        return api;
    }

    private static async Task<Results<Ok<InboundMailView>, ApiProblem>> GetAsync(long id, IMailJournal store, CancellationToken cancellationToken) =>
        await store.FindAsync(id, cancellationToken) is { } found ? TypedResults.Ok(found) : new ApiProblem(Problems.Missing("inbound mail"));

    private static async Task<Results<Ok<Page<InboundMailView>>, ApiProblem>> ListAsync(IMailJournal store, string state, int? limit, string? cursor, CancellationToken cancellationToken)
    {
        if (Paging.LimitProblem(limit) is { } refused)
        {
            return new ApiProblem(refused);
        }

        var size = limit ?? Paging.DefaultLimit;
        var items = await store.ListAsync(state, size + 1, cursor is null ? null : Paging.DecodeKey(cursor), cancellationToken);
        var page = items.Take(size).ToList();
        return TypedResults.Ok(new Page<InboundMailView>(page, items.Count > size ? Paging.EncodeKey(page[^1].Id) : null));
    }

    /// <summary>Release or re-drive (back to pending, attempts reset) or drop; 409 when the mail is not in that state.</summary>
    private static async Task<Results<Ok<InboundMailView>, ApiProblem>> MoveAsync(IMailJournal store, long id, string from, string to, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (await store.FindAsync(id, cancellationToken) is not { } mail)
        {
            return new ApiProblem(Problems.Missing("inbound mail"));
        }

        if (!await store.MoveAsync(id, from, to, clock.GetUtcNow(), cancellationToken))
        {
            return new ApiProblem(Problems.Create(StatusCodes.Status409Conflict, ProblemTypes.Rule("mail-state"), $"The mail is {mail.State}, not {from}.", null));
        }

        return TypedResults.Ok(await store.FindAsync(id, cancellationToken) ?? mail);
    }
}
