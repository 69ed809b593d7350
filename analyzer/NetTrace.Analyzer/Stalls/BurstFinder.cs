namespace NetTrace.Analyzer.Stalls;

/// <summary>
/// Finds stalls in one host pair's probes. A stall holds arriving packets until it ends and then lets them all through
/// at once, so its late probes have requests spread over the stall but replies bunched at its end (latency falls by
/// one millisecond per millisecond of later sending). A path that is slow all the time raises the baseline and makes
/// nothing late; a path slow for a while makes late replies as spread as their requests; a lone outlier is one probe.
/// None of those is a burst.
/// </summary>
internal sealed class BurstFinder(StallOptions options)
{
    private readonly List<double> _buffer = [];
    private readonly List<int> _late = [];

    public void Find(Probe[] probes, ProbeGroup g, List<Burst> into)
    {
        g.IcmpBaselineMs = Median(probes, g, icmp: true);
        g.TcpBaselineMs = Median(probes, g, icmp: false);
        _late.Clear();
        for (int i = g.Start; i < g.End; i++)
        {
            ref var p = ref probes[i];
            double baseline = p.Icmp ? g.IcmpBaselineMs : g.TcpBaselineMs;
            p.ExtraMs = p.LatencyMs - baseline;
            p.Late = p.ExtraMs >= Math.Max(options.MinExtraMs, baseline);
            if (p.Late) _late.Add(i);
        }
        if (_late.Count < 2) return;

        _late.Sort((a, b) => probes[a].Release.CompareTo(probes[b].Release));
        double gap = options.BurstGapMs / 1000;
        int runStart = 0;
        for (int k = 1; k <= _late.Count; k++)
        {
            if (k < _late.Count && probes[_late[k]].Release - probes[_late[k - 1]].Release <= gap) continue;
            if (k - runStart >= 2) Judge(probes, g, runStart, k, into);
            runStart = k;
        }
    }

    private void Judge(Probe[] probes, ProbeGroup g, int from, int to, List<Burst> into)
    {
        double firstRequest = double.MaxValue, lastRequest = double.MinValue, maxExtra = 0;
        for (int k = from; k < to; k++)
        {
            ref var p = ref probes[_late[k]];
            firstRequest = Math.Min(firstRequest, p.Time);
            lastRequest = Math.Max(lastRequest, p.Time);
            maxExtra = Math.Max(maxExtra, p.ExtraMs);
        }
        double requestSpread = lastRequest - firstRequest;
        double releaseSpread = probes[_late[to - 1]].Release - probes[_late[from]].Release;
        if (requestSpread * 1000 < options.MinRequestSpreadMs) return;
        if (releaseSpread > options.MaxReleaseToRequestSpread * requestSpread) return;
        // A stall lets the flows of other queues pass, and a pause holds everything into this one burst: either way the
        // late probes sent during the window are the burst's. A slow stretch of path is late everywhere, its replies
        // released all along; a few of them bunching by chance leave most of the window's late probes outside.
        int lateInWindow = 0;
        double lastCatchable = probes[_late[to - 1]].Release - options.MinExtraMs / 1000;
        for (int i = LowerBound(probes, g.Start, g.End, firstRequest); i < g.End && probes[i].Time <= lastCatchable; i++)
            if (probes[i].Late) lateInWindow++;
        int outside = lateInWindow - (to - from);
        if (outside > 1 + options.MaxLateOutsideBurst * (to - from)) return;

        var members = new int[to - from];
        for (int k = from; k < to; k++) members[k - from] = _late[k];
        Array.Sort(members);
        var b = new Burst(g, members) { Start = firstRequest, End = probes[_late[to - 1]].Release, MaxExtraMs = maxExtra };
        foreach (int m in members)
        {
            probes[m].InStall = true;
            if (probes[m].Icmp) b.IcmpDelayed++; else b.TcpDelayed++;
        }
        into.Add(b);
    }

    internal static int LowerBound(Probe[] probes, int from, int to, double time)
    {
        while (from < to)
        {
            int mid = (from + to) >>> 1;
            if (probes[mid].Time < time) from = mid + 1; else to = mid;
        }
        return from;
    }

    private double Median(Probe[] probes, ProbeGroup g, bool icmp)
    {
        _buffer.Clear();
        for (int i = g.Start; i < g.End; i++)
            if (probes[i].Icmp == icmp) _buffer.Add(probes[i].LatencyMs);
        if (_buffer.Count == 0) return double.NaN;
        _buffer.Sort();
        return _buffer[_buffer.Count / 2];
    }
}
