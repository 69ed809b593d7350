using NetTrace.Reports.Charts;
using ScottPlot;
using Xunit;

namespace NetTrace.Reports.Tests;

public class SvgGuardTests
{
    [Theory]
    [InlineData("<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>")]
    [InlineData("<svg xmlns=\"http://www.w3.org/2000/svg\"><foreignObject><div/></foreignObject></svg>")]
    [InlineData("<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"></svg>")]
    [InlineData("<svg xmlns=\"http://www.w3.org/2000/svg\"><image href=\"https://example.com/x.png\"/></svg>")]
    [InlineData("<svg xmlns=\"http://www.w3.org/2000/svg\"><text>unclosed</svg>")]
    [InlineData("<html><svg/></html>")]
    public void Refuses_active_or_broken_svg(string svg) =>
        Assert.ThrowsAny<Exception>(() => SvgGuard.Check(svg));

    [Fact]
    public void Accepts_plain_drawing() =>
        SvgGuard.Check("<svg xmlns=\"http://www.w3.org/2000/svg\"><rect x=\"1\" y=\"1\" width=\"2\" height=\"2\"/><text>&lt;b&gt;</text></svg>");

    [Fact]
    public void ScottPlot_svg_text_with_markup_stays_text()
    {
        // If a capture-derived label ever reaches a chart title, ScottPlot's SVG must carry it as escaped text.
        var plt = new Plot();
        plt.Add.ScatterPoints(new double[] { 1, 2 }, new double[] { 3, 4 });
        plt.Title(TestModels.ScriptPayload);
        plt.XLabel(TestModels.MarkupPayload);
        string svg = plt.GetSvgXml(400, 300);
        SvgGuard.Check(svg);
        Assert.DoesNotContain("<script", svg, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<img", svg, StringComparison.OrdinalIgnoreCase);
    }
}
