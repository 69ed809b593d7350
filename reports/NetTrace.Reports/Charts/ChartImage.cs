using ScottPlot;

namespace NetTrace.Reports.Charts;

/// <summary>
/// A rendered chart ready to inline: SVG when the plot has few enough marks to stay small, otherwise a PNG
/// data URI (an SVG with a hundred thousand circles is megabytes and slow to open).
/// </summary>
public sealed record ChartImage(string Id, string Markup, bool IsSvg, int PlottedPoints)
{
    public static ChartImage Render(Plot plot, string id, string alt, int width, int height, int plottedPoints, int svgPointLimit)
    {
        if (plottedPoints <= svgPointLimit)
        {
            string svg = plot.GetSvgXml(width, height);
            SvgGuard.Check(svg);
            // Inline SVG lives in an HTML document, where an XML declaration is a stray bogus comment.
            if (svg.StartsWith("<?xml", StringComparison.Ordinal)) svg = svg[(svg.IndexOf("?>", StringComparison.Ordinal) + 2)..].TrimStart();
            svg = SvgIds.Scope(svg, id);
            return new ChartImage(id, svg, true, plottedPoints);
        }
        byte[] png = plot.GetImageBytes(width, height, ImageFormat.Png);
        string img = $"<img alt=\"{Html.HtmlText.Escape(alt)}\" width=\"{width}\" height=\"{height}\" " +
                     $"src=\"data:image/png;base64,{Convert.ToBase64String(png)}\">";
        return new ChartImage(id, img, false, plottedPoints);
    }

    /// <summary>The figure element the report embeds; caption is escaped.</summary>
    public string Figure(string caption) =>
        $"<figure class=\"chart\" id=\"{Id}\">{Markup}<figcaption class=\"caption\">{Html.HtmlText.Escape(caption)}</figcaption></figure>\n";
}
