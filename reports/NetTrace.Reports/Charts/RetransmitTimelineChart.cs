using NetTrace.Reports.Data;
using ScottPlot;

namespace NetTrace.Reports.Charts;

/// <summary>Retransmitted SYNs per time bucket, stacked by kind, so a burst of 1 s RTOs stands out.</summary>
internal static class RetransmitTimelineChart
{
    private static readonly double[] NiceWidths =
        [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 86400];

    public const int MaxBuckets = 120;

    public static double BucketWidth(double span)
    {
        foreach (var w in NiceWidths) if (span / w <= MaxBuckets) return w;
        return Math.Ceiling(span / MaxBuckets / 86400) * 86400;
    }

    public static ChartImage? Build(IReadOnlyList<SynRetransmit> events, double origin, double end, HtmlReportOptions o)
    {
        if (events.Count == 0) return null;
        double first = Math.Min(origin, events.Min(e => e.Time));
        double last = Math.Max(end, events.Max(e => e.Time));
        double width = BucketWidth(Math.Max(last - first, 0.001));
        int buckets = (int)Math.Floor((last - first) / width) + 1;
        var kinds = Enum.GetValues<RetransmitKind>();
        var counts = new long[kinds.Length, buckets];
        foreach (var e in events)
            counts[(int)e.Kind, Math.Clamp((int)((e.Time - first) / width), 0, buckets - 1)]++;

        var (unit, unitName) = ChartStyle.TimeUnit(last - first);
        var plt = ChartStyle.NewPlot();
        var bars = new List<Bar>();
        for (int b = 0; b < buckets; b++)
        {
            double baseline = 0;
            foreach (var k in kinds)
            {
                long c = counts[(int)k, b];
                if (c == 0) continue;
                bars.Add(new Bar
                {
                    Position = ((b + 0.5) * width + (first - origin)) / unit, ValueBase = baseline, Value = baseline + c,
                    Size = width * 0.9 / unit, FillColor = ColorOf(k), LineWidth = 0,
                });
                baseline += c;
            }
        }
        plt.Add.Bars(bars);
        foreach (var k in kinds)
        {
            bool used = false;
            for (int b = 0; b < buckets && !used; b++) used = counts[(int)k, b] > 0;
            if (used) plt.Legend.ManualItems.Add(new LegendItem { LabelText = SynRetransmits.Label(k), FillColor = ColorOf(k) });
        }
        plt.ShowLegend(Alignment.UpperRight);
        plt.Title("Retransmitted SYNs over time");
        plt.XLabel($"{unitName} since {Html.HtmlWriter.Utc(origin)} (bars of {Html.HtmlWriter.Seconds(width)})");
        plt.YLabel("retransmitted SYNs");
        plt.Axes.Margins(bottom: 0);
        return ChartImage.Render(plt, "chart-syn-retransmits", "Retransmitted SYNs over time",
            o.ChartWidth, o.SmallChartHeight, bars.Count, o.SvgPointLimit);
    }

    internal static Color ColorOf(RetransmitKind k) => k switch
    {
        RetransmitKind.InitialRto1s => ChartStyle.Rto1s,
        RetransmitKind.InitialRto3s => ChartStyle.Rto3s,
        RetransmitKind.Backoff => ChartStyle.Backoff,
        RetransmitKind.FirstOtherGap => ChartStyle.SynAck,
        _ => ChartStyle.Other,
    };
}
