using System.Reflection;

namespace Helpdesk.Web.Tests;

/// <summary>Paths the tests find: the repository, the API they run, the published console.</summary>
internal static class Repository
{
    public static string Root { get; } = FindRoot();

    public static string ApiAssembly => Metadata("ApiAssembly");

    public static string ConsoleRoot => Metadata("ConsoleRoot");

    public static string File(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string Metadata(string key) =>
        typeof(Repository).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    private static string FindRoot()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !System.IO.File.Exists(Path.Combine(folder.FullName, "Helpdesk.Functions.sln")))
        {
            folder = folder.Parent;
        }

        return folder?.FullName ?? throw new InvalidOperationException("The repository root (Helpdesk.Functions.sln) is not above the test binaries.");
    }
}
