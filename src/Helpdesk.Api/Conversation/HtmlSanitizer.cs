using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace Helpdesk.Api.Conversation;

/// <summary>A message body as stored: sanitised HTML, and the same content as plain text.</summary>
public sealed record SanitizedBody(string Html, string Text)
{
    public bool IsEmpty => Text.Length == 0 && !Html.Contains("<img", StringComparison.Ordinal);
}

/// <summary>
/// An allow-list HTML sanitiser for message bodies (no sanitiser package is obtainable here).
/// Only the formatting tags below survive, with only the attributes listed for them; script,
/// style, frames, objects and forms are dropped with their content; every on* handler and every
/// style attribute is dropped; links keep only http, https, mailto or relative targets and images
/// only http, https or cid: sources. Text is re-encoded and elements left open are closed, so the
/// output is well-formed whatever came in. The plain-text rendering is built in the same pass.
/// </summary>
public static partial class HtmlSanitizer
{
    private static readonly Dictionary<string, string[]> Allowed = new(StringComparer.Ordinal)
    {
        ["a"] = ["href", "title"],
        ["img"] = ["src", "alt", "title", "width", "height"],
        ["td"] = ["colspan", "rowspan"],
        ["th"] = ["colspan", "rowspan"],
        ["ol"] = ["start"],
        ["abbr"] = ["title"],
        ["b"] = [], ["blockquote"] = [], ["br"] = [], ["code"] = [], ["del"] = [], ["div"] = [], ["em"] = [],
        ["h1"] = [], ["h2"] = [], ["h3"] = [], ["h4"] = [], ["h5"] = [], ["h6"] = [], ["hr"] = [], ["i"] = [],
        ["ins"] = [], ["li"] = [], ["p"] = [], ["pre"] = [], ["s"] = [], ["small"] = [], ["span"] = [],
        ["strong"] = [], ["sub"] = [], ["sup"] = [], ["table"] = [], ["tbody"] = [], ["tfoot"] = [],
        ["thead"] = [], ["tr"] = [], ["u"] = [], ["ul"] = [],
    };

    /// <summary>Elements removed together with everything inside them.</summary>
    private static readonly HashSet<string> DroppedWithContent = new(StringComparer.Ordinal)
    {
        "script", "style", "iframe", "frame", "frameset", "object", "applet", "form", "noscript", "template",
        "textarea", "select", "button", "svg", "math", "head", "title", "noembed", "noframes", "xmp",
    };

    private static readonly HashSet<string> Void = new(StringComparer.Ordinal) { "br", "hr", "img" };

    private static readonly HashSet<string> Block = new(StringComparer.Ordinal)
    {
        "p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "hr", "table", "ul", "ol",
    };

    /// <summary>Blocks that end with a line break in the text (list items and rows only start one).</summary>
    private static readonly HashSet<string> BlockEnd = new(StringComparer.Ordinal)
    {
        "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "ul", "ol",
    };

    public static SanitizedBody Sanitize(string input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var html = new StringBuilder(input.Length);
        var text = new StringBuilder(input.Length);
        var open = new List<string>();
        var i = 0;
        while (i < input.Length)
        {
            if (input[i] != '<')
            {
                var end = input.IndexOf('<', i);
                end = end < 0 ? input.Length : end;
                AppendText(input[i..end], html, text, preformatted: open.Contains("pre"));
                i = end;
                continue;
            }

            if (string.CompareOrdinal(input, i, "<!--", 0, 4) == 0)
            {
                var close = input.IndexOf("-->", i + 4, StringComparison.Ordinal);
                i = close < 0 ? input.Length : close + 3;
                continue;
            }

            var next = i + 1 < input.Length ? input[i + 1] : '\0';
            if (next is '!' or '?')
            {
                i = SkipPast(input, i, '>');
                continue;
            }

            var isEnd = next == '/';
            var nameStart = isEnd ? i + 2 : i + 1;
            if (nameStart >= input.Length || !char.IsAsciiLetter(input[nameStart]))
            {
                AppendText("<", html, text, preformatted: false);
                i++;
                continue;
            }

            var nameEnd = nameStart;
            while (nameEnd < input.Length && char.IsAsciiLetterOrDigit(input[nameEnd]))
            {
                nameEnd++;
            }

            var name = input[nameStart..nameEnd].ToLowerInvariant();
            if (isEnd)
            {
                i = SkipPast(input, nameEnd, '>');
                Close(name, open, html, text);
                continue;
            }

            var (attributes, after) = ReadAttributes(input, nameEnd);
            i = after;
            if (DroppedWithContent.Contains(name))
            {
                i = SkipElementContent(input, i, name);
                continue;
            }

            if (!Allowed.TryGetValue(name, out var allowedAttributes))
            {
                continue;
            }

            Open(name, attributes, allowedAttributes, html);
            if (Block.Contains(name))
            {
                text.Append('\n');
            }

            if (name == "li")
            {
                text.Append("- ");
            }

            if (!Void.Contains(name))
            {
                open.Add(name);
            }
        }

        for (var k = open.Count - 1; k >= 0; k--)
        {
            html.Append("</").Append(open[k]).Append('>');
        }

        return new SanitizedBody(html.ToString(), TidyText(text.ToString()));
    }

    private static void AppendText(string raw, StringBuilder html, StringBuilder text, bool preformatted)
    {
        var decoded = WebUtility.HtmlDecode(raw);
        html.Append(WebUtility.HtmlEncode(decoded));
        text.Append(preformatted ? decoded : Whitespace().Replace(decoded, " "));
    }

    private static void Open(string name, List<(string Name, string Value)> attributes, string[] allowedAttributes, StringBuilder html)
    {
        html.Append('<').Append(name);
        foreach (var (attribute, value) in attributes)
        {
            if (!allowedAttributes.Contains(attribute))
            {
                continue;
            }

            if (attribute is "href" or "src" && !IsSafeUrl(value, image: attribute == "src"))
            {
                continue;
            }

            html.Append(' ').Append(attribute).Append("=\"").Append(WebUtility.HtmlEncode(value)).Append('"');
        }

        if (name == "a")
        {
            html.Append(" rel=\"nofollow noopener noreferrer\"");
        }

        html.Append('>');
    }

    private static void Close(string name, List<string> open, StringBuilder html, StringBuilder text)
    {
        var at = open.LastIndexOf(name);
        if (at < 0)
        {
            return;
        }

        for (var k = open.Count - 1; k >= at; k--)
        {
            html.Append("</").Append(open[k]).Append('>');
            if (BlockEnd.Contains(open[k]))
            {
                text.Append('\n');
            }

            open.RemoveAt(k);
        }
    }

    private static (List<(string Name, string Value)> Attributes, int After) ReadAttributes(string input, int i)
    {
        var attributes = new List<(string, string)>();
        while (i < input.Length)
        {
            while (i < input.Length && (char.IsWhiteSpace(input[i]) || input[i] == '/'))
            {
                i++;
            }

            if (i >= input.Length)
            {
                break;
            }

            if (input[i] == '>')
            {
                return (attributes, i + 1);
            }

            var start = i;
            while (i < input.Length && !char.IsWhiteSpace(input[i]) && input[i] is not ('=' or '>' or '/'))
            {
                i++;
            }

            var name = input[start..i].ToLowerInvariant();
            while (i < input.Length && char.IsWhiteSpace(input[i]))
            {
                i++;
            }

            var value = string.Empty;
            if (i < input.Length && input[i] == '=')
            {
                i++;
                while (i < input.Length && char.IsWhiteSpace(input[i]))
                {
                    i++;
                }

                if (i < input.Length && input[i] is '"' or '\'')
                {
                    var quote = input[i];
                    var close = input.IndexOf(quote, i + 1);
                    close = close < 0 ? input.Length : close;
                    value = input[(i + 1)..close];
                    i = Math.Min(close + 1, input.Length);
                }
                else
                {
                    var valueStart = i;
                    while (i < input.Length && !char.IsWhiteSpace(input[i]) && input[i] != '>')
                    {
                        i++;
                    }

                    value = input[valueStart..i];
                }
            }

            if (name.Length > 0)
            {
                attributes.Add((name, WebUtility.HtmlDecode(value)));
            }
        }

        return (attributes, input.Length);
    }

    private static int SkipPast(string input, int from, char c)
    {
        var at = input.IndexOf(c, from);
        return at < 0 ? input.Length : at + 1;
    }

    private static int SkipElementContent(string input, int from, string name)
    {
        var close = input.IndexOf("</" + name, from, StringComparison.OrdinalIgnoreCase);
        return close < 0 ? input.Length : SkipPast(input, close, '>');
    }

    /// <summary>Relative links, http(s) and mailto; images also cid: (inline mail parts). Never javascript:, data: or vbscript:.</summary>
    private static bool IsSafeUrl(string value, bool image)
    {
        var compact = new string(value.Where(c => !char.IsWhiteSpace(c) && !char.IsControl(c)).ToArray());
        var colon = compact.IndexOf(':', StringComparison.Ordinal);
        var firstSeparator = compact.IndexOfAny(['/', '?', '#']);
        if (colon < 0 || (firstSeparator >= 0 && firstSeparator < colon))
        {
            return !image && compact.Length > 0;
        }

        var scheme = compact[..colon].ToLowerInvariant();
        return image ? scheme is "http" or "https" or "cid" : scheme is "http" or "https" or "mailto";
    }

    private static string TidyText(string text)
    {
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n').Select(l => l.Trim());
        return BlankLines().Replace(string.Join('\n', lines), "\n\n").Trim();
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"\n{3,}")]
    private static partial Regex BlankLines();
}
