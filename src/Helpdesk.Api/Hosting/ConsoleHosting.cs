using System.ComponentModel;
using System.Diagnostics;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;
using Microsoft.Net.Http.Headers;

namespace Helpdesk.Api.Hosting;

/// <summary>
/// Standalone, the API serves the published web console (src/Helpdesk.Web) at <c>/</c>: its files,
/// brotli or gzip when the browser takes them, and <c>index.html</c> for the console's own routes.
/// <c>/api</c> stays the API, and a <c>GET /</c> that does not ask for HTML (the Functions host's
/// readiness probe, curl) still gets the API's answer. It is middleware placed before routing, not
/// endpoints: the route table stays the API's and the trigger routes', and the files need no token.
/// The folder is <c>Console:Root</c>, else <c>console/wwwroot</c> beside the app, where
/// <c>dotnet run</c> publishes it (src/Helpdesk.Web/ConsolePublish.targets); without it the API
/// runs alone.
/// </summary>
public static partial class ConsoleHosting
{
    public const string RootSetting = "Console:Root";

    /// <summary>Set by the <c>dotnet run</c> launch profile only: the console opens in the default browser once the server listens.</summary>
    public const string OpenBrowserSetting = "Console:OpenBrowser";

    public static WebApplication UseHelpdeskConsole(this WebApplication app)
    {
        var root = FindRoot(app.Configuration, app.Environment);
        if (root is null)
        {
            return app;
        }

        app.Lifetime.ApplicationStarted.Register(() => Announce(app));
        var files = new PhysicalFileProvider(root);
        var types = new ConsoleContentTypes();
        app.UseWhen(IsConsoleRequest, console =>
        {
            console.Use((context, next) => ServeIndexForConsoleRoutes(context, next, files));
            console.Use((context, next) => NegotiatePrecompressed(context, next, files));
            console.UseStaticFiles(new StaticFileOptions
            {
                FileProvider = files,
                ContentTypeProvider = types,
                OnPrepareResponse = PrepareResponse,
            });
        });
        return app;
    }

    /// <summary>Where a person opens the console (and, in Development, the demo users' sign-in page): printed once the server listens.</summary>
    private static void Announce(WebApplication app)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ConsoleHosting).FullName!);
        string? first = null;
        foreach (var url in app.Urls)
        {
            var console = url.TrimEnd('/') + "/";
            LogConsole(logger, console);
            if (app.Environment.IsDevelopment())
            {
                console += "sign-in";
                LogSignIn(logger, console);
            }

            first ??= console;
        }

        if (first is not null && app.Configuration.GetValue<bool>(OpenBrowserSetting))
        {
            OpenBrowser(first, logger);
        }
    }

    /// <summary>
    /// Opens <paramref name="url"/> in the default browser (the desktop's handler: xdg-open, open,
    /// the Windows shell). A machine without one (a container, SSH) only gets the line above.
    /// </summary>
    private static void OpenBrowser(string url, ILogger logger)
    {
        try
        {
            using var browser = Process.Start(new ProcessStartInfo(url) { UseShellExecute = true });
        }
        catch (Exception e) when (e is Win32Exception or InvalidOperationException or PlatformNotSupportedException)
        {
            LogNoBrowser(logger, url, e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "No browser could be opened here ({Reason}); open {Url} yourself.")]
    private static partial void LogNoBrowser(ILogger logger, string url, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "The web console: {Url}")]
    private static partial void LogConsole(ILogger logger, string url);

    [LoggerMessage(Level = LogLevel.Information, Message = "Development sign-in as a demo agent or customer: {Url}")]
    private static partial void LogSignIn(ILogger logger, string url);

    public static string? FindRoot(IConfiguration configuration, IWebHostEnvironment environment)
    {
        var configured = configuration[RootSetting];
        var root = string.IsNullOrWhiteSpace(configured)
            ? Path.Combine(AppContext.BaseDirectory, "console", "wwwroot")
            : Path.GetFullPath(configured, environment.ContentRootPath);
        return File.Exists(Path.Combine(root, "index.html")) ? root : null;
    }

    private static bool IsConsoleRequest(HttpContext context) =>
        (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method))
        && !context.Request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase);

    /// <summary>The console's routes (no file extension) and <c>/</c> answer index.html to a browser.</summary>
    private static Task ServeIndexForConsoleRoutes(HttpContext context, Func<Task> next, PhysicalFileProvider files)
    {
        var path = context.Request.Path.Value ?? "/";
        var wantsHtml = context.Request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals("text/html", StringComparison.OrdinalIgnoreCase));
        if (!wantsHtml || Path.HasExtension(path) || path.StartsWith("/_", StringComparison.Ordinal))
        {
            return next();
        }

        var index = files.GetFileInfo("index.html");
        context.Response.ContentType = "text/html; charset=utf-8";
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.ContentLength = index.Length;
        return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : context.Response.SendFileAsync(index);
    }

    /// <summary>The publish writes <c>.br</c> and <c>.gz</c> beside each file: serve those when accepted.</summary>
    private static Task NegotiatePrecompressed(HttpContext context, Func<Task> next, PhysicalFileProvider files)
    {
        var path = context.Request.Path.Value;
        if (string.IsNullOrEmpty(path) || path.EndsWith(".br", StringComparison.Ordinal) || path.EndsWith(".gz", StringComparison.Ordinal))
        {
            return next();
        }

        var accepted = context.Request.Headers.AcceptEncoding.ToString();
        foreach (var (encoding, extension) in new[] { ("br", ".br"), ("gzip", ".gz") })
        {
            if (accepted.Contains(encoding, StringComparison.OrdinalIgnoreCase) && files.GetFileInfo(path + extension).Exists)
            {
                context.Request.Path = path + extension;
                context.Response.Headers.ContentEncoding = encoding;
                break;
            }
        }

        context.Response.Headers.Append(HeaderNames.Vary, HeaderNames.AcceptEncoding);
        return next();
    }

    /// <summary>Fingerprinted framework files never change under their name; the rest is revalidated.</summary>
    private static void PrepareResponse(StaticFileResponseContext context)
    {
        var path = context.Context.Request.Path.Value ?? string.Empty;
        context.Context.Response.Headers.CacheControl = path.StartsWith("/_framework/", StringComparison.Ordinal) && IsFingerprinted(path)
            ? "public, max-age=31536000, immutable"
            : "no-cache";
    }

    private static bool IsFingerprinted(string path)
    {
        // dotnet.native.<10-char fingerprint>.wasm, Helpdesk.Web.<fingerprint>.wasm: a segment of lowercase letters and digits.
        var name = Path.GetFileName(path).Split('.');
        return name.Length >= 3 && name[^2] is { Length: 10 } hash && hash.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c))
            || name.Length >= 4 && name[^3] is { Length: 10 } inner && inner.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c));
    }

    /// <summary>Content types of the console's files, looked up through the .br/.gz suffix.</summary>
    private sealed class ConsoleContentTypes : IContentTypeProvider
    {
        private readonly FileExtensionContentTypeProvider _known = new();

        public ConsoleContentTypes()
        {
            foreach (var extension in new[] { ".dat", ".dll", ".webcil", ".blat", ".pdb" })
            {
                _known.Mappings[extension] = "application/octet-stream";
            }

            _known.Mappings[".wasm"] = "application/wasm";
        }

        public bool TryGetContentType(string subpath, out string contentType)
        {
            var name = subpath.EndsWith(".br", StringComparison.Ordinal) || subpath.EndsWith(".gz", StringComparison.Ordinal) ? subpath[..^3] : subpath;
            if (_known.TryGetContentType(name, out var found))
            {
                contentType = found;
                return true;
            }

            contentType = string.Empty;
            return false;
        }
    }
}
