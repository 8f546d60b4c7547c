using System.Text;
using System.Text.RegularExpressions;
using AngleSharp;
using AngleSharp.Dom;
using Ganss.Xss;

namespace Helpdesk.Api.Conversation;

/// <summary>A message body as stored: sanitised HTML, and the same content as plain text.</summary>
public sealed record SanitizedBody(string Html, string Text)
{
    public bool IsEmpty => Text.Length == 0 && !Html.Contains("<img", StringComparison.Ordinal);
}

/// <summary>
/// Message bodies made safe by the HtmlSanitizer library, which reads markup with AngleSharp's
/// HTML5 parser as a browser would (so broken nesting, entity tricks and mutation XSS end up
/// where a browser puts them) and writes the cleaned tree back out. Configured with the
/// helpdesk's allow-list: only the formatting tags below survive, with only the attributes
/// listed for each; script, style, frames, objects, forms, SVG and MathML are dropped with their
/// content, other unknown tags give way to their content; no on* handler, style or class
/// survives; links keep only http, https, mailto or relative targets and images only http, https
/// or cid: sources. Links get <c>rel="nofollow noopener noreferrer"</c>. The plain-text
/// rendering is made from the cleaned tree.
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
    private static readonly HashSet<string> DroppedWithContent = new(StringComparer.OrdinalIgnoreCase)
    {
        "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "form", "noscript", "template",
        "textarea", "select", "button", "svg", "math", "head", "title", "noembed", "noframes", "xmp", "plaintext",
    };

    private static readonly HashSet<string> Block = new(StringComparer.Ordinal)
    {
        "p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "hr", "table", "ul", "ol",
    };

    /// <summary>Blocks that end with a line break in the text (list items and rows only start one).</summary>
    private static readonly HashSet<string> BlockEnd = new(StringComparer.Ordinal)
    {
        "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "ul", "ol",
    };

    /// <summary>Configured once; its Sanitize methods are safe to call from many threads.</summary>
    private static readonly Ganss.Xss.HtmlSanitizer Library = Create();

    public static SanitizedBody Sanitize(string input)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var document = Library.SanitizeDom(input);
        if (document.Body is not { } body)
        {
            return new SanitizedBody(string.Empty, string.Empty);
        }

        foreach (var element in body.QuerySelectorAll("*"))
        {
            KeepOwnAttributes(element);
        }

        var text = new StringBuilder();
        AppendText(body, text, preformatted: false);
        return new SanitizedBody(body.ChildNodes.ToHtml(HtmlFormatter.Instance), TidyText(text.ToString()));
    }

    private static Ganss.Xss.HtmlSanitizer Create()
    {
        var sanitizer = new Ganss.Xss.HtmlSanitizer(new HtmlSanitizerOptions
        {
            AllowedTags = new HashSet<string>(Allowed.Keys, StringComparer.OrdinalIgnoreCase),
            AllowedAttributes = new HashSet<string>(Allowed.Values.SelectMany(a => a), StringComparer.OrdinalIgnoreCase),
            AllowedSchemes = new HashSet<string>(["http", "https", "mailto", "cid"], StringComparer.OrdinalIgnoreCase),
            UriAttributes = new HashSet<string>(HtmlSanitizerDefaults.UriAttributes, StringComparer.OrdinalIgnoreCase),
            UriListAttributes = new HashSet<string>(HtmlSanitizerDefaults.UriListAttributes, StringComparer.OrdinalIgnoreCase),
        })
        {
            KeepChildNodes = true,
        };
        sanitizer.RemovingTag += (_, e) =>
        {
            if (DroppedWithContent.Contains(e.Tag.LocalName))
            {
                e.Cancel = true;
                e.Tag.Remove();
            }
        };
        sanitizer.FilterUrl += (_, e) =>
        {
            if (e.SanitizedUrl is { } url && !IsSafeUrl(url, image: e.Tag.LocalName == "img"))
            {
                e.SanitizedUrl = null;
            }
        };
        return sanitizer;
    }

    /// <summary>The library allows an attribute on every allowed tag; each tag keeps only its own.</summary>
    private static void KeepOwnAttributes(IElement element)
    {
        var own = Allowed.TryGetValue(element.LocalName, out var listed) ? listed : [];
        foreach (var attribute in element.Attributes.Where(a => !own.Contains(a.Name)).ToList())
        {
            element.RemoveAttribute(attribute.Name);
        }

        if (element.LocalName == "a")
        {
            element.SetAttribute("rel", "nofollow noopener noreferrer");
        }
    }

    /// <summary>
    /// What the library let through (an allowed scheme, or no scheme) narrowed per tag: links
    /// relative, http(s) or mailto; images http(s) or cid: (inline mail parts), never relative.
    /// </summary>
    private static bool IsSafeUrl(string url, bool image)
    {
        var colon = url.IndexOf(':', StringComparison.Ordinal);
        var firstSeparator = url.IndexOfAny(['/', '?', '#']);
        if (colon < 0 || (firstSeparator >= 0 && firstSeparator < colon))
        {
            return !image && url.Trim().Length > 0;
        }

        var scheme = url[..colon].Trim().ToLowerInvariant();
        return image ? scheme is "http" or "https" or "cid" : scheme is "http" or "https" or "mailto";
    }

    private static void AppendText(INode node, StringBuilder text, bool preformatted)
    {
        foreach (var child in node.ChildNodes)
        {
            if (child is IText part)
            {
                text.Append(preformatted ? part.Data : Whitespace().Replace(part.Data, " "));
                continue;
            }

            if (child is not IElement element)
            {
                continue;
            }

            var name = element.LocalName;
            if (Block.Contains(name))
            {
                text.Append('\n');
            }

            if (name == "li")
            {
                text.Append("- ");
            }

            AppendText(element, text, preformatted || name == "pre");
            if (BlockEnd.Contains(name))
            {
                text.Append('\n');
            }
        }
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
