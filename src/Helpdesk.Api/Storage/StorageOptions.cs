namespace Helpdesk.Api.Storage;

public sealed class StorageOptions
{
    public const string Section = "Storage";

    /// <summary><c>sqlite</c> (the embedded default) or <c>cosmos</c>.</summary>
    public string Provider { get; set; } = "sqlite";

    /// <summary>Where the embedded store and local files live; relative paths are under the working directory.</summary>
    public string DataFolder { get; set; } = "data";

    public bool IsSqlite => string.Equals(Provider, "sqlite", StringComparison.OrdinalIgnoreCase);

    public bool IsCosmos => string.Equals(Provider, "cosmos", StringComparison.OrdinalIgnoreCase);

    public string ResolvedDataFolder => Path.GetFullPath(DataFolder);
}
