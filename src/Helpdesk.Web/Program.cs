using Helpdesk.Web.Api;
using Helpdesk.Web.Auth;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.AspNetCore.Components.WebAssembly.Hosting;
using Microsoft.FluentUI.AspNetCore.Components;

namespace Helpdesk.Web;

internal static class Program
{
    public static async Task Main(string[] args)
    {
        var builder = WebAssemblyHostBuilder.CreateDefault(args);
        builder.RootComponents.Add<App>("#app");
        builder.RootComponents.Add<HeadOutlet>("head::after");

        builder.Services.AddFluentUIComponents();
        builder.Services.AddLocalization();
        builder.Services.AddConsoleSignIn(builder.Configuration);
        builder.Services.AddHelpdeskApiClient(builder.Configuration, builder.HostEnvironment);

        await builder.Build().RunAsync();
    }
}
