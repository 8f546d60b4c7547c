using System.Diagnostics;
using Helpdesk.Api.Storage.Cosmos;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Azure.Cosmos;

namespace Helpdesk.Api.Tests.Cosmos;

/// <summary>
/// The Cosmos DB test server of tools/cosmos-test-server (the npm package plus the project's
/// compatibility layer), installed from its lock file when missing, started once for the test
/// collection on 127.0.0.1 with a freshly generated certificate, and stopped at the end. The
/// server also exits by itself when its standard input closes, so a killed test run leaves no
/// process behind.
/// </summary>
public sealed class CosmosTestServer : IAsyncLifetime
{
    /// <summary>Any base64 key: the test server checks none.</summary>
    public const string Key = "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly string _certFolder = Path.Combine(Path.GetTempPath(), "helpdesk-cosmos-cert", Guid.NewGuid().ToString("N"));
    private Process? _server;
    private X509Certificate2? _certificate;

    public Uri Endpoint { get; private set; } = null!;

    public static string ServerFolder { get; } = FindServerFolder();

    public async Task InitializeAsync()
    {
        await NpmInstall.EnsureAsync(ServerFolder, "@vercel/cosmosdb-server");
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = ServerFolder,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "server.js", "--port", "0", "--cert-dir", _certFolder })
        {
            start.ArgumentList.Add(argument);
        }

        _server = Process.Start(start) ?? throw new InvalidOperationException("node could not be started.");
        var errors = _server.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(StartTimeout);
        string? line;
        try
        {
            line = await _server.StandardOutput.ReadLineAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            line = null;
        }

        const string prefix = "COSMOS_ENDPOINT=";
        if (line is null || !line.StartsWith(prefix, StringComparison.Ordinal))
        {
            await StopAsync();
            throw new InvalidOperationException($"The Cosmos test server did not start: {line} {await errors}");
        }

        Endpoint = new Uri(line[prefix.Length..]);
        _certificate = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(Path.Combine(_certFolder, "cosmos-test-server.pem")));
    }

    /// <summary>
    /// A client as the tests use it: Gateway mode, only the given endpoint, and trust for exactly
    /// the certificate this server generated (compared by thumbprint, never "accept anything").
    /// The request timeout is a minute instead of the SDK's 6 s: one node process serves every
    /// test app of a run on a 2-core CI machine, where a slow answer is not a lost one (lost
    /// answers have tests of their own, CosmosLostAnswerTests; production keeps the SDK's timeout).
    /// <paramref name="handlers"/> see every request before the SDK's own pipeline (tests use
    /// them to lose answers on the way back).
    /// </summary>
    public CosmosClient CreateClient(CosmosSerializer serializer, params RequestHandler[] handlers)
    {
        var thumbprint = _certificate!.Thumbprint;
        var options = new CosmosClientOptions
        {
            ConnectionMode = ConnectionMode.Gateway,
            LimitToEndpoint = true,
            RequestTimeout = TimeSpan.FromMinutes(1),
            Serializer = serializer,
            HttpClientFactory = () => new HttpClient(new SocketsHttpHandler
            {
                SslOptions = { RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is not null && string.Equals(certificate.GetCertHashString(), thumbprint, StringComparison.OrdinalIgnoreCase) },
                PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            }),
        };
        foreach (var handler in handlers)
        {
            options.CustomHandlers.Add(handler);
        }

        return new CosmosClient(Endpoint.ToString(), Key, options);
    }

    public async Task DisposeAsync()
    {
        await StopAsync();
        _certificate?.Dispose();
        if (System.IO.Directory.Exists(_certFolder))
        {
            System.IO.Directory.Delete(_certFolder, recursive: true);
        }
    }

    private async Task StopAsync()
    {
        if (_server is null)
        {
            return;
        }

        if (!_server.HasExited)
        {
            _server.StandardInput.Close();
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _server.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                _server.Kill(entireProcessTree: true);
            }
        }

        _server.Dispose();
        _server = null;
    }

    private static string FindServerFolder()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            var candidate = Path.Combine(folder.FullName, "tools", "cosmos-test-server");
            if (File.Exists(Path.Combine(candidate, "package-lock.json")))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("tools/cosmos-test-server was not found above the test binaries.");
    }
}

/// <summary>
/// Runs <c>npm ci</c> once for a tools/ folder whose package is not installed yet; a file lock
/// keeps parallel test runs from installing twice.
/// </summary>
internal static class NpmInstall
{
    public static async Task EnsureAsync(string folder, string package)
    {
        var marker = Path.Combine(folder, "node_modules", package, "package.json");
        if (File.Exists(marker))
        {
            return;
        }

        await using var gate = await LockAsync(Path.Combine(Path.GetTempPath(), $"helpdesk-npm-{Path.GetFileName(folder)}.lock"));
        if (File.Exists(marker))
        {
            return;
        }

        var start = new ProcessStartInfo("npm")
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "ci", "--no-audit", "--no-fund" })
        {
            start.ArgumentList.Add(argument);
        }

        using var npm = Process.Start(start) ?? throw new InvalidOperationException("npm could not be started.");
        var output = npm.StandardOutput.ReadToEndAsync();
        var errors = npm.StandardError.ReadToEndAsync();
        await npm.WaitForExitAsync();
        if (npm.ExitCode != 0)
        {
            throw new InvalidOperationException($"npm ci failed in {folder} ({npm.ExitCode}): {await output} {await errors}");
        }
    }

    private static async Task<FileStream> LockAsync(string path)
    {
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500));
            }
        }
    }
}

[CollectionDefinition(Name)]
public sealed class CosmosCollection : ICollectionFixture<CosmosTestServer>
{
    public const string Name = "cosmos";
}

/// <summary>
/// One test server for the whole run, for tests outside the cosmos collection: the HTTP suite
/// when it runs on Cosmos DB (HELPDESK_TEST_STORE=cosmos) and the views benchmark. Started on
/// first use, stopped when the test process exits.
/// </summary>
public static class SharedCosmosServer
{
    private static readonly Lazy<Task<(CosmosTestServer Server, CosmosClient Client)>> Shared = new(StartAsync);

    /// <summary>The server and one client for every app of the run (a client per app would open a connection pool per app).</summary>
    public static (CosmosTestServer Server, CosmosClient Client) Get() => Shared.Value.GetAwaiter().GetResult();

    private static async Task<(CosmosTestServer, CosmosClient)> StartAsync()
    {
        var server = new CosmosTestServer();
        await server.InitializeAsync();
        var client = server.CreateClient(new CosmosJsonSerializer());
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            client.Dispose();
            server.DisposeAsync().GetAwaiter().GetResult();
        };
        return (server, client);
    }
}
