using System.Diagnostics;
using System.IO.Compression;
using System.Text.Json.Nodes;

namespace Helpdesk.Api.Tests.Packaging;

/// <summary>
/// scripts/package.sh assembling a tiny fake publish folder: the same steps as a real package
/// after <c>dotnet publish</c>, in well under a second.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows", "the package script is bash and checks Unix file modes")]
public sealed class PackageScriptTests : IDisposable
{
    private readonly string _work = Path.Combine(Path.GetTempPath(), "helpdesk-package-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (System.IO.Directory.Exists(_work))
        {
            System.IO.Directory.Delete(_work, recursive: true);
        }
    }

    private string FakePublish(params string[] files)
    {
        var folder = Path.Combine(_work, "publish");
        foreach (var file in files)
        {
            var path = Path.Combine(folder, file);
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, file);
        }

        return folder;
    }

    private (int ExitCode, string Output) Package(string publish, params string[] more)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        string[] arguments = [PackageFiles.PathOf("scripts", "package.sh"), "--from-publish", publish, "--output", Path.Combine(_work, "out"), .. more];
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, output.Result + error.Result);
    }

    [Fact]
    public void The_package_holds_host_json_one_folder_per_function_and_the_executable_app()
    {
        var (exitCode, output) = Package(FakePublish("Helpdesk.Api", "Helpdesk.Api.dll", "appsettings.json", "appsettings.Development.json", "data/helpdesk.db"));

        exitCode.ShouldBe(0, output);
        var site = Path.Combine(_work, "out", "site");
        File.ReadAllText(Path.Combine(site, "host.json")).ShouldBe(File.ReadAllText(PackageFiles.PathOf("host.json")));
        foreach (var function in PackageFiles.Functions())
        {
            File.ReadAllText(Path.Combine(site, function.Name, "function.json")).ShouldBe(File.ReadAllText(PackageFiles.PathOf("functions", function.Name, "function.json")));
        }

        File.GetUnixFileMode(Path.Combine(site, "app", "Helpdesk.Api")).HasFlag(UnixFileMode.UserExecute).ShouldBeTrue();
        File.Exists(Path.Combine(site, "app", "appsettings.json")).ShouldBeTrue();
        File.Exists(Path.Combine(site, "app", "appsettings.Development.json")).ShouldBeFalse();
        System.IO.Directory.Exists(Path.Combine(site, "app", "data")).ShouldBeFalse();
    }

    [Fact]
    public void The_zip_has_the_same_tree_and_keeps_the_execute_bit()
    {
        var (exitCode, output) = Package(FakePublish("Helpdesk.Api", "Helpdesk.Api.dll"));

        exitCode.ShouldBe(0, output);
        using var zip = ZipFile.OpenRead(Path.Combine(_work, "out", "helpdesk-functions.zip"));
        var files = zip.Entries.Where(e => !e.FullName.EndsWith('/')).Select(e => e.FullName).ToList();
        files.ShouldBe(
            [.. PackageFiles.Functions().Select(f => $"{f.Name}/function.json"), "app/Helpdesk.Api", "app/Helpdesk.Api.dll", "host.json"],
            ignoreOrder: true);
        var mode = (UnixFileMode)((zip.GetEntry("app/Helpdesk.Api")!.ExternalAttributes >> 16) & 0x1FF);
        mode.HasFlag(UnixFileMode.UserExecute).ShouldBeTrue();
    }

    [Fact]
    public void A_publish_without_the_executable_host_json_names_is_refused()
    {
        var (exitCode, output) = Package(FakePublish("Something.Else.dll"));

        exitCode.ShouldNotBe(0);
        output.ShouldContain("app/Helpdesk.Api");
        File.Exists(Path.Combine(_work, "out", "helpdesk-functions.zip")).ShouldBeFalse();
    }

    [Fact]
    public void The_console_package_is_the_published_site_with_the_deployment_settings_and_the_static_web_app_config()
    {
        var publish = FakePublish("wwwroot/index.html", "wwwroot/_framework/dotnet.js", "wwwroot/appsettings.json.br", "wwwroot/appsettings.json.gz");
        File.WriteAllText(Path.Combine(publish, "wwwroot", "appsettings.json"), """{ "Auth": { "Authority": "", "ClientId": "", "ApiScopes": [], "RoleClaim": "roles" }, "Api": { "BaseUrl": "" } }""");

        var (exitCode, output) = Package(
            publish,
            "--console",
            "--api-base-url", "https://helpdesk-func.azurewebsites.net/",
            "--authority", "https://login.microsoftonline.com/tenant/v2.0",
            "--client-id", "console-client",
            "--api-scope", "api://helpdesk/access_as_user");

        exitCode.ShouldBe(0, output);
        var site = Path.Combine(_work, "out", "console");
        System.IO.Directory.GetFiles(site, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(site, f)).ShouldBe(
            ["index.html", Path.Combine("_framework", "dotnet.js"), "appsettings.json", "staticwebapp.config.json"], ignoreOrder: true);
        File.ReadAllText(Path.Combine(site, "staticwebapp.config.json")).ShouldBe(File.ReadAllText(PackageFiles.PathOf("src", "Helpdesk.Web", "staticwebapp.config.json")));
        var settings = JsonNode.Parse(File.ReadAllText(Path.Combine(site, "appsettings.json")))!;
        settings["Api"]!["BaseUrl"]!.GetValue<string>().ShouldBe("https://helpdesk-func.azurewebsites.net");
        settings["Auth"]!["Authority"]!.GetValue<string>().ShouldBe("https://login.microsoftonline.com/tenant/v2.0");
        settings["Auth"]!["ClientId"]!.GetValue<string>().ShouldBe("console-client");
        settings["Auth"]!["ApiScopes"]!.AsArray().Select(s => s!.GetValue<string>()).ShouldBe(["api://helpdesk/access_as_user"]);
        settings["Auth"]!["RoleClaim"]!.GetValue<string>().ShouldBe("roles", "what the published settings said stays");
    }

    [Fact]
    public void The_console_package_is_refused_without_the_sign_in_settings_or_over_plain_http()
    {
        var publish = FakePublish("wwwroot/index.html", "wwwroot/appsettings.json");

        var missing = Package(publish, "--console", "--api-base-url", "https://api.example", "--authority", "https://login.example/t/v2.0", "--client-id", "c");
        var plain = Package(publish, "--console", "--api-base-url", "http://api.example", "--authority", "https://login.example/t/v2.0", "--client-id", "c", "--api-scope", "s");

        missing.ExitCode.ShouldNotBe(0);
        missing.Output.ShouldContain("--api-scope");
        plain.ExitCode.ShouldNotBe(0);
        plain.Output.ShouldContain("https://");
        System.IO.Directory.Exists(Path.Combine(_work, "out", "console")).ShouldBeFalse();
    }
}
