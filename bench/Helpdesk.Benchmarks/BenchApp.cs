using System.Net.Http.Headers;
using Helpdesk.Api.Auth;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;

namespace Helpdesk.Benchmarks;

/// <summary>The real app in process over a data folder kept between runs, so a large data set loads once.</summary>
internal sealed class BenchApp : WebApplicationFactory<Program>
{
    private const string Key = "YmVuY2htYXJrLXNpZ25pbmcta2V5LXRoYXQtaXMtbG9uZy1lbm91Z2gtMTIzNDU=";
    private readonly string _dataFolder;
    private readonly TimeProvider? _clock;
    private readonly IReadOnlyDictionary<string, string?> _settings;
    private readonly Action<IServiceCollection>? _services;

    public BenchApp(string dataFolder, TimeProvider? clock = null, IReadOnlyDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        _dataFolder = dataFolder;
        _clock = clock;
        _settings = settings ?? new Dictionary<string, string?>();
        _services = services;

        // Outside a test project the factory cannot guess the app's content root; the build output holds its settings.
        Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_HELPDESK_API", AppContext.BaseDirectory);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Benchmark");
        builder.UseSetting("Storage:DataFolder", _dataFolder);
        builder.UseSetting("Auth:DevelopmentSigningKey", Key);
        builder.UseSetting("Jobs:RunInProcess", "false");
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        if (_clock is { } clock)
        {
            builder.ConfigureServices(services => services.AddSingleton(clock));
        }

        if (_services is { } configure)
        {
            builder.ConfigureTestServices(configure);
        }
    }

    public HttpClient ClientFor(string user, string role = Roles.Agent)
    {
        var client = CreateClient();
        var token = DevelopmentTokens.Create(new SymmetricSecurityKey(Convert.FromBase64String(Key)), user, role, null, TimeProvider.System.GetUtcNow(), TimeSpan.FromHours(12));
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }
}
