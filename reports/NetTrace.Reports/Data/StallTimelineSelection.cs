using NetTrace.Analyzer.Model;

namespace NetTrace.Reports.Data;

/// <summary>
/// Which latency points the stall timeline draws: every point inside a stall (the clusters are the story), and
/// the rest thinned per kind like the other scatter charts (<see cref="Downsampler"/>: all points above the kind's
/// P99, one per occupied pixel cell below it).
/// </summary>
internal static class StallTimelineSelection
{
    public sealed record KindPoints(string Kind, double[] Times, double[] Ms, bool[] InStall, int Total);

    /// <param name="columns">pixel cells across the whole plot</param>
    /// <param name="rows">pixel cells up the whole plot</param>
    public static IReadOnlyList<KindPoints> Select(IReadOnlyList<LatencyPoint> points, int columns, int rows, bool logY)
    {
        var byKind = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        double xLo = double.PositiveInfinity, xHi = double.NegativeInfinity, yLo = double.PositiveInfinity, yHi = double.NegativeInfinity;
        for (int i = 0; i < points.Count; i++)
        {
            var p = points[i];
            if (!double.IsFinite(p.Time) || !double.IsFinite(p.LatencyMs)) continue;
            if (!byKind.TryGetValue(p.Kind, out var list)) byKind[p.Kind] = list = [];
            list.Add(i);
            double y = Downsampler.Scale(p.LatencyMs * 1000, logY);
            xLo = Math.Min(xLo, p.Time); xHi = Math.Max(xHi, p.Time);
            yLo = Math.Min(yLo, y); yHi = Math.Max(yHi, y);
        }

        var result = new List<KindPoints>(byKind.Count);
        foreach (var (kind, idx) in byKind.OrderBy(k => KindOrder(k.Key)).ThenBy(k => k.Key, StringComparer.Ordinal))
        {
            var calm = idx.Where(i => !points[i].InStall).ToArray();
            var keep = new List<int>(idx.Count - calm.Length + 1024);
            foreach (int i in idx) if (points[i].InStall) keep.Add(i);
            if (calm.Length > 0)
            {
                var xs = new double[calm.Length];
                var ys = new double[calm.Length];
                double cxLo = double.PositiveInfinity, cxHi = double.NegativeInfinity, cyLo = double.PositiveInfinity, cyHi = double.NegativeInfinity;
                for (int j = 0; j < calm.Length; j++)
                {
                    xs[j] = points[calm[j]].Time;
                    ys[j] = points[calm[j]].LatencyMs * 1000;   // the downsampler bins microseconds like the other charts
                    double y = Downsampler.Scale(ys[j], logY);
                    cxLo = Math.Min(cxLo, xs[j]); cxHi = Math.Max(cxHi, xs[j]);
                    cyLo = Math.Min(cyLo, y); cyHi = Math.Max(cyHi, y);
                }
                // The downsampler spreads its grid over the calm points' own range; the chart spreads the plot over all
                // points (stalls reach far higher). Shrink the grid to the share of the plot the calm points occupy,
                // so one kept point still stands for about one pixel cell.
                int cols = Cells(columns, cxHi - cxLo, xHi - xLo);
                int rws = Cells(rows, cyHi - cyLo, yHi - yLo);
                double p99 = Percentiles.NearestRank(Percentiles.Sorted(ys), 99);
                foreach (int j in Downsampler.Select(xs, ys, p99, cols, rws, logY)) keep.Add(calm[j]);
            }
            keep.Sort((a, b) => points[a].Time.CompareTo(points[b].Time));
            result.Add(new KindPoints(kind, keep.Select(i => points[i].Time).ToArray(), keep.Select(i => points[i].LatencyMs).ToArray(),
                keep.Select(i => points[i].InStall).ToArray(), idx.Count));
        }
        return result;
    }

    private static int Cells(int full, double part, double whole) =>
        whole > 0 ? Math.Clamp((int)Math.Ceiling(full * part / whole), 1, full) : 1;

    private static int KindOrder(string kind) => kind switch { "icmp" => 0, "tcp-syn" => 1, "rx-packet" => 2, _ => 3 };
}
