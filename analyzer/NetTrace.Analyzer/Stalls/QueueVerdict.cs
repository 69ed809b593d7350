using NetTrace.Analyzer.Model;

namespace NetTrace.Analyzer.Stalls;

/// <summary>
/// Decides where a stall hit. A one-queue stall delays exactly the flows that hash to that queue while flows on other
/// queues, sent at the same time, pass; a whole-host (VM) pause delays everything. Which host stalled is open: if the
/// responder's queue held the requests, the delayed probes share the request's queue at the responder; if the
/// requester's queue held the replies, they share the reply's queue there. Both hashes are tried and the one that
/// separates delayed from passing probes cleanly wins (the responder when both do, as in the story).
/// </summary>
internal sealed class QueueVerdict(StallOptions options)
{
    private int[] _delayed = new int[options.Rss.Queues];
    private int[] _fine = new int[options.Rss.Queues];

    public void Judge(Probe[] probes, Burst b)
    {
        var g = b.Group;
        // Probes sent while the stall held packets but early enough to have been caught by it had they hashed there.
        double until = b.End - options.MinExtraMs / 1000;
        int first = BurstFinder.LowerBound(probes, g.Start, g.End, b.Start);
        var fine = new List<int>();
        for (int i = first; i < g.End && probes[i].Time <= until; i++)
        {
            if (probes[i].Late) continue;
            fine.Add(i);
            if (probes[i].Icmp) b.IcmpFine++; else b.TcpFine++;
        }

        var atResponder = Score(probes, b.Members, fine, StalledSide.Responder);
        var atRequester = Score(probes, b.Members, fine, StalledSide.Requester);
        var best = atRequester.Score > atResponder.Score + 1e-9 ? atRequester : atResponder;
        b.Side = best.Side;
        bool oneQueue = best.Purity >= 0.9 && best.FineOnQueue <= 0.1 * best.OnQueue;
        if (oneQueue)
        {
            b.Queue = best.Queue;
            // With nothing else sent during the stall, one queue cannot be told from all queues.
            b.Scope = fine.Count > 0 ? StallScope.OneCpu : StallScope.Unknown;
            return;
        }
        bool everythingHeld = fine.Count <= 0.1 * (fine.Count + b.Members.Length);
        b.Scope = everythingHeld && atResponder.Queues >= 2 && atRequester.Queues >= 2 ? StallScope.AllCpus : StallScope.Unknown;
    }

    private readonly record struct Hypothesis(StalledSide Side, int Queue, int OnQueue, double Purity, int FineOnQueue, int Queues, double Score);

    private Hypothesis Score(Probe[] probes, int[] members, List<int> fine, StalledSide side)
    {
        Array.Clear(_delayed);
        Array.Clear(_fine);
        foreach (int m in members) _delayed[QueueOf(probes[m], side)]++;
        foreach (int f in fine) _fine[QueueOf(probes[f], side)]++;
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
