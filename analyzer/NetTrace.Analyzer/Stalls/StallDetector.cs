using NetTrace.Analyzer.Findings;
using NetTrace.Analyzer.Flows;
using NetTrace.Analyzer.Model;

namespace NetTrace.Analyzer.Stalls;

/// <summary>
/// RX-queue / softirq stalls from captures (story 1): runs after flow analysis on the handshakes (SYN→SYN-ACK) and
/// echoes (request→reply), so the per-packet path pays nothing. Per host pair it finds bursts of late replies
/// (<see cref="BurstFinder"/>), decides for each which RX queue of which host held them or whether everything
/// stalled at once (<see cref="QueueVerdict"/>), and returns the stall windows, the per-queue attribution, a latency
/// timeline and a finding.
/// </summary>
public static class StallDetector
{
    public const string FindingKind = "rx-queue-stall";
    private const int MaxFlowsPerWindow = 8;

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
        var finder = new BurstFinder(options);
        var verdict = new QueueVerdict(options);
        foreach (var g in collector.Groups)
        {
            int before = bursts.Count;
            finder.Find(probes, g, bursts);
            for (int i = before; i < bursts.Count; i++) verdict.Judge(probes, bursts[i]);
            DropCoincidences(probes, bursts, before);
            g.Side = MajoritySide(bursts, before);
        }
        bursts.Sort((a, b) => a.Start.CompareTo(b.Start));

        var windows = bursts.Select(b => Window(b, probes, hs, echoes)).ToList();
        var analysis = new StallAnalysis
        {
            Stalls = windows,
            Queues = QueueAttribution.Of(probes, collector.Groups, bursts, options.Rss.Queues),
            Timeline = StallTimeline.Of(probes, collector.Groups, options.MaxTimelinePoints),
            Rss = new RssSettingsInfo(options.Rss.KeySource, options.Rss.Queues, options.Rss.IndirectionSource),
        };
        return new Result(analysis, StallFinding.Build(bursts, probes, options, trust));
    }

    /// <summary>
    /// A few late replies that bunched, spread over several queues while other flows on those queues passed, fit
    /// neither a queue stall nor a pause: independent outliers that happened to arrive together.
    /// </summary>
    private static void DropCoincidences(Probe[] probes, List<Burst> bursts, int from)
    {
        for (int i = bursts.Count - 1; i >= from; i--)
        {
            var b = bursts[i];
            if (b.Scope != StallScope.Unknown || b.Queue is not null || b.Members.Length > MaxCoincidence) continue;
            foreach (int m in b.Members) probes[m].InStall = false;
            bursts.RemoveAt(i);
        }
    }

    private const int MaxCoincidence = 3;

    /// <summary>The side most one-queue stalls of this pair pointed at (weighted by delayed probes); the responder by default.</summary>
    private static StalledSide MajoritySide(List<Burst> bursts, int from)
    {
        int responder = 0, requester = 0;
        for (int i = from; i < bursts.Count; i++)
        {
            if (bursts[i].Queue is null) continue;
            if (bursts[i].Side == StalledSide.Responder) responder += bursts[i].Members.Length;
            else requester += bursts[i].Members.Length;
        }
        return requester > responder ? StalledSide.Requester : StalledSide.Responder;
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
