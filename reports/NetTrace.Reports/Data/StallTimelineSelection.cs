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

    public static IReadOnlyList<KindPoints> Select(IReadOnlyList<LatencyPoint> points, int columns, int rows, bool logY)
    {
        var result = new List<KindPoints>();
        foreach (var group in points.Where(p => double.IsFinite(p.Time) && double.IsFinite(p.LatencyMs))
                                    .GroupBy(p => p.Kind).OrderBy(g => KindOrder(g.Key)).ThenBy(g => g.Key, StringComparer.Ordinal))
        {
            var all = group.ToArray();
            var calm = all.Where(p => !p.InStall).ToArray();
            var xs = calm.Select(p => p.Time).ToArray();
            var ys = calm.Select(p => p.LatencyMs * 1000).ToArray();   // the downsampler bins microseconds like the other charts
            int[] keepCalm = calm.Length == 0 ? [] : Downsampler.Select(xs, ys, Percentiles.NearestRank(Percentiles.Sorted(ys), 99), columns, rows, logY);
            var kept = keepCalm.Select(i => calm[i]).Concat(all.Where(p => p.InStall)).OrderBy(p => p.Time).ToArray();
            result.Add(new KindPoints(group.Key, kept.Select(p => p.Time).ToArray(), kept.Select(p => p.LatencyMs).ToArray(),
                kept.Select(p => p.InStall).ToArray(), all.Length));
        }
        return result;
    }

    private static int KindOrder(string kind) => kind switch { "icmp" => 0, "tcp-syn" => 1, "rx-packet" => 2, _ => 3 };
}
