using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Helpdesk.Benchmarks;

/// <summary>
/// The floor the app is measured against, in the same run: Kestrel and minimal-API routing on the
/// app's routes, each answering a constant body (no auth, no store, no validation). <c>load</c> and
/// <c>startup</c> start it as a child process of this executable (the hidden command
/// <c>kestrel</c>) and drive it with the same requests as the app, so app/Kestrel is the app's own
/// cost. It runs with server GC, as the app does (the Web SDK's default), so their memory compares.
/// </summary>
internal static class BareKestrel
{
    public const string Command = "kestrel";

    public static async Task RunAsync(string[] args)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.Build();
        app.MapGet("/api/health", () => TypedResults.Ok(new { status = "healthy" }));
        app.MapGet("/api/tickets", () => TypedResults.Ok(new { items = Array.Empty<object>(), nextCursor = (string?)null }));
        app.MapGet("/api/tickets/{id}", (string id) => TypedResults.Ok(new { id }));
        app.MapPost("/api/tickets", () => TypedResults.Created("/api/tickets/t_bare", new { id = "t_bare" }));
        app.MapPost("/api/tickets/{id}/messages", (string id) => TypedResults.Created($"/api/tickets/{id}/messages/msg_bare", new { id = "msg_bare", ticketId = id }));
        await app.RunAsync();
    }

    public static ServerProcess Start()
    {
        // Run as `dotnet Helpdesk.Benchmarks.dll`, the process is the dotnet host and needs the assembly named.
        var host = Environment.ProcessPath ?? throw new InvalidOperationException("The benchmark's own executable is unknown.");
        string[] arguments = Path.GetFileNameWithoutExtension(host) == "dotnet" ? [typeof(BareKestrel).Assembly.Location, Command] : [Command];
        return ServerProcess.Start("bare Kestrel", host, arguments, AppContext.BaseDirectory, new Dictionary<string, string> { ["DOTNET_gcServer"] = "1" });
    }
}
