using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Tests.Cosmos;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.Tokens;

namespace Helpdesk.Api.Tests.Infrastructure;

/// <summary>
/// The real app over HTTP, on a SQLite file in its own temp folder, with a fake clock and the
/// development token key. Each instance is a separate helpdesk; dispose deletes its data.
/// </summary>
public class HelpdeskApp : WebApplicationFactory<Program>
{
    public const string SigningKey = "dGVzdC1zaWduaW5nLWtleS10aGF0LWlzLWxvbmctZW5vdWdoLTEyMzQ1Njc4";

    private readonly Dictionary<string, string?> _settings = new(StringComparer.Ordinal);
    private readonly List<Action<IServiceCollection>> _testServices = [];
    private bool _onCosmos;

    public HelpdeskApp()
        : this(new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero))
    {
    }

    /// <summary>Not public: xUnit builds a class fixture only from a type with one public constructor.</summary>
    protected HelpdeskApp(DateTimeOffset now)
    {
        DataFolder = Path.Combine(Path.GetTempPath(), "helpdesk-tests", Guid.NewGuid().ToString("N"));
        Clock = new FakeTimeProvider(now);
    }

    /// <summary>A helpdesk whose clock starts at <paramref name="now"/> (it only moves forward).</summary>
    public static HelpdeskApp StartingAt(DateTimeOffset now) => new(now);

    public string DataFolder { get; }

    /// <summary>
    /// <c>HELPDESK_TEST_STORE=cosmos</c> runs the app on the Cosmos DB test server (one database
    /// per app) instead of SQLite; scripts/test.sh runs the foundation's HTTP tests both ways.
    /// </summary>
    public string CosmosDatabase => $"http-{Path.GetFileName(DataFolder)}";

    public static bool OnCosmos { get; } = string.Equals(Environment.GetEnvironmentVariable("HELPDESK_TEST_STORE"), "cosmos", StringComparison.OrdinalIgnoreCase);

    /// <summary>The app's clock; its timers fire only when the test advances it.</summary>
    public FakeTimeProvider Clock { get; }

    /// <summary>Overrides a configuration value; call before the first client is created.</summary>
    public HelpdeskApp With(string key, string? value)
    {
        _settings[key] = value;
        return this;
    }

    /// <summary>Adds or replaces services (test doubles, trusted test certificates); call before the first client is created.</summary>
    public HelpdeskApp WithServices(Action<IServiceCollection> configure)
    {
        _testServices.Add(configure);
        return this;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("Storage:DataFolder", DataFolder);
        builder.UseSetting("Auth:DevelopmentSigningKey", SigningKey);
        builder.UseSetting("Jobs:RunInProcess", "false");

        // The suite sends many requests quickly as a few users: limits its own tests do not meet
        // (the rate-limit tests set small ones).
        builder.UseSetting("RateLimits:PerUserPerMinute", "1000000");
        builder.UseSetting("RateLimits:PerAddressPerMinute", "1000000");
        builder.UseSetting("RateLimits:AnonymousLinksPerMinute", "1000000");
        if (OnCosmos)
        {
            var (server, client) = SharedCosmosServer.Get();
            _onCosmos = true;
            builder.UseSetting("Storage:Provider", "cosmos");
            builder.UseSetting("Storage:Cosmos:Endpoint", server.Endpoint.ToString());
            builder.UseSetting("Storage:Cosmos:Database", CosmosDatabase);
            builder.ConfigureTestServices(services => services.AddSingleton(client));
        }

        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureServices(services => services.AddSingleton<TimeProvider>(Clock));
        if (ServerErrorLog.Path is { } errorLog)
        {
            builder.ConfigureLogging(logging => logging.AddProvider(new ServerErrorLog(errorLog)));
        }

        builder.ConfigureTestServices(SqliteSchemaTemplate.Use);
        builder.ConfigureTestServices(services => _testServices.ForEach(configure => configure(services)));
    }

    /// <summary>A client calling with a development token for this user and role.</summary>
    public HttpClient ClientFor(string role, string user = "ada@helpdesk.test", string? contactId = null)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token(role, user, contactId));
        return client;
    }

    public static string Token(string role, string user, string? contactId = null, string key = SigningKey) =>
        DevelopmentTokens.Create(new SymmetricSecurityKey(Convert.FromBase64String(key)), user, role, contactId, TimeProvider.System.GetUtcNow(), TimeSpan.FromHours(1));

    public HttpClient Admin => ClientFor(Roles.Admin, "admin@helpdesk.test");

    /// <summary>Creates an agent in the directory (through the admin API) and returns a client calling as them.</summary>
    public async Task<(string Id, HttpClient Client)> AgentAsync(string email, string role = Roles.Agent, params string[] teamIds)
    {
        var created = await Admin.PostAsJsonAsync("/api/agents", new { email, name = email.Split('@')[0], teamIds, roles = new[] { role } });
        created.EnsureSuccessStatusCode();
        var id = (await created.Json())["id"]!.GetValue<string>();
        return (id, ClientFor(role, email));
    }

    public async Task<string> TeamAsync(string name)
    {
        var created = await Admin.PostAsJsonAsync("/api/teams", new { name });
        created.EnsureSuccessStatusCode();
        return (await created.Json())["id"]!.GetValue<string>();
    }

    public async Task<string> AccountAsync(string name, params string[] domains)
    {
        var created = await Admin.PostAsJsonAsync("/api/accounts", new { name, domains });
        created.EnsureSuccessStatusCode();
        return (await created.Json())["id"]!.GetValue<string>();
    }

    /// <summary>
    /// The events stored with a ticket's writes, oldest first: the outbox rows on SQLite; on
    /// Cosmos DB the events the relay already moved to the outbox, then those still in the
    /// ticket document.
    /// </summary>
    public async Task<IReadOnlyList<JsonNode>> StoredEventsAsync(string ticketId)
    {
        var events = File.Exists(Path.Combine(DataFolder, "helpdesk.db")) ? await OutboxAsync(ticketId) : [];
        if (_onCosmos)
        {
            using var read = await SharedCosmosServer.Get().Client.GetContainer(CosmosDatabase, "tickets").ReadItemStreamAsync(ticketId, new Microsoft.Azure.Cosmos.PartitionKey(ticketId));
            read.EnsureSuccessStatusCode();
            var document = (await JsonNode.ParseAsync(read.Content))!;
            var relayed = events.Select(e => e["id"]!.GetValue<string>()).ToHashSet(StringComparer.Ordinal);
            events.AddRange(document["events"]!.AsArray().Where(e => !relayed.Contains(e!["id"]!.GetValue<string>())).Select(e => e!.DeepClone()));
        }

        return events;
    }

    private async Task<List<JsonNode>> OutboxAsync(string ticketId)
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(DataFolder, "helpdesk.db")}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT doc FROM outbox WHERE ticket_id = $id ORDER BY seq";
        command.Parameters.AddWithValue("$id", ticketId);
        await using var reader = await command.ExecuteReaderAsync();
        var events = new List<JsonNode>();
        while (await reader.ReadAsync())
        {
            events.Add(JsonNode.Parse(reader.GetString(0))!);
        }

        return events;
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && _onCosmos)
        {
            using var deleted = SharedCosmosServer.Get().Client.GetDatabase(CosmosDatabase).DeleteStreamAsync().GetAwaiter().GetResult();
        }

        if (disposing && System.IO.Directory.Exists(DataFolder))
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            System.IO.Directory.Delete(DataFolder, recursive: true);
        }
    }
}

public static class HttpExtensions
{
    public static async Task<JsonNode> Json(this HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync()) ?? throw new InvalidOperationException("Empty body.");

    /// <summary>Opens a ticket as this client and returns its JSON.</summary>
    public static async Task<JsonNode> OpenTicketAsync(this HttpClient client, object? body = null)
    {
        var response = await client.PostAsJsonAsync("/api/tickets", body ?? new { subject = "Printer jams", requester = new { email = "alice@contoso.com", name = "Alice" } });
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Creating a ticket failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        return await response.Json();
    }

    public static Task<HttpResponseMessage> PatchJsonAsync(this HttpClient client, string url, object body, string? ifMatch)
    {
        var request = new HttpRequestMessage(HttpMethod.Patch, url)
        {
            Content = new StringContent(JsonSerializer.Serialize(body), System.Text.Encoding.UTF8, "application/merge-patch+json"),
        };
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        return client.SendAsync(request);
    }

    public static async Task ShouldBeProblem(this HttpResponseMessage response, int status, string? field = null)
    {
        var body = await response.Content.ReadAsStringAsync();
        ((int)response.StatusCode).ShouldBe(status, body);
        response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json", body);
        body.ShouldNotContain("   at ", Case.Sensitive, "no stack trace leaks");
        if (field is not null)
        {
            var errors = JsonNode.Parse(body)!["errors"]!.AsObject();
            errors.Select(e => e.Key).ShouldContain(field, body);
        }
    }
}
