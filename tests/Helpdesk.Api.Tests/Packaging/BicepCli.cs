using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml.Linq;

namespace Helpdesk.Api.Tests.Packaging;

/// <summary>
/// The Bicep CLI of the NuGet package the test project downloads (<c>PackageDownload</c> of
/// Azure.Bicep.CommandLine.linux-x64 in Helpdesk.Api.Tests.csproj; restore puts
/// <c>tools/bicep</c> in the NuGet package folder, <c>NUGET_PACKAGES</c> or ~/.nuget/packages).
/// <c>bicep build</c> and <c>bicep lint</c> of every file of infra-bicep/ run once per test run,
/// side by side, and their SARIF diagnostics are parsed: a warning counts as much as an error.
/// </summary>
internal static class BicepCli
{
    public const string PackageId = "Azure.Bicep.CommandLine.linux-x64";

    private const string Pattern = "infra-bicep/**/*.bicep";

    private static readonly Lazy<Task<BicepRun>> s_build = new(() => BuildAsync(PackageFiles.Root, Pattern));
    private static readonly Lazy<Task<BicepRun>> s_lint = new(() => RunAsync(PackageFiles.Root, null, "lint", "--pattern", Pattern, "--diagnostics-format", "sarif"));
    private static readonly Lazy<JsonObject> s_main = new(() => CompiledFile("main.bicep"));

    /// <summary><c>bicep build</c> of every .bicep file of infra-bicep/, into a temporary folder.</summary>
    public static BicepRun Build => Start().Build;

    /// <summary><c>bicep lint</c> of every .bicep file of infra-bicep/.</summary>
    public static BicepRun Lint => Start().Lint;

    /// <summary>infra-bicep/main.bicep compiled to an ARM template (modules inlined as nested deployments).</summary>
    public static JsonObject Main => s_main.Value;

    /// <summary>The version the test project downloads (its PackageDownload item), so the two never drift.</summary>
    public static string Version { get; } = XDocument.Load(PackageFiles.PathOf("tests", "Helpdesk.Api.Tests", "Helpdesk.Api.Tests.csproj"))
        .Descendants("PackageDownload")
        .Single(e => (string?)e.Attribute("Include") == PackageId)
        .Attribute("Version")!.Value.Trim('[', ']');

    /// <summary>tools/bicep in the NuGet package folder, made executable if restore left it without the bit.</summary>
    public static string Executable
    {
        get
        {
            var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } folder
                ? folder
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            var path = Path.Combine(packages, PackageId.ToLowerInvariant(), Version, "tools", "bicep");
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"The Bicep CLI is not at {path}: restore the test project (dotnet restore tests/Helpdesk.Api.Tests) to download {PackageId} {Version}.", path);
            }

            if (!OperatingSystem.IsWindows() && !File.GetUnixFileMode(path).HasFlag(UnixFileMode.UserExecute))
            {
                File.SetUnixFileMode(path, File.GetUnixFileMode(path) | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
            }

            return path;
        }
    }

    /// <summary>Runs bicep on files outside the repository (a test of the harness itself).</summary>
    public static Task<BicepRun> LintAsync(string folder, string pattern) =>
        RunAsync(folder, null, "lint", "--pattern", pattern, "--diagnostics-format", "sarif");

    /// <summary>A compiled file of infra-bicep/ (path relative to it, e.g. modules/monitoring.bicep).</summary>
    public static JsonObject CompiledFile(string bicepPath)
    {
        var build = Build;
        build.ExitCode.ShouldBe(0, build.Output);
        var json = Path.Combine(build.OutputFolder!, Path.ChangeExtension(bicepPath, ".json"));
        return JsonNode.Parse(File.ReadAllText(json))!.AsObject();
    }

    private static (BicepRun Build, BicepRun Lint) Start()
    {
        var build = s_build.Value;
        var lint = s_lint.Value;
        return (build.GetAwaiter().GetResult(), lint.GetAwaiter().GetResult());
    }

    private static async Task<BicepRun> BuildAsync(string folder, string pattern)
    {
        var output = Path.Combine(Path.GetTempPath(), "helpdesk-bicep", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(output);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                System.IO.Directory.Delete(output, recursive: true);
            }
            catch (IOException)
            {
            }
        };
        return await RunAsync(folder, output, "build", "--pattern", pattern, "--outdir", output, "--diagnostics-format", "sarif");
    }

    private static async Task<BicepRun> RunAsync(string folder, string? outputFolder, params string[] arguments)
    {
        var start = new ProcessStartInfo(Executable)
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // Bicep is a .NET program: no ICU needed, no telemetry, no first-run output.
        start.Environment["DOTNET_SYSTEM_GLOBALIZATION_INVARIANT"] = "1";
        start.Environment["BICEP_TELEMETRY_ENABLED"] = "false";
        using var process = Process.Start(start) ?? throw new InvalidOperationException("bicep could not be started");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"bicep {string.Join(' ', arguments)} ran for more than 2 minutes");
        }

        var (output, error) = (await stdout, await stderr);
        return new BicepRun(process.ExitCode, output + error, [.. Diagnostics(output), .. Diagnostics(error)], outputFolder);
    }

    /// <summary>The results of the SARIF documents in a stream (bicep writes one per file, back to back).</summary>
    private static List<BicepDiagnostic> Diagnostics(string sarif)
    {
        var results = new List<BicepDiagnostic>();
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(sarif), new JsonReaderOptions { AllowMultipleValues = true });
        while (JsonDocument.TryParseValue(ref reader, out var document))
        {
            using (document)
            {
                foreach (var run in document.RootElement.GetProperty("runs").EnumerateArray())
                {
                    foreach (var result in run.GetProperty("results").EnumerateArray())
                    {
                        var location = result.GetProperty("locations")[0].GetProperty("physicalLocation");
                        results.Add(new BicepDiagnostic(
                            Uri.UnescapeDataString(location.GetProperty("artifactLocation").GetProperty("uri").GetString()!),
                            location.GetProperty("region").GetProperty("startLine").GetInt32(),
                            result.TryGetProperty("level", out var level) ? level.GetString()! : "warning",
                            result.GetProperty("ruleId").GetString()!,
                            result.GetProperty("message").GetProperty("text").GetString()!));
                    }
                }
            }
        }

        return results;
    }
}

internal sealed record BicepRun(int ExitCode, string Output, IReadOnlyList<BicepDiagnostic> Diagnostics, string? OutputFolder);

/// <summary>One SARIF result; SARIF's default level is warning, which is how bicep reports warnings.</summary>
internal sealed record BicepDiagnostic(string File, int Line, string Level, string Rule, string Message)
{
    public override string ToString() => $"{File}({Line}): {Level} {Rule}: {Message}";
}
