using NetTrace.Analyzer.Model;

namespace NetTrace.Reports.Data;

/// <summary>
/// What the receive-path stall section needs from <see cref="StallAnalysis"/>: which kind of data there is
/// (live eBPF, capture, or both), the stalls in time order, and the RX queue the stalls concentrate on.
/// </summary>
internal sealed class StallView
{
    public const string Live = "live";
    public const string Capture = "capture";

    public StallAnalysis Analysis { get; }
    public IReadOnlyList<StallWindow> Stalls { get; }
    /// <summary>One row per queue number, in order: several captures each attribute their flows to queues 0..N-1, summed here.</summary>
    public IReadOnlyList<RxQueueAttribution> Queues { get; }
    public bool HasLive { get; }
    public bool HasCapture { get; }
    /// <summary>
    /// The queue with the most stalls when one queue has more than any other (ties: none), or null. Story 1's signature
    /// is one queue; a generator or a node with several slow CPUs spreads them, and then the top queue is still marked.
    /// </summary>
    public RxQueueAttribution? HotQueue { get; }

    private StallView(StallAnalysis a)
    {
        Analysis = a;
        Stalls = a.Stalls.OrderBy(s => s.Start).ToList();
        Queues = a.Queues.GroupBy(q => q.Queue).OrderBy(g => g.Key).Select(g => g.Count() == 1 ? g.First() : new RxQueueAttribution
        {
            Queue = g.Key, Flows = g.Sum(q => q.Flows), IcmpFlows = g.Sum(q => q.IcmpFlows), TcpFlows = g.Sum(q => q.TcpFlows),
            Packets = g.Sum(q => q.Packets), DelayedPackets = g.Sum(q => q.DelayedPackets), Stalls = g.Sum(q => q.Stalls),
        }).ToList();
        HasLive = a.CpuDelay.Count > 0 || a.Stalls.Any(s => s.Source == Live) || a.Timeline.Any(p => p.Kind == "rx-packet");
        HasCapture = a.Queues.Count > 0 || a.Stalls.Any(s => s.Source == Capture) || a.Timeline.Any(p => p.Kind != "rx-packet");
        HotQueue = Concentration(Queues);
    }

    /// <summary>Null when the analysis has nothing to show (no stall analysis, or one with every list empty).</summary>
    public static StallView? From(AnalysisResult r)
    {
        var a = r.Stalls;
        if (a == null || (a.Stalls.Count == 0 && a.Queues.Count == 0 && a.CpuDelay.Count == 0 && a.Timeline.Count == 0)) return null;
        return new StallView(a);
    }

    internal static RxQueueAttribution? Concentration(IReadOnlyList<RxQueueAttribution> queues)
    {
        var ranked = queues.Where(q => q.Stalls > 0).OrderByDescending(q => q.Stalls).Take(2).ToList();
        if (ranked.Count == 0) return null;
        return ranked.Count == 1 || ranked[0].Stalls > ranked[1].Stalls ? ranked[0] : null;
    }

    /// <summary>True when the top queue holds at least half of the stalls: "concentrate on" rather than "most on".</summary>
    public bool Concentrated => HotQueue is { } q && q.Stalls * 2 >= Queues.Sum(x => x.Stalls);

    /// <summary>
    /// Nothing to draw: the run looked (captures or a recording without per-CPU samples) and found no stall. The section
    /// then says so in one line instead of charting calm data in every report.
    /// </summary>
    public bool NothingFound => Stalls.Count == 0 && Analysis.CpuDelay.Count == 0;

    public static string Where(StallWindow s) => (s.Cpu, s.RxQueue) switch
    {
        ({ } c, { } q) => $"CPU {c}, RX queue {q}",
        ({ } c, null) => $"CPU {c}",
        (null, { } q) => $"RX queue {q}",
        _ => "–",
    };

    public static string ScopeText(StallScope s) => s switch
    {
        StallScope.OneCpu => "one CPU",
        StallScope.AllCpus => "all CPUs (VM pause)",
        _ => "unknown",
    };
}
