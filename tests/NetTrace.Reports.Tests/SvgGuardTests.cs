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

public class SvgIdsTests
{
    [Fact]
    public void Ids_and_their_references_are_renamed_per_chart()
    {
        var svg = "<svg><clipPath id=\"cl_1b\"><rect/></clipPath><g clip-path=\"url(#cl_1b)\"/><use href=\"#cl_1b\"/><g clip-path=\"url(#elsewhere)\"/></svg>";
        var scoped = SvgIds.Scope(svg, "chart-a");
        Assert.Equal("<svg><clipPath id=\"chart-a-1\"><rect/></clipPath><g clip-path=\"url(#chart-a-1)\"/><use href=\"#chart-a-1\"/><g clip-path=\"url(#chart-a-missing)\"/></svg>", scoped);
    }

    [Fact]
    public void A_report_has_unique_ids()
    {
        var html = HtmlReport.Render(TestModels.Hostile());
        var ids = System.Text.RegularExpressions.Regex.Matches(html, "\\bid=\"([^\"]+)\"").Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(ids);
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }
}
