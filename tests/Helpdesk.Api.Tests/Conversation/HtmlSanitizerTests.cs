using Helpdesk.Api.Conversation;

namespace Helpdesk.Api.Tests.Conversation;

public sealed class HtmlSanitizerTests
{
    [Theory]
    [InlineData("<p>Hi<script>alert(1)</script> there</p>", "<p>Hi there</p>")]
    [InlineData("<style>p{color:red}</style><p>Hi</p>", "<p>Hi</p>")]
    [InlineData("<iframe src=\"https://evil.test\"></iframe><p>Hi</p>", "<p>Hi</p>")]
    [InlineData("<object data=\"x.swf\"><p>inside</p></object><p>Hi</p>", "<p>Hi</p>")]
    [InlineData("<form action=\"https://evil.test\"><input name=\"pw\"><button>Go</button></form><p>Hi</p>", "<p>Hi</p>")]
    [InlineData("<p onclick=\"steal()\" style=\"x\">Hi</p>", "<p>Hi</p>")]
    [InlineData("<img src=x onerror=alert(1)>", "<img>")]
    [InlineData("<SCRIPT>alert(1)</SCRIPT>ok", "ok")]
    [InlineData("<!-- secret --><b>bold</b>", "<b>bold</b>")]
    [InlineData("<marquee>old</marquee>", "old")]
    [InlineData("<b>unclosed", "<b>unclosed</b>")]
    [InlineData("a < b & c", "a &lt; b &amp; c")]
    public void Unsafe_markup_is_removed_and_the_rest_kept(string input, string expected) =>
        HtmlSanitizer.Sanitize(input).Html.ShouldBe(expected);

    [Theory]
    [InlineData("javascript:alert(1)")]
    [InlineData(" JaVaScRiPt:alert(1)")]
    [InlineData("java\tscript:alert(1)")]
    [InlineData("&#106;avascript:alert(1)")]
    [InlineData("data:text/html;base64,PHNjcmlwdD4=")]
    [InlineData("vbscript:msgbox")]
    public void Script_links_lose_their_target(string href) =>
        HtmlSanitizer.Sanitize($"<a href=\"{href}\">click</a>").Html.ShouldBe("<a rel=\"nofollow noopener noreferrer\">click</a>");

    [Theory]
    [InlineData("https://contoso.com/kb?a=1&b=2", "https://contoso.com/kb?a=1&amp;b=2")]
    [InlineData("mailto:help@contoso.com", "mailto:help@contoso.com")]
    [InlineData("/kb/12", "/kb/12")]
    public void Ordinary_links_are_kept(string href, string stored) =>
        HtmlSanitizer.Sanitize($"<a href=\"{href}\" target=\"_blank\">kb</a>").Html.ShouldBe($"<a href=\"{stored}\" rel=\"nofollow noopener noreferrer\">kb</a>");

    [Fact]
    public void Attribute_values_cannot_break_out_of_their_quotes() =>
        HtmlSanitizer.Sanitize("<a title='x\" onmouseover=\"alert(1)' href=\"https://a.test\">t</a>").Html
            .ShouldBe("<a title=\"x&quot; onmouseover=&quot;alert(1)\" href=\"https://a.test\" rel=\"nofollow noopener noreferrer\">t</a>");

    [Fact]
    public void The_plain_text_rendering_keeps_paragraphs_and_list_items()
    {
        var body = HtmlSanitizer.Sanitize("<p>Hello <b>Alice</b>,</p><ul><li>one</li><li>two</li></ul><p>Bye&nbsp;now<br>Ada</p>");

        body.Text.ShouldBe("Hello Alice,\n\n- one\n- two\n\nBye now\nAda");
    }

    [Fact]
    public void Markup_that_leaves_nothing_is_empty()
    {
        HtmlSanitizer.Sanitize("<script>x</script>  ").IsEmpty.ShouldBeTrue();
        HtmlSanitizer.Sanitize("<img src=\"cid:logo\">").IsEmpty.ShouldBeFalse();
    }
}
