using System.Security.Cryptography;
using FluentValidation;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Common;
using Helpdesk.Api.Events;
using Helpdesk.Api.Hosting;
using Helpdesk.Api.Storage;
using Helpdesk.Api.Triggers;

namespace Helpdesk.Api.Webhooks;

public sealed record CreateHookRequest(string? NotificationUrl, string? Event, WebhookFilters? Filters);

/// <summary>A subscription as the API shows it; <see cref="Secret"/> only in the answer to its creation.</summary>
public sealed record HookResponse(string Id, string NotificationUrl, string Event, WebhookFilters Filters, DateTimeOffset CreatedAt, string? Secret)
{
    public static HookResponse From(WebhookSubscription s, bool withSecret) =>
        new(s.Id, s.NotificationUrl, s.Event, s.Filters, s.CreatedAt, withSecret ? s.Secret : null);
}

internal sealed class CreateHookValidator : AbstractValidator<CreateHookRequest>
{
    private static readonly string[] Priorities = ["urgent", "high", "normal", "low"];

    public CreateHookValidator()
    {
        RuleFor(r => r.NotificationUrl).NotEmpty().MaximumLength(2000)
            .Must(u => Uri.TryCreate(u, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps && string.IsNullOrEmpty(uri.UserInfo))
            .WithMessage("An absolute https URL without credentials.");
        RuleFor(r => r.Event).NotEmpty().Must(e => e is null || WebhookEvents.All.Contains(e))
            .WithMessage($"The event is one of: {string.Join(", ", WebhookEvents.All)}.");
        RuleFor(r => r.Filters!.Priority).Must(p => p is null || Priorities.Contains(p)).When(r => r.Filters is not null)
            .OverridePropertyName("filters.priority").WithMessage("The priority is urgent, high, normal or low.");
    }
}

/// <summary>
/// Webhook subscriptions for Power Automate flows (API.md): a flow subscribes with its callback
/// URL, gets 201 with the Location it DELETEs when the flow is removed, and receives signed POSTs.
/// </summary>
public static class WebhookEndpoints
{
    public static IServiceCollection AddWebhooks(this IServiceCollection services)
    {
        services.AddHttpClient(DeliverWebhooks.HttpClientName, c => c.Timeout = Timeout.InfiniteTimeSpan).AddWebhookResilience();
        services.AddOptions<WebhookRetentionOptions>().BindConfiguration(WebhookRetentionOptions.Section)
            .Validate(o => o.KeepDeliveredDays is >= 1 and <= 365 && o.KeepDeadDays is >= 1 and <= 365, "Webhooks:KeepDeliveredDays and Webhooks:KeepDeadDays are from 1 to 365.")
            .ValidateOnStart();
        return services
            .AddSingleton(SqliteWebhookStore.Migration)
            .AddSingleton(SqliteWebhookStore.RetentionIndex)
            .AddSingleton(StoreSelection.Of<IWebhookStore, SqliteWebhookStore, CosmosWebhookStore>())
            .AddQueueConsumer<DeliverWebhooks>(QueueNames.Webhooks, DeliverWebhooks.FunctionName, "webhook.deliver", WebhookEvents.Accepts, DeliverWebhooks.Policy)
            .AddScheduledJob<PurgeWebhookDeliveries>(PurgeWebhookDeliveries.FunctionName, TimeSpan.FromHours(1));
    }

    public static RouteGroupBuilder MapWebhookEndpoints(this RouteGroupBuilder api)
    {
        var hooks = api.MapGroup("/hooks").WithTags("hooks").RequireAuthorization(Policies.Staff);
        hooks.MapPost("/", CreateAsync).Validate<CreateHookRequest>().WithName("SubscribeWebhook")
            .Produces<HookResponse>(StatusCodes.Status201Created)
            .WithMetadata(new PowerAutomateTrigger(
                typeof(WebhookPayload),
                "notificationUrl",
                "event",
                WebhookEvents.All,
                "When a ticket event occurs",
                "Runs the flow when a ticket is created, updated or resolved, or breaches its SLA; the optional filters narrow it to a team, an assignee, a priority or an account."));
        hooks.MapGet("/{id}", GetAsync).WithName("GetWebhook").Produces<HookResponse>();
        hooks.MapDelete("/{id}", DeleteAsync).WithName("UnsubscribeWebhook").Produces(StatusCodes.Status204NoContent);
        return api;
    }

    private static async Task<IResult> CreateAsync(CreateHookRequest request, IWebhookStore store, Caller caller, TimeProvider clock, CancellationToken cancellationToken)
    {
        var subscription = new WebhookSubscription(
            Ids.New("hook", clock),
            request.NotificationUrl!,
            request.Event!,
            request.Filters ?? new WebhookFilters(),
            Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            caller.User.Email ?? caller.User.Subject,
            clock.GetUtcNow());
        await store.CreateAsync(subscription, cancellationToken);
        return TypedResults.Created($"/api/hooks/{subscription.Id}", HookResponse.From(subscription, withSecret: true));
    }

    private static async Task<IResult> GetAsync(string id, IWebhookStore store, CancellationToken cancellationToken) =>
        await store.FindAsync(id, cancellationToken) is { } hook ? TypedResults.Ok(HookResponse.From(hook, withSecret: false)) : Problems.NotFound("hook");

    private static async Task<IResult> DeleteAsync(string id, IWebhookStore store, CancellationToken cancellationToken) =>
        await store.DeleteAsync(id, cancellationToken) ? TypedResults.NoContent() : Problems.NotFound("hook");
}
