using NetTrace.Analyzer.Model;

namespace NetTrace.Reports.Data;

/// <summary>What several sections need, computed once: the latency series, their sorted values and percentiles.</summary>
internal sealed class ReportData
{
    public AnalysisResult Result { get; }
    public IReadOnlyList<SeriesStats> Series { get; }
    /// <summary>Earliest timestamp in the data (Unix seconds); chart time axes count from here.</summary>
    public double Origin { get; }
    public double End { get; }

    public ReportData(AnalysisResult result)
    {
        Result = result;
        var all = new[]
        {
            LatencySeries.HandshakeRtt(result.Handshakes),
            LatencySeries.SynToSynAck(result.Handshakes),
            LatencySeries.IcmpRtt(result.IcmpEchoes),
        };
        // Three independent sorts of up to a million values each: use both cores.
        var stats = new SeriesStats[all.Length];
        Parallel.For(0, all.Length, i => stats[i] = new SeriesStats(all[i]));
        Series = stats;
        (Origin, End) = TimeSpanOf(result);
    }

    private static (double, double) TimeSpanOf(AnalysisResult r)
    {
        double lo = double.PositiveInfinity, hi = double.NegativeInfinity;
        void Take(double t) { if (!double.IsFinite(t)) return; if (t < lo) lo = t; if (t > hi) hi = t; }
        foreach (var s in r.Sources)
        {
            if (s.FirstTime is { } f) Take(UnixSeconds(f));
            if (s.LastTime is { } l) Take(UnixSeconds(l));
        }
        foreach (var h in r.Handshakes) Take(h.SynTime);
        foreach (var e in r.IcmpEchoes) Take(e.RequestTime);
        return double.IsFinite(lo) ? (lo, hi) : (0, 0);
    }

    public static double UnixSeconds(DateTimeOffset t) => (t.UtcDateTime - DateTime.UnixEpoch).TotalSeconds;
}

internal sealed class SeriesStats
{
    public LatencySeries Series { get; }
    public double[] Sorted { get; }
    public PercentileRow? Row { get; }

    public SeriesStats(LatencySeries s)
    {
        Series = s;
        Sorted = Percentiles.Sorted(s.Micros);
        Row = Percentiles.Row(s, Sorted);
    }
}
