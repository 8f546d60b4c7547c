namespace Helpdesk.Api.Common;

/// <summary>The named rate-limit policies a route can ask for (Hosting/RateLimits.cs defines them).</summary>
public static class RateLimitPolicies
{
    /// <summary>
    /// The stricter limit per client address of the anonymous routes anyone can reach with a link
    /// or a webhook: survey answers, approval links, Graph's notifications.
    /// </summary>
    public const string AnonymousLinks = "anonymous-links";
}
