using System.Globalization;

namespace Helpdesk.Api.Hosting;

/// <summary>
/// Under Azure Functions the host starts this executable as a custom handler and names the port
/// in FUNCTIONS_CUSTOMHANDLER_PORT; the server must listen on 127.0.0.1 there and nowhere else.
/// </summary>
public static class CustomHandler
{
    public const string PortVariable = "FUNCTIONS_CUSTOMHANDLER_PORT";

    public static WebApplicationBuilder ListenForFunctionsHost(this WebApplicationBuilder builder)
    {
        var port = Environment.GetEnvironmentVariable(PortVariable);
        if (string.IsNullOrEmpty(port))
        {
            return builder;
        }

        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number is < 1 or > 65535)
        {
            throw new InvalidOperationException($"{PortVariable} is '{port}', not a TCP port.");
        }

        builder.WebHost.UseUrls(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{number}"));
        return builder;
    }
}
