namespace Helpdesk.Api.Common;

/// <summary>Resource ids: a short kind prefix and a time-ordered GUID, readable in logs.</summary>
public static class Ids
{
    public static string New(string prefix, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(clock);
        return New(prefix, clock.GetUtcNow());
    }

    public static string New(string prefix, DateTimeOffset now) => $"{prefix}_{Guid.CreateVersion7(now):N}";
}
