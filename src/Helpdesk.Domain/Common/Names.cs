namespace Helpdesk.Domain.Common;

/// <summary>The camelCase spelling of enum values used in history, events and the API.</summary>
public static class Names
{
    public static string Of<TEnum>(TEnum value)
        where TEnum : struct, Enum
    {
        var name = value.ToString();
        return string.Concat(name[..1].ToLowerInvariant(), name.AsSpan(1));
    }

    public static bool TryParse<TEnum>(string? text, out TEnum value)
        where TEnum : struct, Enum
    {
        value = default;
        return !string.IsNullOrWhiteSpace(text)
            && !char.IsDigit(text[0])
            && Enum.TryParse(text, ignoreCase: true, out value)
            && Enum.IsDefined(value);
    }

    /// <summary>Parses a name known to be valid (stored data, validated input); throws when it is not.</summary>
    public static TEnum Parse<TEnum>(string text)
        where TEnum : struct, Enum =>
        TryParse<TEnum>(text, out var value) ? value : throw new FormatException($"'{text}' is not a {typeof(TEnum).Name}.");
}
