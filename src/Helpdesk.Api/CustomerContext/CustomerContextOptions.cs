namespace Helpdesk.Api.CustomerContext;

/// <summary>The admin's CRM/ERP endpoint that answers what other systems hold about a customer.</summary>
public sealed class CustomerContextOptions
{
    public const string Section = "CustomerContext";

    /// <summary>The endpoint POSTed to; empty = no provider. https, or http to this machine (loopback).</summary>
    public string Url { get; set; } = "";

    /// <summary>The shared secret the request is signed with (HMAC-SHA256, like webhook deliveries).</summary>
    public string Secret { get; set; } = "";

    /// <summary>The whole look-up, its one retry included, gives up after this long: the context is shown without it.</summary>
    public double TimeoutSeconds { get; set; } = 3;

    /// <summary>An answer is reused this long for the same customer (0 = ask every time).</summary>
    public int CacheSeconds { get; set; } = 300;

    /// <summary>After a failure the provider is not asked again about that customer for this long (a dead CRM slows no page).</summary>
    public int UnavailableSeconds { get; set; } = 30;

    public bool IsConfigured => Url.Length > 0;

    public TimeSpan Timeout => TimeSpan.FromSeconds(TimeoutSeconds);

    public static bool IsAllowedUrl(string url) =>
        url.Length == 0
        || (Uri.TryCreate(url, UriKind.Absolute, out var uri)
            && string.IsNullOrEmpty(uri.UserInfo)
            && (uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeHttp && uri.IsLoopback)));
}
