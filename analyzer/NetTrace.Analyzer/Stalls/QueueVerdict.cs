using NetTrace.Analyzer.Model;

namespace NetTrace.Analyzer.Stalls;

/// <summary>
/// Decides where a stall hit. A one-queue stall delays exactly the flows that hash to that queue while flows on other
/// queues, sent at the same time, pass; a whole-host (VM) pause delays everything. Which host stalled is open: if the
/// responder's queue held the requests, the delayed probes share the request's queue at the responder; if the
/// requester's queue held the replies, they share the reply's queue there. Each side the grouping allows is tried
/// and the one that separates delayed from passing probes cleanly wins (the responder when both do, as in the story).
/// </summary>
internal sealed class QueueVerdict(StallOptions options)
{
    private readonly int[] _delayed = new int[options.Rss.Queues];
    private readonly int[] _fine = new int[options.Rss.Queues];
    private readonly List<int> _passing = [];

    public void Judge(Probe[] probes, Burst b)
    {
        var view = b.View;
        // Probes sent while the stall held packets, early enough to have been caught by it had they hashed there: a probe
        // sent in its last few milliseconds waits less than the lateness threshold and would pass either way.
        double until = b.End - 2 * options.MinExtraMs / 1000;
        _passing.Clear();
        for (int i = view.LowerBound(probes, b.Segment, b.Start); i < b.Segment.End && probes[view.Order[i]].Time <= until; i++)
        {
            int p = view.Order[i];
            if (probes[p].Late) continue;
            _passing.Add(p);
            if (probes[p].Icmp) b.IcmpFine++; else b.TcpFine++;
        }

        Hypothesis? best = null;
        int minQueues = int.MaxValue;
        foreach (var side in view.Sides)
        {
            var h = Score(probes, b.Members, side);
            minQueues = Math.Min(minQueues, h.Queues);
            if (best is null || h.Score > best.Value.Score + 1e-9) best = h;
        }
        var top = best!.Value;
        b.Side = top.Side;
        b.Score = top.Score;
        b.Host = b.Segment.Host;
        if (top.Purity >= 0.9 && top.FineOnQueue <= 0.1 * top.OnQueue)
        {
            b.Queue = top.Queue;
            // With nothing else sent during the stall, one queue cannot be told from all queues.
            b.Scope = _passing.Count > 0 ? StallScope.OneCpu : StallScope.Unknown;
            return;
        }
        bool everythingHeld = _passing.Count <= 0.1 * (_passing.Count + b.Members.Length);
        b.Scope = everythingHeld && minQueues >= 2 ? StallScope.AllCpus : StallScope.Unknown;
        b.Score = b.Scope == StallScope.AllCpus ? 1 - (double)_passing.Count / (_passing.Count + b.Members.Length) : 0;
    }

    private readonly record struct Hypothesis(StalledSide Side, int Queue, int OnQueue, double Purity, int FineOnQueue, int Queues, double Score);

    private Hypothesis Score(Probe[] probes, int[] members, StalledSide side)
    {
        Array.Clear(_delayed);
        Array.Clear(_fine);
        foreach (int m in members) _delayed[QueueOf(probes[m], side)]++;
        foreach (int f in _passing) _fine[QueueOf(probes[f], side)]++;
        int best = 0, queues = 0;
        for (int q = 0; q < _delayed.Length; q++)
        {
            if (_delayed[q] > _delayed[best]) best = q;
            if (_delayed[q] > 0) queues++;
        }
        int on = _delayed[best], fineOn = _fine[best];
        double purity = (double)on / members.Length;
        double score = purity - (double)fineOn / (fineOn + on);
        return new Hypothesis(side, best, on, purity, fineOn, queues, score);
    }

    public static int QueueOf(in Probe p, StalledSide side) => side == StalledSide.Responder ? p.QueueAtResponder : p.QueueAtRequester;
}
