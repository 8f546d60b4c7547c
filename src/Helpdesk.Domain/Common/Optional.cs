namespace Helpdesk.Domain.Common;

/// <summary>
/// A value that may be absent, distinct from a present null: a merge patch leaves absent
/// fields alone and clears fields sent as null. <c>default</c> is absent.
/// </summary>
public readonly record struct Optional<T>(bool HasValue, T Value);

public static class Optional
{
    public static Optional<T> Of<T>(T value) => new(true, value);
}
