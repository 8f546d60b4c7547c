using System.Diagnostics;

namespace Helpdesk.Benchmarks;

/// <summary>
/// The app as it ships, for <c>load</c> and <c>startup</c>: built by <c>scripts/package.sh</c>
/// (so ReadyToRun or any other packaging change is what gets measured, not <c>dotnet run</c>), or a
/// published folder given with <c>--app</c>. It runs with the Development settings on a data folder
/// of the benchmark's: the package leaves out appsettings.Development.json, so the two settings the
/// benchmark relies on (the local signing key, the demo staff) are passed as environment variables.
/// Anything else set in the benchmark's environment (<c>Jobs__RunInProcess=false</c>, say) reaches the app.
/// </summary>
internal sealed class PublishedApp
{
    private const string Executable = "Helpdesk.Api";
    private const string Agent = "ada@helpdesk.example";

    private PublishedApp(string folder) => Folder = folder;

    public string Folder { get; }

    public static async Task<PublishedApp> FindOrPackageAsync(string? folder, CancellationToken cancellationToken)
    {
        if (folder is null)
        {
            var root = RepositoryRoot();
            var output = Path.Combine(Path.GetTempPath(), "helpdesk-bench", "package");
            Console.WriteLine($"Packaging the app: scripts/package.sh --output {output}");
            var (code, text, error) = await RunAsync("bash", [Path.Combine(root, "scripts", "package.sh"), "--output", output], root, null, cancellationToken);
            if (code != 0)
            {
                throw new InvalidOperationException($"scripts/package.sh failed ({code}):{Environment.NewLine}{text}{error}");
            }

            folder = Path.Combine(output, "site", "app");
        }

        folder = Path.GetFullPath(folder);
        return File.Exists(Path.Combine(folder, Executable))
            ? new PublishedApp(folder)
            : throw new FileNotFoundException($"{folder} holds no published {Executable} executable.");
    }

    public ServerProcess Start(string dataFolder) =>
        ServerProcess.Start("the app", Path.Combine(Folder, Executable), [], Folder, Settings(dataFolder));

    /// <summary>A bearer token for the demo agent, from the app's own <c>token</c> command on the same data folder.</summary>
    public async Task<string> TokenAsync(string dataFolder, CancellationToken cancellationToken)
    {
        var (code, text, error) = await RunAsync(Path.Combine(Folder, Executable), ["token", "--user", Agent, "--role", "agent", "--hours", "24"], Folder, Settings(dataFolder), cancellationToken);
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return code == 0 && lines.Length > 0 ? lines[^1] : throw new InvalidOperationException($"The token command failed ({code}): {text}{error}");
    }

    private static Dictionary<string, string> Settings(string dataFolder) => new()
    {
        ["ASPNETCORE_ENVIRONMENT"] = "Development",
        ["Storage__DataFolder"] = dataFolder,
        ["Auth__DevelopmentSigningKey"] = "auto",
        ["Demo__SeedWhenEmpty"] = "true",
    };

    private static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Helpdesk.Functions.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException($"No Helpdesk.Functions.sln above {AppContext.BaseDirectory}: give the published app with --app DIR.");
    }

    private static async Task<(int Code, string Output, string Error)> RunAsync(string fileName, string[] arguments, string workingDirectory, Dictionary<string, string>? environment, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(fileName, arguments)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in environment ?? [])
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        try
        {
            var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var error = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            return (process.ExitCode, await output, await error);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }
}
