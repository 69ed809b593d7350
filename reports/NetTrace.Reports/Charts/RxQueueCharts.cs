using NetTrace.Analyzer.Model;
using ScottPlot;

namespace NetTrace.Reports.Charts;

/// <summary>
/// Per-RX-queue bars: how the RSS hash spreads flows (ICMP and TCP stacked; all ICMP between two hosts hashes to
/// one queue) and where the delayed packets were, with the queue the stalls concentrate on in red.
/// </summary>
internal static class RxQueueCharts
{
    public static readonly Color Hot = ChartStyle.Rto1s;
    public static readonly Color Calm = Color.FromHex("#6e7781");
    public static readonly Color OtherFlows = Color.FromHex("#c7ccd1");

    public static ChartImage? Flows(IReadOnlyList<RxQueueAttribution> queues, HtmlReportOptions o)
    {
        if (queues.Count == 0) return null;
        var plt = ChartStyle.NewPlot();
        var bars = new List<Bar>();
        foreach (var q in queues)
        {
            int other = Math.Max(0, q.Flows - q.IcmpFlows - q.TcpFlows);
            double baseline = 0;
            foreach (var (n, color) in new[] { (q.IcmpFlows, ChartStyle.Icmp), (q.TcpFlows, ChartStyle.Handshake), (other, OtherFlows) })
            {
                if (n == 0) continue;
                bars.Add(new Bar { Position = q.Queue, ValueBase = baseline, Value = baseline + n, FillColor = color, LineWidth = 0, Size = 0.7 });
                baseline += n;
            }
        }
        plt.Add.Bars(bars);
        plt.Legend.ManualItems.Add(new LegendItem { LabelText = "ICMP flows", FillColor = ChartStyle.Icmp });
        plt.Legend.ManualItems.Add(new LegendItem { LabelText = "TCP flows", FillColor = ChartStyle.Handshake });
        if (queues.Any(q => q.Flows > q.IcmpFlows + q.TcpFlows)) plt.Legend.ManualItems.Add(new LegendItem { LabelText = "other flows", FillColor = OtherFlows });
        plt.ShowLegend(Alignment.UpperRight);
        Style(plt, queues, "Flows per RX queue (RSS hash)", "flows");
        return ChartImage.Render(plt, "chart-rxq-flows", "flows per RX queue", o.ChartWidth, o.SmallChartHeight, bars.Count, o.SvgPointLimit);
    }

    public static ChartImage? Delayed(IReadOnlyList<RxQueueAttribution> queues, RxQueueAttribution? hot, HtmlReportOptions o)
    {
        if (queues.Count == 0 || queues.All(q => q.DelayedPackets == 0 && q.Stalls == 0)) return null;
        var plt = ChartStyle.NewPlot();
        var bars = queues.Select(q => new Bar
        {
            Position = q.Queue, Value = q.DelayedPackets, Size = 0.7, LineWidth = 0,
            FillColor = hot != null && q.Queue == hot.Queue ? Hot : Calm,
            Label = q.Stalls == 0 ? "" : $"{q.Stalls} stall{(q.Stalls == 1 ? "" : "s")}",
        }).ToList();
        var bp = plt.Add.Bars(bars);
        bp.ValueLabelStyle.FontSize = 12;
        Style(plt, queues, "Delayed packets per RX queue (label: stalls on the queue)", "delayed packets");
        plt.Axes.Margins(bottom: 0, top: 0.15);
        return ChartImage.Render(plt, "chart-rxq-delayed", "delayed packets per RX queue", o.ChartWidth, o.SmallChartHeight, bars.Count, o.SvgPointLimit);
    }

    private static void Style(Plot plt, IReadOnlyList<RxQueueAttribution> queues, string title, string yLabel)
    {
        plt.Title(title);
        plt.XLabel("RX queue");
        plt.YLabel(yLabel);
        // One tick per queue up to 32 queues; beyond that the automatic ticks stay readable.
        if (queues.Count <= 32)
        {
            var ticks = queues.Select(q => new Tick(q.Queue, q.Queue.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToArray();
            plt.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks);
        }
        plt.Axes.Margins(bottom: 0);
    }
}
