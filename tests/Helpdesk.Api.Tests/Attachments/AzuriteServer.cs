using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Blobs;
using Helpdesk.Api.Attachments;
using Helpdesk.Api.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Helpdesk.Api.Tests.Attachments;

/// <summary>
/// Azurite's blob service (tools/azurite, installed from its lock file when missing), started
/// once for the collection on 127.0.0.1 and a free port, over HTTPS with a certificate generated
/// here and with OAuth (<c>--oauth basic</c>) on, and stopped at the end. It also exits when its
/// standard input closes, so a killed test run leaves no process behind.
/// </summary>
public sealed class AzuriteServer : IAsyncLifetime
{
    /// <summary>The emulator's well-known development account (public, documented by Azurite).</summary>
    public const string Account = "devstoreaccount1";

    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "helpdesk-azurite", Guid.NewGuid().ToString("N"));
    private Process? _server;
    private X509Certificate2? _certificate;

    /// <summary>The path-style blob endpoint of the development account.</summary>
    public Uri AccountUrl { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var tools = FindToolFolder();
        await EnsureInstalledAsync(tools);
        System.IO.Directory.CreateDirectory(_folder);
        _certificate = CreateCertificate();
        var certPath = Path.Combine(_folder, "cert.pem");
        var keyPath = Path.Combine(_folder, "key.pem");
        await File.WriteAllTextAsync(certPath, _certificate.ExportCertificatePem());
        using (var rsa = _certificate.GetRSAPrivateKey()!)
        {
            await File.WriteAllTextAsync(keyPath, rsa.ExportPkcs8PrivateKeyPem());
        }

        var port = FreePort();
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = _folder,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            Path.Combine(tools, "node_modules", "azurite", "dist", "src", "blob", "main.js"),
            "--blobHost", "127.0.0.1", "--blobPort", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--cert", certPath, "--key", keyPath, "--oauth", "basic",
            "--inMemoryPersistence", "--extentMemoryLimit", "256", "--disableTelemetry",

            // Azure.Storage.Blobs speaks a newer service version than this Azurite knows; the operations used here are unchanged.
            "--skipApiVersionCheck",
        })
        {
            start.ArgumentList.Add(argument);
        }

        _server = Process.Start(start) ?? throw new InvalidOperationException("node could not be started.");
        var errors = _server.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(StartTimeout);
        var output = new StringBuilder();
        try
        {
            while (await _server.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                output.AppendLine(line);
                if (line.Contains("successfully listen", StringComparison.OrdinalIgnoreCase))
                {
                    AccountUrl = new Uri($"https://127.0.0.1:{port}/{Account}");
                    _ = DrainAsync(_server.StandardOutput);
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            output.AppendLine("(timed out)");
        }

        await StopAsync();
        throw new InvalidOperationException($"Azurite did not start: {output} {await errors}");
    }

    /// <summary>
    /// Selects the blob store for this app: its own container, the client trusting exactly this
    /// server's certificate, and either SharedKey or an Entra-shaped bearer token from <paramref name="credential"/>.
    /// </summary>
    public HelpdeskApp Configure(HelpdeskApp app, bool sharedKey = false, TokenCredential? credential = null)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.With("Attachments:Store", "blob")
            .With("Attachments:Blob:AccountUrl", AccountUrl.ToString())
            .With("Attachments:Blob:Container", "att" + Guid.NewGuid().ToString("N"))
            .With("Attachments:Blob:AccountName", Account)
            .With("Attachments:Blob:AccountKey", sharedKey ? AccountKey : null);
        var thumbprint = _certificate!.Thumbprint;
        return app.WithServices(services =>
        {
            services.AddHttpClient(BlobAttachmentStore.HttpClientName).ConfigurePrimaryHttpMessageHandler(() => Handler(thumbprint));
            services.AddSingleton(credential ?? new FakeEntraCredential());
        });
    }

    /// <summary>A client trusting exactly this server's certificate.</summary>
    public HttpClient CreateClient() => new(Handler(_certificate!.Thumbprint));

    /// <summary>Options for a fresh container of the development account, with or without its key.</summary>
    public BlobStoreOptions Options(string? accountKey = null) => new()
    {
        AccountUrl = AccountUrl,
        Container = "att" + Guid.NewGuid().ToString("N"),
        AccountName = Account,
        AccountKey = accountKey,
    };

    /// <summary>How many blobs a container holds (listed through the SDK, signed in with a test token).</summary>
    public async Task<int> CountBlobsAsync(string container)
    {
        using var http = CreateClient();
        var client = new BlobContainerClient(new Uri($"{AccountUrl}/{container}"), new FakeEntraCredential(), new BlobClientOptions { Transport = new HttpClientTransport(http) });
        if (!await client.ExistsAsync())
        {
            return 0;
        }

        var count = 0;
        await foreach (var _ in client.GetBlobsAsync())
        {
            count++;
        }

        return count;
    }

    public async Task DisposeAsync()
    {
        await StopAsync();
        _certificate?.Dispose();
        if (System.IO.Directory.Exists(_folder))
        {
            System.IO.Directory.Delete(_folder, recursive: true);
        }
    }

    private static SocketsHttpHandler Handler(string thumbprint) => new()
    {
        SslOptions = { RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is not null && string.Equals(certificate.GetCertHashString(), thumbprint, StringComparison.OrdinalIgnoreCase) },
    };

    private static async Task DrainAsync(StreamReader output)
    {
        while (await output.ReadLineAsync() is not null)
        {
        }
    }

    private static X509Certificate2 CreateCertificate()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task StopAsync()
    {
        if (_server is null)
        {
            return;
        }

        if (!_server.HasExited)
        {
            _server.Kill(entireProcessTree: true);
            await _server.WaitForExitAsync();
        }

        _server.Dispose();
        _server = null;
    }

    private static string FindToolFolder()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            var candidate = Path.Combine(folder.FullName, "tools", "azurite");
            if (File.Exists(Path.Combine(candidate, "package-lock.json")))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("tools/azurite was not found above the test binaries.");
    }

    private static async Task EnsureInstalledAsync(string folder)
    {
        if (File.Exists(Path.Combine(folder, "node_modules", "azurite", "package.json")))
        {
            return;
        }

        var start = new ProcessStartInfo("npm") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
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
}

/// <summary>
/// A TokenCredential for the emulator: an unsigned JWT shaped like an Entra ID access token for
/// Azure Storage (audience https://storage.azure.com, an sts.windows.net issuer, iat/nbf/exp).
/// Azurite's basic OAuth checks exactly that shape, not the signature. Records the scopes asked for.
/// </summary>
public sealed class FakeEntraCredential(string audience = "https://storage.azure.com") : TokenCredential
{
    public List<string> Scopes { get; } = [];

    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
    {
        Scopes.AddRange(requestContext.Scopes);
        var now = DateTimeOffset.UtcNow;
        return new AccessToken(Jwt(audience, now), now.AddHours(1));
    }

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        ValueTask.FromResult(GetToken(requestContext, cancellationToken));

    public static string Jwt(string audience, DateTimeOffset now)
    {
        static string Part(object value) => Base64Url(JsonSerializer.SerializeToUtf8Bytes(value));
        var header = Part(new { alg = "RS256", typ = "JWT" });
        var payload = Part(new
        {
            aud = audience,
            iss = "https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/",
            iat = now.AddMinutes(-1).ToUnixTimeSeconds(),
            nbf = now.AddMinutes(-1).ToUnixTimeSeconds(),
            exp = now.AddHours(1).ToUnixTimeSeconds(),
            oid = "00000000-0000-0000-0000-000000000001",
        });
        return $"{header}.{payload}.{Base64Url("test-signature"u8.ToArray())}";
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

[CollectionDefinition(Name)]
public sealed class AzuriteCollection : ICollectionFixture<AzuriteServer>
{
    public const string Name = "azurite";
}
