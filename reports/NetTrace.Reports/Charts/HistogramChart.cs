using NetTrace.Reports.Data;
using ScottPlot;

namespace NetTrace.Reports.Charts;

/// <summary>
/// Distribution of one latency measure. With a log axis the bins are log-spaced (10 per decade), so a
/// sub-millisecond mode and a 1 s retransmission band both show as peaks instead of one bar and a flat line.
/// </summary>
internal static class HistogramChart
{
    public const int BinsPerDecade = 10;
    public const int LinearBins = 60;

    public static ChartImage? Build(SeriesStats s, HtmlReportOptions o, string id)
    {
        if (s.Series.Count == 0) return null;
        bool log = ChartStyle.WantsLog([s.Sorted]);
        var (centers, counts, width) = log ? LogBins(s.Sorted) : LinearBinsOf(s.Sorted);

        var plt = ChartStyle.NewPlot();
        var bars = new List<Bar>(centers.Length);
        var color = ChartStyle.ForSeries(s.Series.Name);
        for (int i = 0; i < centers.Length; i++)
        {
            if (counts[i] == 0) continue;
            bars.Add(new Bar { Position = centers[i], Value = counts[i], Size = width * 0.92, FillColor = color, LineWidth = 0 });
        }
        plt.Add.Bars(bars);

        var row = s.Row!;
        // Percentile markers go in the legend, not on the axis, where their labels would cover ticks or the title.
        foreach (var (label, v, lineColor) in new[] { ("P50", row.P50, ChartStyle.P50), ("P99", row.P99, ChartStyle.P99), ("P99.9", row.P999, ChartStyle.P999) })
        {
            var line = plt.Add.VerticalLine(log ? ChartStyle.LogMs(v) : v / 1000.0, 1.5f, lineColor, LinePattern.Solid);
            line.LegendText = $"{label} {ChartStyle.FormatMs(v / 1000.0)}";
        }
        plt.ShowLegend(Alignment.UpperRight);
        plt.Title($"{s.Series.Name}: distribution" + (log ? " (log scale)" : ""));
        plt.XLabel("latency");
        plt.YLabel("count");
        if (log) ChartStyle.UseLogMsAxis(plt.Axes.Bottom);
        else plt.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { LabelFormatter = ChartStyle.FormatMs };
        plt.Axes.Margins(bottom: 0);
        return ChartImage.Render(plt, id, $"{s.Series.Name} histogram", o.ChartWidth, o.SmallChartHeight, bars.Count, o.SvgPointLimit);
    }

    /// <summary>Bins on log10(ms), edges on whole tenths of a decade.</summary>
    internal static (double[] centers, long[] counts, double width) LogBins(double[] sortedMicros)
    {
        double lo = Math.Floor(ChartStyle.LogMs(sortedMicros[0]) * BinsPerDecade) / BinsPerDecade;
        double hi = ChartStyle.LogMs(sortedMicros[^1]);
        int n = Math.Max(1, (int)Math.Floor((hi - lo) * BinsPerDecade) + 1);
        var counts = new long[n];
        foreach (var v in sortedMicros)
            counts[Math.Clamp((int)((ChartStyle.LogMs(v) - lo) * BinsPerDecade), 0, n - 1)]++;
        var centers = Enumerable.Range(0, n).Select(i => lo + (i + 0.5) / BinsPerDecade).ToArray();
        return (centers, counts, 1.0 / BinsPerDecade);
    }

    internal static (double[] centers, long[] counts, double width) LinearBinsOf(double[] sortedMicros)
    {
        double lo = sortedMicros[0] / 1000.0, hi = sortedMicros[^1] / 1000.0;
        double width = hi > lo ? (hi - lo) / LinearBins : Math.Max(lo * 0.01, 0.001);
        int n = hi > lo ? LinearBins : 1;
        var counts = new long[n];
        foreach (var v in sortedMicros)
            counts[Math.Clamp((int)((v / 1000.0 - lo) / width), 0, n - 1)]++;
        var centers = Enumerable.Range(0, n).Select(i => lo + (i + 0.5) * width).ToArray();
        return (centers, counts, width);
    }
}
