namespace Helpdesk.Api.Common;

/// <summary>A stored value with the version it was read at (0 for one not stored yet): writes are guarded by it.</summary>
public sealed record Versioned<T>(T Value, long Version);
