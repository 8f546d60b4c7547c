using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Helpdesk.Web.Tests.Api;

/// <summary>The API in memory, in the environment and with the settings a test names, on its own SQLite folder.</summary>
internal sealed class ApiHost(string environment, IReadOnlyDictionary<string, string?>? settings = null) : WebApplicationFactory<global::Program>
{
    private readonly string _dataFolder = Path.Combine(Path.GetTempPath(), "helpdesk-web-tests", Guid.NewGuid().ToString("N"));

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(environment);
        builder.UseSetting("Storage:DataFolder", _dataFolder);
        builder.UseSetting("Jobs:RunInProcess", "false");
        builder.UseSetting("Console:Root", Path.Combine(_dataFolder, "no-console"));
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            builder.UseSetting(key, value);
        }
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && Directory.Exists(_dataFolder))
        {
            Directory.Delete(_dataFolder, recursive: true);
        }
    }
}
