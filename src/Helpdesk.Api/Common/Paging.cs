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
    public static string EncodeKey(long key) => Encode(string.Create(CultureInfo.InvariantCulture, $"k:{key}"));

    public static long DecodeKey(string cursor)
    {
        var text = Decode(cursor);
        return text.StartsWith("k:", StringComparison.Ordinal) && long.TryParse(text.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out var key)
            ? key
            : throw new InvalidCursorException();
    }

    /// <summary>
    /// The cursor of a store that pages by a text sort key (an instant as fixed-width text), ties
    /// broken by an increasing integer key, made opaque: the late view, most overdue first.
    /// </summary>
    public static string EncodeKey(string order, long key) =>
        Encode(string.Create(CultureInfo.InvariantCulture, $"o:{key}:{order}"));

    public static (string Order, long Key) DecodeOrderedKey(string cursor)
    {
        var text = Decode(cursor);
        var separator = text.IndexOf(':', 2);
        return text.StartsWith("o:", StringComparison.Ordinal) && separator > 2
            && long.TryParse(text.AsSpan(2, separator - 2), NumberStyles.None, CultureInfo.InvariantCulture, out var key)
            ? (text[(separator + 1)..], key)
            : throw new InvalidCursorException();
    }

    /// <summary>
    /// The cursor of a sorted list (<c>sort=</c>): the order's name, the range it was reading,
    /// the last row's value in that range (none for ranges in creation order) and its seq.
    /// </summary>
    public static string EncodeSorted(string sort, int segment, long seq, string? key) =>
        Encode(string.Create(CultureInfo.InvariantCulture, $"s:{sort}:{segment}:{seq}:{key}"));

    public static (string Sort, int Segment, long Seq, string? Key) DecodeSorted(string cursor)
    {
        var parts = Decode(cursor).Split(':', 5);
        return parts is ["s", var sort, var segment, var seq, var key]
            && int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out var s)
            && long.TryParse(seq, NumberStyles.None, CultureInfo.InvariantCulture, out var k)
            ? (sort, s, k, key.Length == 0 ? null : key)
            : throw new InvalidCursorException();
    }

    private static string Encode(string text) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(text)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string Decode(string cursor)
    {
        try
        {
            var padded = cursor.Replace('-', '+').Replace('_', '/');
            padded = padded.PadRight(padded.Length + ((4 - (padded.Length % 4)) % 4), '=');
            return Encoding.UTF8.GetString(Convert.FromBase64String(padded));
        }
        catch (FormatException)
        {
            throw new InvalidCursorException();
        }
    }
}
