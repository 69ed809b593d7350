namespace NetTrace.Analyzer.Stalls;

/// <summary>
/// Each pair's usual latency (median, per probe kind: SYN-ACKs and echo replies take different paths through the
/// responder) and which probes are late: more than the options' minimum above it, and at least the median itself,
/// so a long path's ordinary jitter is not a spike.
/// </summary>
internal static class Baselines
{
    public static int MarkLate(Probe[] probes, List<ProbePair> pairs, StallOptions options)
    {
        var icmp = new List<double>[pairs.Count];
        var tcp = new List<double>[pairs.Count];
        for (int i = 0; i < pairs.Count; i++) { icmp[i] = []; tcp[i] = []; }
        foreach (ref readonly var p in probes.AsSpan()) (p.Icmp ? icmp : tcp)[p.Pair].Add(p.LatencyMs);
        foreach (var pair in pairs)
        {
            pair.IcmpBaselineMs = Median(icmp[pair.Index]);
            pair.TcpBaselineMs = Median(tcp[pair.Index]);
        }
        int late = 0;
        foreach (ref var p in probes.AsSpan())
        {
            var pair = pairs[p.Pair];
            double baseline = p.Icmp ? pair.IcmpBaselineMs : pair.TcpBaselineMs;
            p.ExtraMs = p.LatencyMs - baseline;
            p.Late = p.ExtraMs >= Math.Max(options.MinExtraMs, baseline);
            if (p.Late) late++;
        }
        return late;
    }

    private static double Median(List<double> values)
    {
        if (values.Count == 0) return double.NaN;
        values.Sort();
        return values[values.Count / 2];
    }
}
