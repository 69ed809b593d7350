using NetTrace.Reports.Data;
using ScottPlot;

namespace NetTrace.Reports.Charts;

/// <summary>
/// Latency over time, one panel per measure on the same time and latency axes, so a stall shows up in the
/// same place in every panel and one measure's points never hide another's (handshake RTT and SYN→SYN-ACK
/// differ by microseconds and would sit on top of each other in one panel). This is the chart that shows
/// clusters (a backlog processed at once) and the 1 s / 3 s bands of connects whose first SYN was lost.
/// </summary>
internal static class LatencyScatterChart
{
    public sealed record Panel(ChartImage Chart, string Caption);

    /// <summary>Marker size (pixels) when there are many points, and the downsampling cell size that goes with it.</summary>
    public const int MarkerPixels = 2;

    public static IReadOnlyList<Panel> Build(ReportData d, HtmlReportOptions o)
    {
        var present = d.Series.Where(s => s.Series.Count > 0).ToList();
        if (present.Count == 0) return [];

        bool log = ChartStyle.WantsLog(present.Select(s => s.Sorted));
        double yLo = present.Min(s => Y(s.Sorted[0], log)), yHi = present.Max(s => Y(s.Sorted[^1], log));
        var (unit, unitName) = ChartStyle.TimeUnit(d.End - d.Origin);
        double xHi = Math.Max(d.End - d.Origin, 1e-3) / unit;
        double maxMs = present.Max(s => s.Sorted[^1]) / 1000.0;
        double yPad = Math.Max((yHi - yLo) * 0.05, log ? 0.1 : yHi * 0.05 + 1e-3);

        var panels = new List<Panel>();
        foreach (var s in present)
        {
            var series = s.Series;
            // Grid cells of MarkerPixels x MarkerPixels: a marker that size covers its cell, so one per cell draws the same picture.
            var keep = Downsampler.Select(series.Times, series.Micros, s.Row!.P99,
                Math.Max(1, o.ChartWidth / MarkerPixels), Math.Max(1, o.ScatterHeight / MarkerPixels), log);
            var xs = new double[keep.Length];
            var ys = new double[keep.Length];
            for (int i = 0; i < keep.Length; i++)
            {
                xs[i] = (series.Times[keep[i]] - d.Origin) / unit;
                ys[i] = Y(series.Micros[keep[i]], log);
            }

            var plt = ChartStyle.NewPlot();
            // The initial RTO (1 s on Linux, 3 s on older stacks) is where connects with a lost SYN land.
            if (maxMs >= 500)
                foreach (var rto in new[] { 1000.0, 3000.0 })
                    if (rto <= maxMs * 1.5) plt.Add.HorizontalLine(log ? Math.Log10(rto) : rto, 1, ChartStyle.Reference, LinePattern.Solid);
            var sp = plt.Add.ScatterPoints(xs, ys, ChartStyle.ForSeries(series.Name));
            sp.MarkerSize = keep.Length > 5000 ? MarkerPixels + 0.5f : 4;

            plt.Title($"{series.Name}: {Html.HtmlWriter.Int(series.Count)} measurements" + (log ? " (log scale)" : ""));
            plt.XLabel($"{unitName} since {Html.HtmlWriter.Utc(d.Origin)}");
            plt.YLabel("latency");
            if (log) ChartStyle.UseLogMsAxis(plt.Axes.Left);
            else plt.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { LabelFormatter = ChartStyle.FormatMs };
            plt.Axes.SetLimits(-xHi * 0.01, xHi * 1.01, yLo - yPad, yHi + yPad);

            string caption = keep.Length < series.Count
                ? $"{Html.HtmlWriter.Int(keep.Length)} of {Html.HtmlWriter.Int(series.Count)} points drawn: every point above P99 " +
                  $"({Html.HtmlWriter.Ms(s.Row.P99)} ms) is drawn; below it, points that would land on an already covered spot are left out, so the shape is unchanged."
                : $"All {Html.HtmlWriter.Int(series.Count)} points drawn.";
            if (maxMs >= 500) caption += " Grey lines: 1 s and 3 s, where connects whose first SYN was lost land (initial RTO and its first backoff).";
            var id = "chart-latency-" + Slug(series.Name);
            panels.Add(new Panel(ChartImage.Render(plt, id, $"{series.Name} over time", o.ChartWidth, o.ScatterHeight, keep.Length, o.SvgPointLimit), caption));
        }
        return panels;
    }

    private static double Y(double micros, bool log) => log ? ChartStyle.LogMs(micros) : micros / 1000.0;

    public static string Slug(string seriesName) => seriesName switch
    {
        LatencySeries.HandshakeName => "handshake",
        LatencySeries.SynAckName => "synack",
        _ => "icmp",
    };
}
