using System.Globalization;
using System.Text;

namespace Helpdesk.Api.Common;

/// <summary>One page of a list: the items and an opaque cursor for the next page (null on the last).</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string? NextCursor)
{
    public Page<TOut> Map<TOut>(Func<T, TOut> map) => new(Items.Select(map).ToArray(), NextCursor);
}

public sealed class InvalidCursorException() : Exception("The cursor is not one this API returned; start again without a cursor.");

/// <summary>Paging limits of ARCHITECTURE.md: 50 by default, at most 200.</summary>
public static class Paging
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 200;

    /// <summary>The 400 problem for a <c>limit</c> outside 1…<see cref="MaxLimit"/>; null when it is absent or fine.</summary>
    public static IResult? RefuseLimit(int? limit) => LimitProblem(limit) is { } problem ? Problems.Result(problem) : null;

    /// <inheritdoc cref="RefuseLimit"/>
    public static Microsoft.AspNetCore.Mvc.ProblemDetails? LimitProblem(int? limit) =>
        limit is < 1 or > MaxLimit ? Problems.Validation("limit", $"The limit is from 1 to {MaxLimit}.") : null;

    /// <summary>The cursor of a store that pages by an increasing integer key, made opaque.</summary>
    public static string EncodeKey(long key) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"k:{key}")))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static long DecodeKey(string cursor)
    {
        try
        {
            var padded = cursor.Replace('-', '+').Replace('_', '/');
            padded = padded.PadRight(padded.Length + ((4 - (padded.Length % 4)) % 4), '=');
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(padded));
            return text.StartsWith("k:", StringComparison.Ordinal) && long.TryParse(text.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out var key)
                ? key
                : throw new InvalidCursorException();
        }
        catch (FormatException)
        {
            throw new InvalidCursorException();
        }
    }
}
