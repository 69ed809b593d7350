using NetTrace.Analyzer.Model;
using NetTrace.Reports.Data;
using ScottPlot;

namespace NetTrace.Reports.Charts;

/// <summary>
/// Latency of probes and packets over time with the stall windows shaded: the clusters of late points, each ending
/// in a burst released together, are what the story's load test saw. One colour per kind (ICMP echo, TCP SYN→SYN-ACK,
/// receive-path packet); points inside a stall are drawn larger and never thinned out.
/// </summary>
internal static class StallTimelineChart
{
    public static readonly Color Shade = Color.FromHex("#d7301f").WithAlpha(0.13);
    public static readonly Color RxPacket = Color.FromHex("#ff7f0e");

    public static Color ForKind(string kind) => kind switch
    {
        "icmp" => ChartStyle.Icmp,
        "tcp-syn" => ChartStyle.Handshake,
        "rx-packet" => RxPacket,
        _ => ChartStyle.Other,
    };

    public static string KindName(string kind) => kind switch
    {
        "icmp" => "ICMP echo",
        "tcp-syn" => "TCP SYN→SYN-ACK",
        "rx-packet" => "packet receive path",
        _ => kind,
    };

    public sealed record Result(ChartImage Chart, int Drawn, int Total, int Shaded);

    public static Result? Build(IReadOnlyList<LatencyPoint> timeline, IReadOnlyList<StallWindow> stalls, HtmlReportOptions o)
    {
        var finite = timeline.Where(p => double.IsFinite(p.Time) && double.IsFinite(p.LatencyMs)).ToList();
        if (finite.Count == 0) return null;
        double lo = finite.Where(p => p.LatencyMs > 0).Select(p => p.LatencyMs).DefaultIfEmpty(0.001).Min();
        double hi = finite.Max(p => p.LatencyMs);
        bool log = hi / Math.Max(lo, 1e-4) > 100;
        var kinds = StallTimelineSelection.Select(finite, Math.Max(1, o.ChartWidth / LatencyScatterChart.MarkerPixels),
            Math.Max(1, o.ScatterHeight / LatencyScatterChart.MarkerPixels), log);

        double origin = finite.Min(p => p.Time), last = finite.Max(p => p.Time);
        var (unit, unitName) = ChartStyle.TimeUnit(Math.Max(last - origin, 1e-3));
        double X(double t) => (t - origin) / unit;
        double Y(double ms) => log ? ChartStyle.LogMs(ms * 1000) : ms;

        var plt = ChartStyle.NewPlot();
        int shaded = 0;
        foreach (var s in stalls)
        {
            if (!double.IsFinite(s.Start) || !double.IsFinite(s.End) || s.End < origin || s.Start > last) continue;
            // A stall shorter than a pixel still gets a visible band.
            double x1 = X(s.Start), x2 = Math.Max(X(s.End), x1 + (last - origin) / unit / o.ChartWidth * 2);
            var span = plt.Add.HorizontalSpan(x1, x2, Shade);
            span.LineStyle.Width = 0;
            shaded++;
        }
        int drawn = 0;
        bool many = kinds.Sum(k => k.Times.Length) > 5000;
        foreach (var k in kinds)
        {
            drawn += k.Times.Length;
            var color = ForKind(k.Kind);
            var calm = Enumerable.Range(0, k.Times.Length).Where(i => !k.InStall[i]).ToArray();
            var late = Enumerable.Range(0, k.Times.Length).Where(i => k.InStall[i]).ToArray();
            if (calm.Length > 0)
            {
                var sp = plt.Add.ScatterPoints(calm.Select(i => X(k.Times[i])).ToArray(), calm.Select(i => Y(k.Ms[i])).ToArray(), color);
                sp.MarkerSize = many ? LatencyScatterChart.MarkerPixels + 0.5f : 4;
                sp.LegendText = $"{KindName(k.Kind)} ({Html.HtmlWriter.Int(k.Total)})";
            }
            if (late.Length > 0)
            {
                var sp = plt.Add.ScatterPoints(late.Select(i => X(k.Times[i])).ToArray(), late.Select(i => Y(k.Ms[i])).ToArray(), color);
                sp.MarkerSize = 6;
                sp.MarkerShape = MarkerShape.OpenCircle;
                if (calm.Length == 0) sp.LegendText = $"{KindName(k.Kind)} ({Html.HtmlWriter.Int(k.Total)})";
            }
        }
        plt.ShowLegend(Alignment.UpperRight);
        plt.Title($"Latency over time with {stalls.Count} stall window{(stalls.Count == 1 ? "" : "s")} shaded" + (log ? " (log scale)" : ""));
        plt.XLabel($"{unitName} since {Html.HtmlWriter.Utc(origin)}");
        plt.YLabel("latency");
        if (log) ChartStyle.UseLogMsAxis(plt.Axes.Left);
        else plt.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { LabelFormatter = ChartStyle.FormatMs };
        double xHi = Math.Max(last - origin, 1e-3) / unit;
        double yLo = Y(Math.Max(lo, 1e-4)), yHi = Y(hi);
        double pad = Math.Max((yHi - yLo) * 0.06, log ? 0.1 : yHi * 0.05 + 1e-3);
        plt.Axes.SetLimits(-xHi * 0.01, xHi * 1.01, log ? yLo - pad : Math.Min(0, yLo), yHi + pad);
        var chart = ChartImage.Render(plt, "chart-stall-timeline", "latency over time with stalls", o.ChartWidth, o.ScatterHeight, drawn, o.SvgPointLimit);
        return new Result(chart, drawn, finite.Count, shaded);
    }
}
