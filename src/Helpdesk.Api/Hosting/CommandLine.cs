using System.Globalization;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Demo;
using Helpdesk.Api.Storage;

namespace Helpdesk.Api.Hosting;

/// <summary>
/// The commands besides serving: <c>token</c> (a development bearer token) and <c>seed --demo</c>.
/// They run against the same configuration and store as the server.
/// </summary>
public static class CommandLine
{
    public static bool IsCommand(string[] args) => args.Length > 0 && args[0] is "token" or "seed";

    public static async Task<int> RunAsync(WebApplication app, string[] args)
    {
        var output = Console.Out;
        var error = Console.Error;
        switch (args[0])
        {
            case "token":
                return Token(app, args, output, error);
            case "seed" when args.Contains("--demo"):
                using (var scope = app.Services.CreateScope())
                {
                    var seeded = await scope.ServiceProvider.GetRequiredService<DemoSeeder>().SeedAsync(CancellationToken.None);
                    await output.WriteLineAsync(seeded ? $"Loaded the demo: {DemoSeeder.TicketCount} tickets." : "The directory is not empty: nothing loaded.");
                }

                return 0;
            default:
                await error.WriteLineAsync("Usage: token --user <email> --role <agent|supervisor|admin|customer> [--contact <id>] [--hours <n>] | seed --demo");
                return 2;
        }
    }

    private static int Token(WebApplication app, string[] args, TextWriter output, TextWriter error)
    {
        var user = Option(args, "--user");
        var role = Option(args, "--role");
        var contact = Option(args, "--contact");
        var hours = Option(args, "--hours") is { } h ? double.Parse(h, CultureInfo.InvariantCulture) : 8;
        if (user is null || role is null || !Roles.All.Contains(role))
        {
            error.WriteLine("Usage: token --user <email> --role <agent|supervisor|admin|customer> [--contact <id>] [--hours <n>]");
            return 2;
        }

        if (role == Roles.Customer && contact is null)
        {
            error.WriteLine("A customer token needs --contact <contact id>.");
            return 2;
        }

        var auth = app.Configuration.GetSection(AuthOptions.Section).Get<AuthOptions>() ?? new AuthOptions();
        var storage = app.Configuration.GetSection(StorageOptions.Section).Get<StorageOptions>() ?? new StorageOptions();
        var key = DevelopmentTokens.LoadKey(auth, storage.ResolvedDataFolder);
        if (key is null)
        {
            error.WriteLine("No development signing key is configured (Auth:DevelopmentSigningKey); tokens come from Entra ID here.");
            return 2;
        }

        output.WriteLine(DevelopmentTokens.Create(key, user, role, contact, TimeProvider.System.GetUtcNow(), TimeSpan.FromHours(hours)));
        return 0;
    }

    private static string? Option(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }
}
