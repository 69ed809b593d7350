namespace NetTrace.Analyzer.Stalls;

/// <summary>
/// Finds stalls among the probes of one host that may have stalled. A stall holds arriving packets until it ends and
/// then lets them all through at once, so its late probes have requests spread over the stall but replies bunched at
/// its end (latency falls by one millisecond per millisecond of later sending). A path that is slow all the time
/// raises the baseline and makes nothing late; a path slow for a while makes late replies as spread as their
/// requests; a lone outlier is one probe. None of those is a burst.
/// </summary>
internal sealed class BurstFinder(StallOptions options)
{
    private readonly List<double> _times = [];
    private readonly List<int> _late = [];
    private readonly List<(int From, int To)> _candidates = [];

    public void Find(Probe[] probes, ProbeView view, ProbeView.Segment seg, List<Burst> into)
    {
        _late.Clear();
        for (int i = seg.Start; i < seg.End; i++)
            if (probes[view.Order[i]].Late) _late.Add(view.Order[i]);
        if (_late.Count < 2) return;

        _late.Sort((a, b) => probes[a].Release.CompareTo(probes[b].Release));
        double gap = options.BurstGapMs / 1000;
        _candidates.Clear();
        int runStart = 0;
        for (int k = 1; k <= _late.Count; k++)
        {
            if (k < _late.Count && probes[_late[k]].Release - probes[_late[k - 1]].Release <= gap) continue;
            if (k - runStart >= 2 && ReleasedTogether(probes, runStart, k)) _candidates.Add((runStart, k));
            runStart = k;
        }
        // Probes of every candidate are marked first, so stalls on two queues at overlapping times don't count each
        // other's late probes as evidence against themselves.
        foreach (var (from, to) in _candidates)
            for (int k = from; k < to; k++) probes[_late[k]].InStall = true;
        foreach (var (from, to) in _candidates) Judge(probes, view, seg, from, to, into);
        foreach (var (from, to) in _candidates)
            for (int k = from; k < to; k++) probes[_late[k]].InStall = false;
    }

    /// <summary>Requests spread over the window, replies bunched at its end.</summary>
    private bool ReleasedTogether(Probe[] probes, int from, int to)
    {
        double firstRequest = double.MaxValue, lastRequest = double.MinValue;
        for (int k = from; k < to; k++)
        {
            firstRequest = Math.Min(firstRequest, probes[_late[k]].Time);
            lastRequest = Math.Max(lastRequest, probes[_late[k]].Time);
        }
        double requestSpread = lastRequest - firstRequest;
        double releaseSpread = probes[_late[to - 1]].Release - probes[_late[from]].Release;
        return requestSpread * 1000 >= options.MinRequestSpreadMs && releaseSpread <= options.MaxReleaseToRequestSpread * requestSpread
            && DistinctSendTimes(probes, from, to) >= options.MinDistinctRequests;
    }

    /// <summary>
    /// Requests sent at separate moments (at least half the minimum spread apart). Two moments fit any pair of slow
    /// replies that happen to arrive together — a browser opening four connections at once and one more later, say;
    /// three or more on one release instant draw the stall's line (one millisecond less wait per millisecond later).
    /// </summary>
    private int DistinctSendTimes(Probe[] probes, int from, int to)
    {
        _times.Clear();
        for (int k = from; k < to; k++) _times.Add(probes[_late[k]].Time);
        _times.Sort();
        int distinct = 1;
        double last = _times[0], apart = options.MinRequestSpreadMs / 2000;
        foreach (double t in _times)
            if (t - last >= apart) { distinct++; last = t; }
        return distinct;
    }

    private void Judge(Probe[] probes, ProbeView view, ProbeView.Segment seg, int from, int to, List<Burst> into)
    {
        double firstRequest = double.MaxValue, maxExtra = 0;
        for (int k = from; k < to; k++)
        {
            ref var p = ref probes[_late[k]];
            firstRequest = Math.Min(firstRequest, p.Time);
            maxExtra = Math.Max(maxExtra, p.ExtraMs);
        }
        // A stall lets the flows of other queues pass, and a pause holds everything into this one burst: either way the
        // late probes sent during the window are released in a burst. A slow stretch of path is late everywhere, its
        // replies released all along; a few of them bunching by chance leave most of the window's late probes outside.
        int outside = 0;
        double lastCatchable = probes[_late[to - 1]].Release - options.MinExtraMs / 1000;
        for (int i = view.LowerBound(probes, seg, firstRequest); i < seg.End && probes[view.Order[i]].Time <= lastCatchable; i++)
            if (probes[view.Order[i]].Late && !probes[view.Order[i]].InStall) outside++;
        if (outside > 1 + options.MaxLateOutsideBurst * (to - from)) return;

        var members = new int[to - from];
        for (int k = from; k < to; k++) members[k - from] = _late[k];
        Array.Sort(members, (a, b) => probes[a].Time.CompareTo(probes[b].Time));
        var b = new Burst(view, seg, members) { Start = firstRequest, End = probes[_late[to - 1]].Release, MaxExtraMs = maxExtra };
        foreach (int m in members)
            if (probes[m].Icmp) b.IcmpDelayed++; else b.TcpDelayed++;
        into.Add(b);
    }
}
