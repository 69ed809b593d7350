using NetTrace.Reports.Data;
using ScottPlot;

namespace NetTrace.Reports.Charts;

/// <summary>
/// Latency over time, one colour per measure. The chart that shows clusters (a backlog processed at once)
/// and the 1 s / 3 s bands of connects whose first SYN was lost.
/// </summary>
internal static class LatencyScatterChart
{
    public static ChartImage? Build(ReportData d, ReportOptions o, out string caption)
    {
        var present = d.Series.Where(s => s.Series.Count > 0).ToList();
        caption = "";
        if (present.Count == 0) return null;

        bool log = ChartStyle.WantsLog(present.Select(s => s.Sorted));
        var plt = ChartStyle.NewPlot();
        int plotted = 0, total = 0;
        double maxMs = 0;
        foreach (var s in present)
        {
            var series = s.Series;
            double p99 = s.Row!.P99;
            var keep = Downsampler.Select(series.Times, series.Micros, p99, o.ChartWidth, o.ScatterHeight, log);
            var xs = new double[keep.Length];
            var ys = new double[keep.Length];
            for (int i = 0; i < keep.Length; i++)
            {
                int k = keep[i];
                xs[i] = series.Times[k] - d.Origin;
                ys[i] = log ? ChartStyle.LogMs(series.Micros[k]) : series.Micros[k] / 1000.0;
            }
            var sp = plt.Add.ScatterPoints(xs, ys, ChartStyle.ForSeries(series.Name));
            sp.MarkerSize = keep.Length > 20000 ? 2.5f : 4;
            sp.LegendText = $"{series.Name} ({HtmlCount(series.Count)})";
            plotted += keep.Length;
            total += series.Count;
            maxMs = Math.Max(maxMs, s.Row.Max / 1000.0);
        }

        // The initial RTO (1 s on Linux, 3 s on older stacks) is where lost SYNs land: mark it when data reaches it.
        if (maxMs >= 500)
        {
            foreach (var rto in new[] { 1000.0, 3000.0 })
            {
                if (rto > maxMs * 1.5) continue;
                var line = plt.Add.HorizontalLine(log ? Math.Log10(rto) : rto, 1, ChartStyle.Reference, LinePattern.Dashed);
                line.LabelText = rto == 1000 ? "1 s RTO" : "3 s RTO";
            }
        }

        plt.Title("Latency over time" + (log ? " (log scale)" : ""));
        plt.XLabel($"seconds since {Html.HtmlWriter.Utc(d.Origin)}");
        plt.YLabel("latency");
        if (log) ChartStyle.UseLogMsAxis(plt.Axes.Left);
        else plt.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { LabelFormatter = ChartStyle.FormatMs };
        plt.ShowLegend(Alignment.UpperLeft);

        caption = plotted < total
            ? $"{HtmlCount(total)} measurements; {HtmlCount(plotted)} drawn. Every point above each measure's P99 is drawn; " +
              "below it, points that would land on an already covered pixel are left out, so the shape is unchanged."
            : $"{HtmlCount(total)} measurements, all drawn.";
        return ChartImage.Render(plt, "chart-latency-scatter", "Latency over time", o.ChartWidth, o.ScatterHeight, plotted, o.SvgPointLimit);
    }

    private static string HtmlCount(long n) => Html.HtmlWriter.Int(n);
}
