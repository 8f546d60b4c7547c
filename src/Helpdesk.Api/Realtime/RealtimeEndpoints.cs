using Helpdesk.Api.Auth;
using Helpdesk.Api.Common;
using Helpdesk.Api.Events;
using Helpdesk.Api.Portal;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Realtime;

/// <summary>Where pushes go.</summary>
public enum RealtimeService
{
    /// <summary>The app's own SignalR hub (standalone, one process).</summary>
    Hub,

    /// <summary>Azure SignalR Service in serverless mode, through the Functions host's bindings.</summary>
    AzureSignalR,
}

/// <summary>Push settings (configuration section <c>Realtime</c>).</summary>
public sealed class RealtimeOptions
{
    public const string Section = "Realtime";

    public RealtimeService Service { get; set; } = RealtimeService.Hub;

    /// <summary>How long a hub token from negotiate lets its holder connect.</summary>
    public int TokenMinutes { get; set; } = 15;

    /// <summary>A connection's typing indicator is relayed at most once in this many seconds.</summary>
    public int TypingIntervalSeconds { get; set; } = 2;
}

/// <summary>The connection info of <c>POST /api/realtime/negotiate</c>: where to connect and the token to connect with (the shape of Azure's <c>signalRConnectionInfo</c> binding).</summary>
public sealed record RealtimeConnectionInfo(string Url, string AccessToken);

/// <summary>The SignalR user ids of the Azure push: a customer is their contact, staff share one group.</summary>
public static class RealtimeUsers
{
    public const string StaffGroup = "staff";

    private const string StaffPrefix = "staff:";

    public static string Contact(string contactId) => "contact:" + contactId;

    public static string Staff(string subject) => StaffPrefix + subject;

    /// <summary>Whether a user id is a staff member's (RealtimeConnect makes them only for validated staff tokens).</summary>
    public static bool IsStaff(string userId) => userId.StartsWith(StaffPrefix, StringComparison.Ordinal) && userId.Length > StaffPrefix.Length;

    /// <summary>The user id of a caller: staff by their token's subject, a customer by their contact; null for anyone else.</summary>
    public static string? For(CurrentUser user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return user.IsStaff ? Staff(user.Subject)
            : user.Roles.Contains(Roles.Customer) && user.ContactId is { Length: > 0 } contactId ? Contact(contactId)
            : null;
    }
}

/// <summary>
/// The push channel (issue 24, docs/adr/0011-chat-push.md): <c>POST /api/realtime/negotiate</c>
/// tells a signed-in caller where to connect; standalone that is the hub at
/// <see cref="ChatHub.Path"/> with a short-lived token of its own, on Azure the
/// <c>RealtimeConnect</c> function (<see cref="AzureNegotiate"/>), which answers Azure SignalR
/// Service's connection info. Either way a SignalR client given <c>/api/realtime</c> as its URL
/// follows the redirects by itself.
/// </summary>
public static class RealtimeEndpoints
{
    public static IServiceCollection AddRealtime(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<RealtimeOptions>().Bind(configuration.GetSection(RealtimeOptions.Section))
            .Validate(o => o.TokenMinutes is >= 1 and <= 60, "Realtime:TokenMinutes is from 1 to 60.")
            .Validate(o => o.TypingIntervalSeconds is >= 0 and <= 60, "Realtime:TypingIntervalSeconds is from 0 to 60.")
            .ValidateOnStart();
        services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, RealtimeTokenHandler>(RealtimeTokens.Scheme, _ => { });
        services.AddSignalR().AddJsonProtocol(o =>
            o.PayloadSerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.CamelCase, allowIntegerValues: false)));
        return services
            .AddSingleton<RealtimeTokens>()
            .AddSingleton<TypingThrottle>()
            .AddQueueConsumer<PushChat>(PushChat.Queue, PushChat.FunctionName, "chat.push", ChatPushes.Accepts);
    }

    public static RouteGroupBuilder MapRealtimeEndpoints(this RouteGroupBuilder api)
    {
        api.MapGroup("/realtime").WithTags("realtime")
            .MapPost("/negotiate", NegotiateAsync).WithName("NegotiateRealtime")
            .WithSummary("Where the caller connects for pushes (SignalR), with the token to connect with")
            .ProducesProblems(StatusCodes.Status403Forbidden);
        return api;
    }

    /// <summary>The standalone hub, which authenticates with negotiate's tokens only.</summary>
    public static IEndpointRouteBuilder MapRealtimeHub(this IEndpointRouteBuilder app)
    {
        app.MapHub<ChatHub>(ChatHub.Path).ExcludeFromDescription();
        app.MapAzureNegotiate();
        app.MapAzureTyping();
        return app;
    }

    private static async Task<Results<Ok<RealtimeConnectionInfo>, ApiProblem>> NegotiateAsync(HttpRequest http, CurrentUser user, PortalAccess portal, RealtimeTokens tokens, IOptions<RealtimeOptions> options, CancellationToken cancellationToken)
    {
        if (RealtimeUsers.For(user) is not { } userId || (!user.IsStaff && await portal.ContactAsync(cancellationToken) is null))
        {
            return new ApiProblem(Problems.Create(StatusCodes.Status403Forbidden, ProblemTypes.Rule("no-push-channel"), "No push channel for this caller.", "Pushes are for staff and for customers whose token names an active contact."));
        }

        var origin = $"{http.Scheme}://{http.Host}{http.PathBase}";
        return options.Value.Service == RealtimeService.AzureSignalR
            ? TypedResults.Ok(new RealtimeConnectionInfo($"{origin}{AzureNegotiate.Route}?user={Uri.EscapeDataString(userId)}", AzureNegotiate.BearerToken(http.Headers.Authorization.ToString())))
            : TypedResults.Ok(new RealtimeConnectionInfo(origin + ChatHub.Path, tokens.Issue(user)));
    }
}
