using NetTrace.Analyzer.Findings;
using NetTrace.Analyzer.Model;

namespace NetTrace.Analyzer.Stalls;

/// <summary>
/// RX-queue / softirq stalls from captures (story 1): runs after flow analysis on the handshakes (SYN→SYN-ACK) and
/// echoes (request→reply), so the per-packet path pays nothing. Probes are judged late against their pair's baseline
/// (<see cref="Baselines"/>), grouped by the host that may have stalled (<see cref="ProbeView"/>), searched for bursts
/// of late replies (<see cref="BurstFinder"/>), and each burst is attributed to an RX queue of a host or to a pause of
/// every queue (<see cref="QueueVerdict"/>). Returns the stall windows, the per-queue attribution, a latency timeline
/// and a finding.
/// </summary>
public static class StallDetector
{
    public const string FindingKind = "rx-queue-stall";
    private const int MaxFlowsPerWindow = 8;
    /// <summary>Bursts this small that fit neither one queue nor all queues are outliers arriving together by chance.</summary>
    private const int MaxCoincidence = 3;

    public sealed record Result(StallAnalysis Analysis, Finding? Finding);

    /// <summary>Null when there was nothing to judge (no answered handshake or echo) or detection is off.</summary>
    public static Result? Detect(IReadOnlyList<Handshake> handshakes, IReadOnlyList<IcmpEcho> echoes, StallOptions options, double trust = 1.0)
    {
        if (!options.Enabled) return null;
        using var hs = HandshakeTable.From(handshakes);
        return Detect(hs, echoes, options, trust);
    }

    internal static Result? Detect(HandshakeTable hs, IReadOnlyList<IcmpEcho> echoes, StallOptions options, double trust)
    {
        var collector = new ProbeCollector(options.Rss);
        collector.Collect(hs, echoes);
        var probes = collector.Probes;
        if (probes.Length == 0) return null;

        var bursts = new List<Burst>();
        if (Baselines.MarkLate(probes, collector.Pairs, options) >= 2)
        {
            string Host(int id) => collector.Hosts[id].ToString();
            var byTime = ProbeView.ByTime(probes);
            int hosts = collector.Hosts.Count;
            var views = new[]
            {
                ProbeView.ByHost(probes, byTime, hosts, "responder", StalledSide.Responder, Host),
                ProbeView.ByHost(probes, byTime, hosts, "requester", StalledSide.Requester, Host),
                ProbeView.Whole(byTime),
            };
            var candidates = new List<Burst>();
            var finder = new BurstFinder(options);
            var verdict = new QueueVerdict(options);
            foreach (var view in views)
            {
                int before = candidates.Count;
                foreach (var seg in view.Segments) finder.Find(probes, view, seg, candidates);
                for (int i = before; i < candidates.Count; i++) verdict.Judge(probes, candidates[i]);
            }
            bursts = Choose(candidates, views, probes.Length);
            foreach (var b in bursts)
                foreach (int m in b.Members) probes[m].InStall = true;
            SetPairSides(probes, collector.Pairs, bursts);
        }

        var windows = bursts.Select(b => Window(b, probes, hs, echoes)).ToList();
        var analysis = new StallAnalysis
        {
            Stalls = windows,
            Queues = QueueAttribution.Of(probes, collector.Pairs, bursts, options.Rss.Queues),
            Timeline = StallTimeline.Of(probes, collector.Pairs, options.MaxTimelinePoints),
            Rss = new RssSettingsInfo(options.Rss.KeySource, options.Rss.Queues, options.Rss.IndirectionSource),
        };
        return new Result(analysis, StallFinding.Build(bursts, options, trust));
    }

    /// <summary>
    /// The same stall usually shows in several groupings (a two-host capture shows it in all three). Best explanation
    /// first — one queue, then a pause, then unclear; the cleaner separation; the larger burst; a named host before the
    /// capture as a whole — and a burst whose probes mostly belong to one already kept is the same stall again.
    /// </summary>
    private static List<Burst> Choose(List<Burst> candidates, ProbeView[] views, int probeCount)
    {
        static int Rank(StallScope s) => s switch { StallScope.OneCpu => 3, StallScope.AllCpus => 2, _ => 1 };
        var ordered = candidates
            .Select((b, i) => (b, i))
            .OrderByDescending(x => Rank(x.b.Scope)).ThenByDescending(x => x.b.Score).ThenByDescending(x => x.b.Members.Length)
            .ThenBy(x => Array.IndexOf(views, x.b.View)).ThenBy(x => x.i)
            .Select(x => x.b);
        var taken = new bool[probeCount];
        var kept = new List<Burst>();
        foreach (var b in ordered)
        {
            int already = b.Members.Count(m => taken[m]);
            if (already * 2 > b.Members.Length) continue;
            if (b.Scope == StallScope.Unknown && b.Queue is null && b.Members.Length <= MaxCoincidence) continue;
            foreach (int m in b.Members) taken[m] = true;
            kept.Add(b);
        }
        kept.Sort((a, b) => a.Start.CompareTo(b.Start));
        return kept;
    }

    /// <summary>Each pair's probes are drawn on the side its one-queue stalls pointed at (weighted by probes held); the responder by default.</summary>
    private static void SetPairSides(Probe[] probes, List<ProbePair> pairs, List<Burst> bursts)
    {
        var votes = new int[pairs.Count];
        foreach (var b in bursts)
        {
            if (b.Queue is null) continue;
            foreach (int m in b.Members) votes[probes[m].Pair] += b.Side == StalledSide.Requester ? 1 : -1;
        }
        foreach (var pair in pairs) pair.Side = votes[pair.Index] > 0 ? StalledSide.Requester : StalledSide.Responder;
    }

    private static StallWindow Window(Burst b, Probe[] probes, HandshakeTable hs, IReadOnlyList<IcmpEcho> echoes)
    {
        var flows = new List<string>();
        foreach (int m in b.Members)
        {
            if (flows.Count == MaxFlowsPerWindow) break;
            string f = FlowText(probes[m], hs, echoes);
            if (!flows.Contains(f)) flows.Add(f);
        }
        return new StallWindow
        {
            Start = b.Start,
            End = b.End,
            MaxDelayMs = Math.Round(b.MaxExtraMs, 3),
            Source = "capture",
            Scope = b.Scope,
            RxQueue = b.Queue,
            PacketsDelayed = b.Members.Length,
            IcmpDelayed = b.IcmpDelayed,
            TcpDelayed = b.TcpDelayed,
            Flows = flows,
        };
    }

    internal static string FlowText(in Probe p, HandshakeTable hs, IReadOnlyList<IcmpEcho> echoes)
    {
        if (p.Source >= 0)
        {
            var h = hs[p.Source];
            return $"{hs.Text(h.Client)} → {hs.Text(h.Server)} tcp";
        }
        var e = echoes[~p.Source];
        return $"{e.Src} → {e.Dst} icmp";
    }
}
