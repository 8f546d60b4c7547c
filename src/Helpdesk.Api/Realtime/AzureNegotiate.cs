using System.Text.Json;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Portal;
using Helpdesk.Api.Triggers;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;

namespace Helpdesk.Api.Realtime;

/// <summary>
/// The second step of negotiating on Azure: the <c>RealtimeConnect</c> function (HTTP trigger
/// <c>realtime/connect/negotiate</c>) whose <c>signalRConnectionInfo</c> input binding has made
/// Azure SignalR Service's connection info for the user named in the query (<c>user</c>, from the
/// first step). A binding cannot check who asks, so this handler does: it validates the caller's
/// bearer token as every API route does and hands the connection info over only when the token's
/// user is the one it was made for (401 otherwise, and the info is dropped). Staff are added to
/// the <c>staff</c> group through the <c>signalR</c> output binding.
/// </summary>
public static class AzureNegotiate
{
    public const string FunctionName = "RealtimeConnect";
    public const string Route = "/api/realtime/connect";
    public const string RequestBinding = "req";
    public const string ConnectionInfoBinding = "connectionInfo";
    public const string ResponseBinding = "res";
    public const string GroupActionsBinding = "signalRGroupActions";

    /// <summary>The token of an <c>Authorization: Bearer</c> header, or an empty string.</summary>
    public static string BearerToken(string? header) =>
        header is not null && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : string.Empty;

    public static IEndpointRouteBuilder MapAzureNegotiate(this IEndpointRouteBuilder app)
    {
        app.MapPost($"/{FunctionName}", ConnectAsync)
            .AddEndpointFilter<TriggerEndpoints.LocalCallersOnly>()
            .AllowAnonymous()
            .ExcludeFromDescription();
        return app;
    }

    private static async Task<IResult> ConnectAsync(InvocationRequest envelope, HttpContext http, CancellationToken cancellationToken)
    {
        var request = envelope.Binding(RequestBinding);
        var info = envelope.Binding(ConnectionInfoBinding);
        var user = await CallerAsync(http.RequestServices, Header(request, "Authorization"), cancellationToken);
        var asked = Value(request, "Query", "user");
        if (user is null || info is not { ValueKind: JsonValueKind.Object } connection || asked is null || RealtimeUsers.For(user) != asked)
        {
            var refused = new Dictionary<string, object?>(StringComparer.Ordinal) { [ResponseBinding] = Response(StatusCodes.Status401Unauthorized, "{\"title\":\"Negotiate again with a valid token.\",\"status\":401}") };
            return Results.Json(new InvocationResult(refused, ["Realtime connect refused: the caller's token does not name the user asked for."], null));
        }

        var outputs = new Dictionary<string, object?>(StringComparer.Ordinal) { [ResponseBinding] = Response(StatusCodes.Status200OK, connection.GetRawText()) };
        if (user.IsStaff)
        {
            outputs[GroupActionsBinding] = new[] { new { userId = asked, groupName = RealtimeUsers.StaffGroup, action = "add" } };
        }

        return Results.Json(new InvocationResult(outputs, [$"Realtime connection info for {asked}."], null));
    }

    /// <summary>The caller of a bearer header as the API would see them (the JWT bearer scheme), with an active contact for a customer; null when refused.</summary>
    private static async Task<CurrentUser?> CallerAsync(IServiceProvider services, string? authorization, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(BearerToken(authorization)))
        {
            return null;
        }

        // A scope of its own: the request's scope already holds a bearer handler bound to the host's request.
        await using var scope = services.GetRequiredService<IServiceScopeFactory>().CreateAsyncScope();
        var probe = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        probe.Request.Headers.Authorization = authorization;
        var result = await probe.AuthenticateAsync(JwtBearerDefaults.AuthenticationScheme);
        if (!result.Succeeded)
        {
            return null;
        }

        var user = CurrentUser.From(result.Principal);
        return user.IsStaff || await ActivatorUtilities.CreateInstance<PortalAccess>(scope.ServiceProvider, user).ContactAsync(cancellationToken) is not null ? user : null;
    }

    private static object Response(int status, string body) =>
        new { statusCode = status, body, headers = new Dictionary<string, string>(StringComparer.Ordinal) { ["Content-Type"] = "application/json" } };

    /// <summary>A header of the envelope's HTTP request (the host sends each as an array of values, or a string).</summary>
    private static string? Header(JsonElement? request, string name) => Value(request, "Headers", name);

    private static string? Value(JsonElement? request, string section, string name)
    {
        if (request is not { ValueKind: JsonValueKind.Object } req || !req.TryGetProperty(section, out var values) || values.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        foreach (var property in values.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return property.Value.ValueKind switch
                {
                    JsonValueKind.String => property.Value.GetString(),
                    JsonValueKind.Array when property.Value.GetArrayLength() > 0 && property.Value[0].ValueKind == JsonValueKind.String => property.Value[0].GetString(),
                    _ => null,
                };
            }
        }

        return null;
    }
}
