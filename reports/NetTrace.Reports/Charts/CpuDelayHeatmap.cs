using System.Globalization;
using System.Text;
using NetTrace.Reports.Data;
using static NetTrace.Reports.Html.HtmlText;

namespace NetTrace.Reports.Charts;

/// <summary>
/// The per-CPU NET_RX delay heatmap, drawn by hand as SVG: rows are CPUs, columns time cells, colour the worst
/// softirq raise→entry delay in the cell on a decade scale. A stall on one CPU is a dark mark in one row; a VM
/// pause darkens a whole column. Hand-built rather than a ScottPlot heatmap so each row is addressable
/// (g data-cpu="N"), cells carry a hover title without script, and runs of calm cells merge into one rect,
/// which keeps a 128-CPU, 120-column map to a few hundred KB.
/// </summary>
internal static class CpuDelayHeatmap
{
    /// <summary>Upper bounds (ms) of the colour bands; the last band is everything above the last bound.</summary>
    public static readonly double[] BandUpperMs = [0.1, 1, 10, 100, 1000];
    public static readonly string[] BandColors = ["#fff7ec", "#fdd49e", "#fc8d59", "#d7301f", "#990000", "#3d0000"];
    public static readonly string[] BandLabels = ["< 0.1 ms", "0.1–1 ms", "1–10 ms", "10–100 ms", "100 ms–1 s", "≥ 1 s"];
    public const string NoDataColor = "#e4e7eb";
    /// <summary>Cells from this band up get their own rect with a hover title; calmer ones merge.</summary>
    public const int TitledFromBand = 2;

    private const int Left = 70, Right = 16, Top = 34, XAxis = 46, LegendHeight = 34;
    private const string Font = "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\"";

    public static int Band(double ms)
    {
        for (int i = 0; i < BandUpperMs.Length; i++) if (ms < BandUpperMs[i]) return i;
        return BandUpperMs.Length;
    }

    public static ChartImage Build(CpuDelayGrid g, HtmlReportOptions o, string id = "chart-cpu-delay")
    {
        int width = Math.Max(400, o.ChartWidth);
        double plotW = width - Left - Right;
        double rowH = Math.Clamp(360.0 / g.Cpus.Length, 4, 28);
        double plotH = rowH * g.Cpus.Length;
        int height = (int)Math.Ceiling(Top + plotH + XAxis + LegendHeight + 8);
        double cellW = plotW / g.Columns;
        var (unit, unitName) = ChartStyle.TimeUnit(g.End - g.Start);

        var sb = new StringBuilder(64 * 1024);
        sb.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" " +
                  $"aria-label=\"worst NET_RX softirq delay per CPU over time\" {Font} font-size=\"12\">");
        sb.Append($"<rect x=\"0\" y=\"0\" width=\"{width}\" height=\"{height}\" fill=\"#ffffff\"/>");
        sb.Append($"<text x=\"{width / 2}\" y=\"20\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">" +
                  $"Worst NET_RX softirq delay per CPU ({g.Cpus.Length} CPUs, {g.Columns} cells of {Secs(g.BinSeconds)})</text>");

        int labelEvery = (int)Math.Ceiling(11.0 / rowH);
        int cells = 0;
        for (int r = 0; r < g.Cpus.Length; r++)
        {
            double y = Top + r * rowH;
            sb.Append($"<g data-cpu=\"{g.Cpus[r]}\">");
            int c = 0;
            while (c < g.Columns)
            {
                double v = g.WorstMs[r, c];
                int band = double.IsNaN(v) ? -1 : Band(v);
                int run = 1;
                if (band < TitledFromBand)
                    while (c + run < g.Columns && BandOf(g.WorstMs[r, c + run]) == band) run++;
                string fill = band < 0 ? NoDataColor : BandColors[band];
                sb.Append($"<rect x=\"{F(Left + c * cellW)}\" y=\"{F(y)}\" width=\"{F(cellW * run)}\" height=\"{F(rowH)}\" fill=\"{fill}\"");
                if (band >= TitledFromBand)
                    sb.Append($" data-ms=\"{F(v)}\"><title>CPU {g.Cpus[r]}, {Secs((c * g.BinSeconds))}–{Secs((c + 1) * g.BinSeconds)} " +
                              $"after the start: worst delay {Escape(ChartStyle.FormatMs(v))}</title></rect>");
                else sb.Append("/>");
                cells++;
                c += run;
            }
            sb.Append("</g>");
            if (r % labelEvery == 0)
                sb.Append($"<text x=\"{Left - 6}\" y=\"{F(y + rowH / 2 + 4)}\" text-anchor=\"end\">CPU {g.Cpus[r]}</text>");
        }
        sb.Append($"<rect x=\"{Left}\" y=\"{Top}\" width=\"{F(plotW)}\" height=\"{F(plotH)}\" fill=\"none\" stroke=\"#57606a\" stroke-width=\"1\"/>");

        // Time axis: a handful of round ticks in the unit the other charts use.
        double span = (g.End - g.Start) / unit;
        double step = NiceStep(span / 6);
        double axisY = Top + plotH;
        for (double t = 0; t <= span + 1e-9; t += step)
        {
            double x = Left + t / span * plotW;
            sb.Append($"<line x1=\"{F(x)}\" y1=\"{F(axisY)}\" x2=\"{F(x)}\" y2=\"{F(axisY + 5)}\" stroke=\"#57606a\"/>");
            sb.Append($"<text x=\"{F(x)}\" y=\"{F(axisY + 18)}\" text-anchor=\"middle\">{t.ToString("0.###", CultureInfo.InvariantCulture)}</text>");
        }
        sb.Append($"<text x=\"{F(Left + plotW / 2)}\" y=\"{F(axisY + 36)}\" text-anchor=\"middle\">{unitName} since {Escape(Html.HtmlWriter.Utc(g.Start))}</text>");
        sb.Append($"<text x=\"16\" y=\"{F(Top + plotH / 2)}\" text-anchor=\"middle\" transform=\"rotate(-90 16 {F(Top + plotH / 2)})\">CPU</text>");

        // Legend: one swatch per band, plus "no sample".
        double ly = axisY + XAxis + 6, lx = Left;
        sb.Append($"<text x=\"{lx}\" y=\"{F(ly + 12)}\">worst delay:</text>");
        lx += 90;
        for (int b = -1; b < BandColors.Length; b++)
        {
            string label = b < 0 ? "no sample" : BandLabels[b];
            sb.Append($"<rect x=\"{F(lx)}\" y=\"{F(ly)}\" width=\"16\" height=\"16\" fill=\"{(b < 0 ? NoDataColor : BandColors[b])}\" stroke=\"#57606a\" stroke-width=\"0.5\"/>");
            sb.Append($"<text x=\"{F(lx + 21)}\" y=\"{F(ly + 12)}\">{Escape(label)}</text>");
            lx += 32 + 7 * label.Length;
        }
        sb.Append("</svg>");
        string svg = sb.ToString();
        SvgGuard.Check(svg);
        return new ChartImage(id, svg, true, cells);
    }

    private static int BandOf(double v) => double.IsNaN(v) ? -1 : Band(v);

    internal static double NiceStep(double raw)
    {
        if (!(raw > 0)) return 1;
        double mag = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        foreach (var m in new[] { 1.0, 2, 5, 10 }) if (m * mag >= raw) return m * mag;
        return 10 * mag;
    }

    private static string F(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);
    private static string Secs(double s) => ChartStyle.FormatMs(s * 1000);
}
