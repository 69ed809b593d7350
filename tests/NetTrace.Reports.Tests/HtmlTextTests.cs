using NetTrace.Reports.Html;
using Xunit;

namespace NetTrace.Reports.Tests;

public class HtmlTextTests
{
    [Theory]
    [InlineData("plain text", "plain text")]
    [InlineData("<script>", "&lt;script&gt;")]
    [InlineData("a & b", "a &amp; b")]
    [InlineData("\"q\" 'q'", "&quot;q&quot; &#39;q&#39;")]
    [InlineData("x\0y", "x&#xFFFD;y")]
    [InlineData("", "")]
    [InlineData(null, "")]
    public void Escapes_markup_characters(string? input, string expected) => Assert.Equal(expected, HtmlText.Escape(input));

    [Fact]
    public void Escaped_text_has_no_markup_characters_left()
    {
        var s = HtmlText.Escape(TestModels.ScriptPayload + TestModels.MarkupPayload + TestModels.PodPayload);
        Assert.DoesNotContain('<', s);
        Assert.DoesNotContain('>', s);
        Assert.DoesNotContain('"', s);
        Assert.DoesNotContain('\'', s);
    }
}
