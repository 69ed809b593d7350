using NetTrace.Reports.Data;
using ScottPlot;

namespace NetTrace.Reports.Charts;

/// <summary>
/// Connect time against when the connect started. A connect whose SYN lost the NAT race is answered only after the
/// 1 s initial RTO, so losers form a band at 1 s (3 s when the retransmit lost too) above the clean connects.
/// </summary>
internal static class SnatRaceTimelineChart
{
    /// <summary>Every connect slower than this is drawn; the band must never be thinned away.</summary>
    public const double KeepAllAboveMicros = 500_000;

    public static ChartImage? Build(LatencySeries s, HtmlReportOptions o)
    {
        if (s.Count == 0) return null;
        double origin = s.Times.Min(), span = Math.Max(s.Times.Max() - origin, 1e-3);
        var (unit, unitName) = ChartStyle.TimeUnit(span);
        var keep = Downsampler.Select(s.Times, s.Micros, KeepAllAboveMicros,
            Math.Max(1, o.ChartWidth / LatencyScatterChart.MarkerPixels), Math.Max(1, o.ScatterHeight / LatencyScatterChart.MarkerPixels), logY: true);
        var fastX = new List<double>(); var fastY = new List<double>();
        var slowX = new List<double>(); var slowY = new List<double>();
        foreach (int i in keep)
        {
            bool slow = s.Micros[i] > KeepAllAboveMicros;
            (slow ? slowX : fastX).Add((s.Times[i] - origin) / unit);
            (slow ? slowY : fastY).Add(ChartStyle.LogMs(s.Micros[i]));
        }
        var plt = ChartStyle.NewPlot();
        foreach (var rto in new[] { 1000.0, 3000.0 })
            plt.Add.HorizontalLine(Math.Log10(rto), 1, ChartStyle.Reference, LinePattern.Solid);
        if (fastX.Count > 0) plt.Add.ScatterPoints(fastX.ToArray(), fastY.ToArray(), ChartStyle.Handshake).MarkerSize = keep.Length > 5000 ? 2.5f : 4;
        if (slowX.Count > 0) plt.Add.ScatterPoints(slowX.ToArray(), slowY.ToArray(), ChartStyle.Rto1s).MarkerSize = 5;
        plt.Title($"Connect time of {Html.HtmlWriter.Int(s.Count)} connects (log scale)");
        plt.XLabel($"{unitName} since {Html.HtmlWriter.Utc(origin)}");
        plt.YLabel("connect time");
        ChartStyle.UseLogMsAxis(plt.Axes.Left);
        double yLo = Math.Min(ChartStyle.LogMs(s.Micros.Min()), 0) - 0.2;
        double yHi = Math.Max(ChartStyle.LogMs(s.Micros.Max()), Math.Log10(3000)) + 0.2;
        plt.Axes.SetLimits(-span / unit * 0.01, span / unit * 1.01, yLo, yHi);
        return ChartImage.Render(plt, "chart-snat-race", "connect time over time", o.ChartWidth, o.ScatterHeight, keep.Length, o.SvgPointLimit);
    }
}
