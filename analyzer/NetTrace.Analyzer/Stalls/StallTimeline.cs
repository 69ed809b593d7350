using NetTrace.Analyzer.Model;

namespace NetTrace.Analyzer.Stalls;

/// <summary>
/// The latency timeline the report draws: every probe inside a stall, and outside stalls the slowest probe of each
/// time slice, so a busy capture gives a few thousand points that still show the baseline and its outliers.
/// </summary>
internal static class StallTimeline
{
    public static IReadOnlyList<LatencyPoint> Of(Probe[] probes, List<ProbePair> pairs, int maxPoints)
    {
        if (probes.Length == 0) return [];
        double first = double.MaxValue, last = double.MinValue;
        foreach (var p in probes) { first = Math.Min(first, p.Time); last = Math.Max(last, p.Time); }

        var keep = new List<int>();
        if (probes.Length <= maxPoints)
        {
            for (int i = 0; i < probes.Length; i++) keep.Add(i);
        }
        else
        {
            int slices = Math.Max(1, maxPoints);
            double width = Math.Max(1e-9, (last - first) / slices);
            var slowest = new int[slices];
            Array.Fill(slowest, -1);
            for (int i = 0; i < probes.Length; i++)
            {
                if (probes[i].InStall) { keep.Add(i); continue; }
                int s = Math.Min(slices - 1, (int)((probes[i].Time - first) / width));
                if (slowest[s] < 0 || probes[i].LatencyMs > probes[slowest[s]].LatencyMs) slowest[s] = i;
            }
            foreach (int i in slowest) if (i >= 0) keep.Add(i);
        }
        keep.Sort((a, b) => probes[a].Time.CompareTo(probes[b].Time));
        var points = new List<LatencyPoint>(keep.Count);
        foreach (int i in keep)
        {
            ref var p = ref probes[i];
            points.Add(new LatencyPoint
            {
                Time = p.Time,
                LatencyMs = Math.Round(p.LatencyMs, 3),
                Kind = p.Icmp ? "icmp" : "tcp-syn",
                RxQueue = QueueVerdict.QueueOf(p, pairs[p.Pair].Side),
                InStall = p.InStall,
            });
        }
        return points;
    }
}
